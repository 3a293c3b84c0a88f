"""Outbound messages without AWS: sender choice, address checks, backoff, error verdicts, local sender."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

import chalicelib.messaging as messaging
from chalicelib.messaging import (
    Envelope,
    SenderNotConfigured,
    SendFailed,
    address_problem,
    backoff_delay,
    clear_recorded,
    deliver,
    recorded,
    sender_for,
    sender_modes,
)
from chalicelib.messaging.failures import classify
from chalicelib.messaging.local import LOCAL_SENDER

SMS = Envelope(channel="sms", to="+966559998877", body="Confirm your order: https://x.test/c", message_id="m1")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TAWASUL_SENDERS", raising=False)
    clear_recorded()
    yield
    clear_recorded()


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Send"
    )


# --- which sender ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("local", {"sms": "local", "whatsapp": "local", "email": "local"}),
        ("aws", {"sms": "aws", "whatsapp": "aws", "email": "aws"}),
        (" AWS , whatsapp=local ", {"sms": "aws", "whatsapp": "local", "email": "aws"}),
        ("email=aws", {"sms": "local", "whatsapp": "local", "email": "aws"}),
        ("", {"sms": "local", "whatsapp": "local", "email": "local"}),
    ],
)
def test_sender_modes(setting, expected):
    assert sender_modes(setting) == expected


@pytest.mark.parametrize("setting", ["ses", "sms=twilio", "fax=aws"])
def test_unknown_sender_setting_is_refused_by_name(setting):
    with pytest.raises(SenderNotConfigured, match="TAWASUL_SENDERS"):
        sender_modes(setting)


def test_local_is_the_default_on_the_test_stage():
    assert sender_for("sms") is LOCAL_SENDER


def test_cloud_stages_default_to_aws(monkeypatch):
    monkeypatch.setenv("TAWASUL_STAGE", "prod")
    monkeypatch.setenv("TAWASUL_MAIL_FROM", "shop@example.com")
    sender = sender_for("email")
    assert type(sender).__name__ == "SesEmailSender"
    assert sender.mail_from == "shop@example.com"  # type: ignore[attr-defined]


# --- what can be sent at all ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("envelope", "fragment"),
    [
        (Envelope("sms", "0559998877", "hi"), "international format"),
        (Envelope("whatsapp", "+966 55 999 8877", "hi"), "international format"),
        (Envelope("sms", "+966559998877", "   "), "empty"),
        (Envelope("sms", "+966559998877", "x" * 1601), "at most 1600"),
        (Envelope("whatsapp", "+966559998877", "x" * 4097), "at most 4096"),
        (Envelope("email", "not-an-address", "hi", subject="s"), "not an e-mail address"),
        (Envelope("email", "a@b.example", "hi", subject="s", reply_to="support"), "reply-to"),
        (Envelope("fax", "+966559998877", "hi"), "fax"),  # type: ignore[arg-type]
    ],
)
def test_impossible_messages_are_named(envelope, fragment):
    problem = address_problem(envelope)
    assert problem is not None and fragment in problem
    with pytest.raises(SendFailed) as failed:
        deliver(envelope)
    assert failed.value.transient is False
    assert failed.value.reason == problem
    assert recorded() == []


@pytest.mark.parametrize(
    "envelope",
    [
        SMS,
        Envelope("whatsapp", "+201001234567", "x" * 4096),
        Envelope("email", "buyer@example.com", "نص", subject="طلبك", reply_to="help@shop.example"),
        Envelope("email", "buyer@example.com", "نص", subject="طلبك", reply_to=""),
    ],
)
def test_sendable_messages_pass(envelope):
    assert address_problem(envelope) is None


# --- backoff ---------------------------------------------------------------------------------------


def test_backoff_is_exponential_under_full_jitter_and_capped():
    top = [backoff_delay(n, rand=lambda: 1.0, base=0.25, cap=4.0) for n in range(8)]
    assert top == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert [backoff_delay(n, rand=lambda: 0.0) for n in range(5)] == [0.0] * 5
    assert backoff_delay(2, rand=lambda: 0.5, base=0.25, cap=4.0) == 0.5


def test_backoff_draws_stay_within_their_window():
    import random

    rng = random.Random(7)
    for retry in range(6):
        window = min(4.0, 0.25 * 2**retry)
        draws = [backoff_delay(retry, rand=rng.random) for _ in range(200)]
        assert all(0.0 <= d < window for d in draws)
        assert max(draws) > window * 0.8  # jitter spreads over the window, not a fixed delay
        assert min(draws) < window * 0.2


# --- verdicts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (client_error("Throttling", "Rate exceeded"), "retry"),
        (client_error("ThrottlingException"), "retry"),
        (client_error("ThrottledRequestException"), "retry"),
        (client_error("TooManyRequestsException", status=429), "retry"),
        (client_error("SomethingNew", status=429), "retry"),
        (client_error("ServiceUnavailable", status=503), "retry"),
        (client_error("InternalFailure", status=500), "retry"),
        (client_error("InternalError", status=500), "retry"),
        (client_error("Whatever", status=502), "retry"),
        (EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com"), "retry"),
        (ConnectTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), "retry"),
        (ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), "give_up"),
        (client_error("SendingPausedException"), "give_up"),
        (client_error("AccountSuspendedException"), "give_up"),
        (client_error("AccessDeniedException", status=403), "give_up"),
        (client_error("InvalidParameter", "Invalid parameter: PhoneNumber"), "refused"),
        (client_error("InvalidParameter", "Phone number is opted out"), "refused"),
        (client_error("MessageRejected", "Email address is not verified."), "refused"),
        (client_error("MailFromDomainNotVerifiedException"), "refused"),
        (client_error("InvalidParametersException"), "refused"),
        (client_error("ValidationException"), "refused"),
        (ParamValidationError(report="Invalid length for parameter Message"), "refused"),
    ],
)
def test_verdicts(error, kind):
    verdict = classify(error, "sms")
    assert verdict.kind == kind
    assert verdict.transient == (kind != "refused")
    assert verdict.reason.startswith("The SMS service") or verdict.reason.startswith("The customer")


def test_reasons_read_like_sentences_for_a_rep():
    opted = classify(client_error("InvalidParameter", "Phone number is opted out"), "sms")
    assert opted.reason.startswith("The customer has opted out of SMS messages")
    unverified = classify(client_error("MessageRejected", "Email address is not verified. x@y"), "email")
    assert "not verified" in unverified.reason and "administrator" in unverified.reason
    timeout = classify(ReadTimeoutError(endpoint_url="https://x"), "whatsapp")
    assert timeout.reason.startswith("WhatsApp") and "may or may not have been sent" in timeout.reason
    long = classify(client_error("MessageRejected", "x" * 2000), "email")
    assert len(long.reason) < 500


# --- deliver through the local sender --------------------------------------------------------------


def test_local_sender_records_in_order_and_clears():
    first = deliver(SMS)
    email = Envelope("email", "buyer@example.com", "شكرا", subject="طلبك", reply_to="help@shop.example")
    second = deliver(email)
    assert first.startswith("local-") and second.startswith("local-") and first != second
    assert recorded() == [(SMS, first), (email, second)]
    clear_recorded()
    assert recorded() == []


class FlakySender:
    def __init__(self, *errors: Exception, provider_id: str = "p-1") -> None:
        self.errors = list(errors)
        self.calls = 0
        self.provider_id = provider_id

    def send(self, envelope: Envelope) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.provider_id


def test_deliver_retries_transient_errors_then_succeeds(monkeypatch):
    sender = FlakySender(client_error("Throttling", status=400), EndpointConnectionError(endpoint_url="https://x"))
    monkeypatch.setattr(messaging, "sender_for", lambda channel: sender)
    slept: list[float] = []
    assert deliver(SMS, sleep=slept.append, rand=lambda: 1.0) == "p-1"
    assert sender.calls == 3
    assert slept == [0.25, 0.5]


def test_deliver_gives_up_after_the_attempts(monkeypatch):
    sender = FlakySender(*[client_error("ServiceUnavailable", status=503)] * 5)
    monkeypatch.setattr(messaging, "sender_for", lambda channel: sender)
    slept: list[float] = []
    with pytest.raises(SendFailed) as failed:
        deliver(SMS, attempts=3, sleep=slept.append, rand=lambda: 0.5)
    assert failed.value.transient is True
    assert "unavailable" in failed.value.reason and "Gave up after 3 attempts" in failed.value.reason
    assert sender.calls == 3 and slept == [0.125, 0.25]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (client_error("InvalidParameter", "Invalid parameter: PhoneNumber Reason: +966 is not valid"), False),
        (ReadTimeoutError(endpoint_url="https://x"), True),
        (client_error("SendingPausedException"), True),
    ],
)
def test_deliver_does_not_retry_refusals_or_ambiguous_failures(monkeypatch, error, transient):
    sender = FlakySender(error)
    monkeypatch.setattr(messaging, "sender_for", lambda channel: sender)
    slept: list[float] = []
    with pytest.raises(SendFailed) as failed:
        deliver(SMS, sleep=slept.append)
    assert failed.value.transient is transient
    assert "Gave up" not in failed.value.reason
    assert sender.calls == 1 and slept == []


def test_missing_sender_configuration_fails_the_message_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("TAWASUL_SENDERS", "aws")
    monkeypatch.delenv("TAWASUL_MAIL_FROM", raising=False)
    monkeypatch.delenv("TAWASUL_WHATSAPP_PHONE_NUMBER_ID", raising=False)
    with pytest.raises(SendFailed) as failed:
        deliver(Envelope("email", "buyer@example.com", "hi", subject="s"))
    assert failed.value.transient is True and "TAWASUL_MAIL_FROM" in failed.value.reason
    with pytest.raises(SendFailed) as failed:
        deliver(Envelope("whatsapp", "+966559998877", "hi"))
    assert "TAWASUL_WHATSAPP_PHONE_NUMBER_ID" in failed.value.reason
    monkeypatch.setenv("TAWASUL_SENDERS", "aws,sms=carrier-pigeon")
    with pytest.raises(SendFailed) as failed:
        deliver(SMS)
    assert "TAWASUL_SENDERS" in failed.value.reason
