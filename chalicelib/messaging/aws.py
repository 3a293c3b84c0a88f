"""The AWS senders: Amazon SES v2 (e-mail), Amazon SNS (SMS), AWS End User Messaging Social (WhatsApp).

Clients are created on first use and reused across invocations. botocore's own retries are off:
``deliver`` is the one place that decides what may be retried, so a message is never sent by a
hidden retry after a request that may already have reached the provider. Endpoints come from the
standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` variables (boto3 reads them itself).
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import Any

from chalicelib.config import Environment, environment
from chalicelib.messaging import Channel, Envelope, Sender, SenderNotConfigured

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
EMAIL_TAG_NAME = "tawasul_message_id"
# SES message tag values: ASCII letters, digits, '_', '-', '.', '@'; at most 256 characters.
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_.@-]{1,256}$")
_SUBJECT_MAX = 998  # RFC 5322 line length

_client_lock = threading.Lock()


@lru_cache(maxsize=8)
def _client(service: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    return boto3.client(service, region_name=region, config=config)


def client(service: str) -> Any:
    """The shared client for ``service`` (``sesv2``, ``sns``, ``socialmessaging``)."""
    region = environment().region
    # Creating a boto3 client is not thread-safe; two ladder threads may ask at once.
    with _client_lock:
        return _client(service, region)


def reset_clients() -> None:
    """Forget the cached clients (tests switch between moto and stubbed clients)."""
    with _client_lock:
        _client.cache_clear()


class SesEmailSender:
    def __init__(self, mail_from: str) -> None:
        self.mail_from = mail_from

    def send(self, envelope: Envelope) -> str:
        subject = " ".join((envelope.subject or _first_line(envelope.body)).split())[:_SUBJECT_MAX]
        request: dict[str, Any] = {
            "FromEmailAddress": self.mail_from,
            "Destination": {"ToAddresses": [envelope.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": envelope.body, "Charset": "UTF-8"}},
                }
            },
        }
        if envelope.reply_to:
            request["ReplyToAddresses"] = [envelope.reply_to]
        if _TAG_VALUE.match(envelope.message_id):
            # Comes back in SES event publishing (bounces, complaints), naming our outbox message.
            request["EmailTags"] = [{"Name": EMAIL_TAG_NAME, "Value": envelope.message_id}]
        return str(client("sesv2").send_email(**request)["MessageId"])


class SnsSmsSender:
    def __init__(self, sender_id: str | None) -> None:
        self.sender_id = sender_id

    def send(self, envelope: Envelope) -> str:
        # Transactional: highest delivery reliability, and delivered to numbers on DND lists where allowed.
        attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        response = client("sns").publish(PhoneNumber=envelope.to, Message=envelope.body, MessageAttributes=attributes)
        return str(response["MessageId"])


def whatsapp_text_message(envelope: Envelope) -> dict[str, Any]:
    """The Meta Cloud API message object for a text message (what End User Messaging Social passes on)."""
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": envelope.to,
        "type": "text",
        # No preview card: WhatsApp would fetch the confirmation page for it; the plain link is enough.
        "text": {"preview_url": False, "body": envelope.body},
    }
    if envelope.message_id:
        # Echoed in the status webhooks (delivered, read, failed), naming our outbox message.
        message["biz_opaque_callback_data"] = envelope.message_id[:512]
    return message


class WhatsAppSender:
    def __init__(self, phone_number_id: str, meta_api_version: str) -> None:
        self.phone_number_id = phone_number_id
        self.meta_api_version = meta_api_version

    def send(self, envelope: Envelope) -> str:
        payload = json.dumps(whatsapp_text_message(envelope), ensure_ascii=False).encode("utf-8")
        response = client("socialmessaging").send_whatsapp_message(
            originationPhoneNumberId=self.phone_number_id,
            message=payload,
            metaApiVersion=self.meta_api_version,
        )
        return str(response["messageId"])


def sender(channel: Channel, settings: Environment) -> Sender:
    if channel == "email":
        if not settings.mail_from:
            raise SenderNotConfigured("e-mail needs a verified sender address in TAWASUL_MAIL_FROM.")
        return SesEmailSender(settings.mail_from)
    if channel == "sms":
        return SnsSmsSender(settings.sms_sender_id)
    if channel == "whatsapp":
        if not settings.whatsapp_phone_number_id:
            raise SenderNotConfigured("WhatsApp needs the sending phone number id in TAWASUL_WHATSAPP_PHONE_NUMBER_ID.")
        return WhatsAppSender(settings.whatsapp_phone_number_id, settings.whatsapp_meta_api_version)
    raise SenderNotConfigured(f"no AWS sender for channel {channel!r}.")


def _first_line(body: str) -> str:
    return next((line for line in body.splitlines() if line.strip()), "")
