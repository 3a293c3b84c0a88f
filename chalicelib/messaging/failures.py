"""What a provider error means for a message: retry it, give up for now, or accept a refusal.

Three verdicts, because a rep acts differently on each:
- ``retry``: the provider did not take the request for load or an outage (throttling, HTTP 429/5xx,
  no connection), so it cannot have been sent; ``deliver`` tries again with backoff.
- ``give up``, transient: the problem is ours or the provider account's (configuration, credentials,
  sending paused, quota), or the request may have been sent without an answer (read timeout).
  Retrying now cannot help, or could send twice.
- ``refused``, permanent: this message or recipient will not be accepted (invalid number, opted out,
  rejected content, sender not verified, ...).
Codes are matched exactly; the provider's own message is kept in the reason, never used to choose a
verdict except for opt-outs, which SNS and End User Messaging report under generic codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.messaging import Channel

Kind = Literal["retry", "give_up", "refused"]

PROVIDERS: dict[Channel, str] = {
    "email": "The e-mail service (Amazon SES)",
    "sms": "The SMS service (Amazon SNS)",
    "whatsapp": "WhatsApp (AWS End User Messaging Social)",
}

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "ThrottledRequestException",  # End User Messaging Social
        "TooManyRequestsException",  # SES v2
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "KMSThrottling",
        "KMSThrottlingException",
    }
)
UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",  # SNS
        "InternalErrorException",
        "InternalServiceException",  # End User Messaging Social
        "InternalServerError",
        "InternalServerException",
        "DependencyException",  # End User Messaging Social: Meta's side failed
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)
# Ours to fix (or wait out), not the message's fault.
ACCOUNT_CODES = {
    "AccountSuspendedException": "the sending account is suspended",
    "SendingPausedException": "sending is paused for the account",
    "LimitExceededException": "the account's sending quota is used up",
    "AccessDenied": "Tawasul is not allowed to send through it",
    "AccessDeniedException": "Tawasul is not allowed to send through it",
    "AuthorizationError": "Tawasul is not allowed to send through it",
    "UnrecognizedClientException": "Tawasul's credentials were not accepted",
    "InvalidClientTokenId": "Tawasul's credentials were not accepted",
    "ExpiredToken": "Tawasul's credentials have expired",
    "ExpiredTokenException": "Tawasul's credentials have expired",
    "KMSDisabled": "the encryption key it needs is disabled",
    "KMSAccessDenied": "the encryption key it needs is not accessible",
    "KMSNotFound": "the encryption key it needs does not exist",
    "KMSInvalidState": "the encryption key it needs is not usable",
    "KMSOptInRequired": "the encryption key it needs is not enabled",
}
OPT_OUT_CODES = frozenset({"OptedOut", "OptedOutException"})
NOT_VERIFIED_CODES = frozenset({"MailFromDomainNotVerifiedException", "MailFromDomainNotVerified"})


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str
    code: str

    @property
    def retry(self) -> bool:
        return self.kind == "retry"

    @property
    def transient(self) -> bool:
        return self.kind != "refused"


def classify(error: Exception, channel: Channel) -> Verdict:
    """The verdict on ``error`` raised by an AWS sender for ``channel``."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
        ReadTimeoutError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    provider = PROVIDERS.get(channel, "The provider")
    if isinstance(error, ClientError):
        return _client_error(error, provider, channel)
    name = type(error).__name__
    if isinstance(error, ReadTimeoutError | ConnectionClosedError):
        return Verdict(
            "give_up",
            f"{provider} did not answer in time. The message may or may not have been sent, so it was "
            "not sent again; check with the customer before resending.",
            name,
        )
    if isinstance(error, BotoConnectionError):  # no connection, connect timeout, TLS: nothing was sent
        return Verdict("retry", f"{provider} could not be reached (network error).", name)
    if isinstance(error, NoCredentialsError | NoRegionError):
        return Verdict("give_up", f"{provider} was not called: Tawasul has no AWS credentials or region.", name)
    if isinstance(error, ParamValidationError):
        return Verdict("refused", f"{provider} cannot take this message: {_clip(str(error))}", name)
    return Verdict("give_up", f"{provider} call failed ({name}): {_clip(str(error))}", name)


def _client_error(error: Exception, provider: str, channel: Channel) -> Verdict:
    response = getattr(error, "response", {}) or {}
    details = response.get("Error", {}) or {}
    code = str(details.get("Code", "") or "Unknown")
    message = _clip(str(details.get("Message", "") or ""))
    status = int((response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode", 0) or 0)
    said = f" ({code}: {message})" if message else f" ({code})"

    if code in OPT_OUT_CODES or "opted out" in message.lower() or "opted_out" in message.lower():
        what = {"email": "e-mails", "sms": "SMS messages", "whatsapp": "WhatsApp messages"}.get(channel, "messages")
        return Verdict("refused", f"The customer has opted out of {what} from this sender{said}.", code)
    if code in THROTTLING_CODES or status == 429:
        return Verdict("retry", f"{provider} is throttling Tawasul's messages{said}.", code)
    if code in UNAVAILABLE_CODES or status >= 500:
        return Verdict("retry", f"{provider} was unavailable{said}.", code)
    if code in NOT_VERIFIED_CODES or (code == "MessageRejected" and "not verified" in message.lower()):
        return Verdict(
            "refused",
            f"{provider} refused the e-mail because an address is not verified with it (an administrator "
            f"must verify the sender address, or move the account out of the SES sandbox){said}.",
            code,
        )
    if code in ACCOUNT_CODES:
        why = ACCOUNT_CODES[code]
        return Verdict("give_up", f"{provider} did not send it: {why} (an administrator must fix this){said}.", code)
    return Verdict("refused", f"{provider} refused the message{said}.", code)


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
