"""The AWS senders: SES v2 and SNS observed through moto's backends, WhatsApp through a botocore Stubber,
and provider errors (Stubber) through deliver's retry and refusal rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import ANY, Stubber
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.messaging import Envelope, SendFailed, deliver, recorded
from chalicelib.messaging.aws import client, reset_clients

REGION = "us-east-1"
MAIL_FROM = "orders@shop.example"
PHONE_NUMBER_ID = "phone-number-id-0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def aws_senders(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TAWASUL_SENDERS", "aws")
    monkeypatch.setenv("TAWASUL_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("TAWASUL_WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
    monkeypatch.setenv("TAWASUL_WHATSAPP_META_API_VERSION", "v20.0")
    monkeypatch.delenv("TAWASUL_SMS_SENDER_ID", raising=False)
    reset_clients()  # clients made under another test's mock must not leak
    yield
    reset_clients()


def captured_params(service: str, operation: str) -> list[dict]:
    """Every request's parameters as the client received them (what moto does not keep)."""
    seen: list[dict] = []
    client(service).meta.events.register(
        f"provide-client-params.{service}.{operation}", lambda params, **_: seen.append(dict(params))
    )
    return seen


def no_sleep(_: float) -> None:
    return None


# --- e-mail: Amazon SES v2 through moto ------------------------------------------------------------


def test_email_goes_through_ses_v2_from_the_configured_address():
    client("sesv2").create_email_identity(EmailIdentity=MAIL_FROM)
    params = captured_params("sesv2", "SendEmail")
    envelope = Envelope(
        channel="email",
        to="buyer@example.com",
        subject="طلبك رقم ٤٢ — هل ما زلت تريده؟",
        body="مرحبا،\nلم نتمكن من تأكيد طلبك. (رسالة آلية)",
        reply_to="help@shop.example",
        message_id="01JDMSG000000000000000000A",
    )

    provider_id = deliver(envelope, sleep=no_sleep)

    sent = get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert [(m.id, m.source, m.destinations, m.subject, m.body) for m in sent] == [
        (provider_id, MAIL_FROM, {"ToAddresses": ["buyer@example.com"]}, envelope.subject, envelope.body)
    ]
    (request,) = params
    assert request["ReplyToAddresses"] == ["help@shop.example"]
    assert request["Content"]["Simple"]["Body"]["Text"]["Charset"] == "UTF-8"
    assert request["EmailTags"] == [{"Name": "tawasul_message_id", "Value": envelope.message_id}]


def test_email_without_reply_to_or_subject_is_still_well_formed():
    client("sesv2").create_email_identity(EmailIdentity=MAIL_FROM)
    params = captured_params("sesv2", "SendEmail")
    deliver(Envelope("email", "buyer@example.com", "\n  First line\nsecond"), sleep=no_sleep)
    (request,) = params
    assert "ReplyToAddresses" not in request
    assert request["Content"]["Simple"]["Subject"]["Data"] == "First line"


def test_unverified_sender_address_is_a_refusal_not_retried():
    # No identity created: SES (and moto) reject the message.
    slept: list[float] = []
    with pytest.raises(SendFailed) as failed:
        deliver(Envelope("email", "buyer@example.com", "hi", subject="s"), sleep=slept.append)
    assert failed.value.transient is False
    assert "not verified" in failed.value.reason and "MessageRejected" in failed.value.reason
    assert slept == []
    assert get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []


# --- SMS: Amazon SNS through moto ------------------------------------------------------------------


def test_sms_goes_through_sns_publish_as_transactional(monkeypatch):
    monkeypatch.setenv("TAWASUL_SMS_SENDER_ID", "ACMESHOP")
    params = captured_params("sns", "Publish")
    body = "أكد طلبك: https://api.example/orders/o1/confirm?token=t (رسالة آلية)"

    provider_id = deliver(Envelope("sms", "+966559998877", body), sleep=no_sleep)

    assert get_backend("sns")[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {provider_id: ("+966559998877", body)}
    (request,) = params
    assert request["PhoneNumber"] == "+966559998877"
    assert request["MessageAttributes"] == {
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "ACMESHOP"},
    }
    assert recorded() == []  # the local sender was not used


# --- WhatsApp: End User Messaging Social through a Stubber -----------------------------------------


def test_whatsapp_sends_a_meta_cloud_api_text_message():
    social = client("socialmessaging")
    envelope = Envelope("whatsapp", "+966559998877", "أكد طلبك: https://x.example/c?t=1", message_id="01JDMSG1")
    with Stubber(social) as stub:
        stub.add_response(
            "send_whatsapp_message",
            {"messageId": "wamid.HBgLOTY2NTU5OTk4ODc3"},
            expected_params={"originationPhoneNumberId": PHONE_NUMBER_ID, "metaApiVersion": "v20.0", "message": ANY},
        )
        params = captured_params("socialmessaging", "SendWhatsAppMessage")
        assert deliver(envelope, sleep=no_sleep) == "wamid.HBgLOTY2NTU5OTk4ODc3"
        stub.assert_no_pending_responses()
    (request,) = params
    assert isinstance(request["message"], bytes)
    assert json.loads(request["message"].decode("utf-8")) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+966559998877",
        "type": "text",
        "text": {"preview_url": False, "body": envelope.body},
        "biz_opaque_callback_data": "01JDMSG1",
    }


def test_whatsapp_throttling_is_retried_with_jittered_backoff_then_sent():
    social = client("socialmessaging")
    slept: list[float] = []
    draws = iter([0.9, 0.3])
    with Stubber(social) as stub:
        stub.add_client_error("send_whatsapp_message", "ThrottledRequestException", "Rate exceeded", 429)
        stub.add_client_error("send_whatsapp_message", "InternalServiceException", "oops", 500)
        stub.add_response("send_whatsapp_message", {"messageId": "wamid.3"})
        provider_id = deliver(Envelope("whatsapp", "+966559998877", "hi"), sleep=slept.append, rand=lambda: next(draws))
        stub.assert_no_pending_responses()
    assert provider_id == "wamid.3"
    assert slept == pytest.approx([0.9 * 0.25, 0.3 * 0.5])


def test_whatsapp_throttled_on_every_attempt_fails_transient():
    social = client("socialmessaging")
    slept: list[float] = []
    with Stubber(social) as stub:
        for _ in range(4):
            stub.add_client_error("send_whatsapp_message", "ThrottledRequestException", "Rate exceeded", 429)
        with pytest.raises(SendFailed) as failed:
            deliver(Envelope("whatsapp", "+966559998877", "hi"), sleep=slept.append, rand=lambda: 1.0)
        stub.assert_no_pending_responses()
    assert failed.value.transient is True
    assert failed.value.reason.startswith("WhatsApp (AWS End User Messaging Social) is throttling")
    assert failed.value.reason.endswith("Gave up after 4 attempts.")
    assert slept == [0.25, 0.5, 1.0]


def test_whatsapp_invalid_parameters_fail_at_once():
    social = client("socialmessaging")
    with Stubber(social) as stub:
        stub.add_client_error("send_whatsapp_message", "InvalidParametersException", "Recipient not on WhatsApp", 400)
        stub.add_response("send_whatsapp_message", {"messageId": "never"})
        with pytest.raises(SendFailed) as failed:
            deliver(Envelope("whatsapp", "+966559998877", "hi"), sleep=no_sleep)
        # the success queued after the error was never asked for
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()
    assert failed.value.transient is False
    assert "Recipient not on WhatsApp" in failed.value.reason


@pytest.mark.parametrize(
    ("code", "message", "status", "transient", "fragment"),
    [
        ("InvalidParameter", "Invalid parameter: PhoneNumber Reason: number is opted out", 400, False, "opted out"),
        ("InvalidParameter", "Invalid parameter: PhoneNumber", 400, False, "refused the message"),
        ("AuthorizationError", "not authorized to perform SNS:Publish", 403, True, "administrator"),
    ],
)
def test_sns_refusals(code, message, status, transient, fragment):
    with Stubber(client("sns")) as stub:
        stub.add_client_error("publish", code, message, status)
        with pytest.raises(SendFailed) as failed:
            deliver(Envelope("sms", "+966559998877", "hi"), sleep=no_sleep)
        stub.assert_no_pending_responses()
    assert failed.value.transient is transient
    assert fragment in failed.value.reason


def test_ses_503_is_retried():
    with Stubber(client("sesv2")) as stub:
        stub.add_client_error("send_email", "ServiceUnavailable", "Service Unavailable", 503)
        stub.add_client_error("send_email", "TooManyRequestsException", "Maximum sending rate exceeded.", 429)
        stub.add_response("send_email", {"MessageId": "ses-1"})
        assert deliver(Envelope("email", "a@b.example", "hi", subject="s"), sleep=no_sleep) == "ses-1"
        stub.assert_no_pending_responses()


def _raise_on_send(service: str, operation: str, errors: list[Exception]) -> list[int]:
    """Make the real client fail below botocore's request layer, as a broken network would."""
    calls: list[int] = []

    def fail(**_: object) -> None:
        calls.append(1)
        if errors:
            raise errors.pop(0)

    client(service).meta.events.register_first(f"before-send.{service}.{operation}", fail)
    return calls


def test_a_connection_that_never_opened_is_retried(monkeypatch):
    calls = _raise_on_send("sns", "Publish", [EndpointConnectionError(endpoint_url="https://sns.example")])
    provider_id = deliver(Envelope("sms", "+966559998877", "hi"), sleep=no_sleep)
    assert len(calls) == 2  # botocore's own retries are off: one failure, one success
    assert provider_id in get_backend("sns")[DEFAULT_ACCOUNT_ID][REGION].sms_messages


def test_no_answer_after_the_request_went_out_is_not_resent():
    calls = _raise_on_send("sns", "Publish", [ReadTimeoutError(endpoint_url="https://sns.example")] * 3)
    with pytest.raises(SendFailed) as failed:
        deliver(Envelope("sms", "+966559998877", "hi"), sleep=no_sleep)
    assert len(calls) == 1
    assert failed.value.transient is True and "may or may not have been sent" in failed.value.reason
    assert get_backend("sns")[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {}


def test_importing_the_app_creates_no_sender_clients():
    code = (
        "import sys, boto3\n"
        "made = []\n"
        "real = boto3.client\n"
        "boto3.client = lambda name, *a, **k: made.append(name) or real(name, *a, **k)\n"
        "import app, chalicelib.messaging\n"
        "assert 'chalicelib.messaging.aws' not in sys.modules, 'aws senders imported at start-up'\n"
        "assert not {'sesv2', 'sns', 'socialmessaging'} & set(made), made\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=120)
