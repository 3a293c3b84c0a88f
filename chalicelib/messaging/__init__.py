"""Outbound messages to customers: SMS, WhatsApp and e-mail through adapters chosen by configuration.

The outbox (orders, follow-ups) hands an ``Envelope`` to ``deliver`` and records what comes back:
the provider's message id, or ``SendFailed`` with a reason a rep can read. ``TAWASUL_SENDERS``
chooses the adapters: ``local`` (the default on the local and test stages) only records what it
would send, ``aws`` sends through Amazon SES v2, Amazon SNS and AWS End User Messaging Social;
``aws,whatsapp=local`` chooses per channel. Nothing here imports boto3 until a message goes out
through an AWS adapter, so importing the app stays cheap.

``deliver`` retries only what cannot have been sent yet or was refused for load (throttling, 5xx,
no connection), with exponential backoff and full jitter. A request that may have reached the
provider without an answer (read timeout) is not retried: a customer must never get a confirmation
twice, so it fails with a reason that says so.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from chalicelib.config import environment
from chalicelib.observability import logger

Channel = Literal["sms", "whatsapp", "email"]
CHANNELS: tuple[Channel, ...] = ("sms", "whatsapp", "email")
SenderMode = Literal["local", "aws"]

# A few attempts, spaced by full-jitter exponential backoff: at most 0.25 + 0.5 + 1 s of sleep, so a
# ladder run that meets a throttled provider still finishes well inside its Lambda timeout.
DEFAULT_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 4.0

# Provider limits checked before sending, so an impossible message fails at once with a clear reason.
MAX_SMS_CHARS = 1600  # Amazon SNS: 1,600 characters, split into parts by the carrier
MAX_WHATSAPP_CHARS = 4096  # Meta Cloud API text body
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class Envelope:
    channel: Channel
    to: str  # E.164 phone for sms/whatsapp, an e-mail address for email
    body: str  # plain text (e-mail: the text part)
    subject: str | None = None  # e-mail only
    reply_to: str | None = None  # e-mail only (the organisation's support address)
    message_id: str = ""  # our outbox message id (for logs / provider idempotency where offered)


class SendFailed(Exception):
    """Raised by deliver(): the message could not be sent. `reason` is shown to users (kept on the
    message as its failure reason); `transient` says whether retries were exhausted (True) or the
    provider refused it for good (False)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class SenderNotConfigured(Exception):
    """The configuration names an unknown sender, or an AWS sender lacks its identity (From address,
    WhatsApp phone number id). ``deliver`` turns it into ``SendFailed(transient=True)``."""


class Sender(Protocol):
    def send(self, envelope: Envelope) -> str: ...  # returns the provider's message id


def sender_modes(setting: str) -> dict[Channel, SenderMode]:
    """``local`` | ``aws`` | ``aws,whatsapp=local``: a bare word is the default for every channel,
    ``channel=mode`` overrides one."""
    default: SenderMode = "local"
    overrides: dict[Channel, SenderMode] = {}
    for raw in setting.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        channel, _, word = item.rpartition("=")
        mode: SenderMode
        if word == "local":
            mode = "local"
        elif word == "aws":
            mode = "aws"
        else:
            raise SenderNotConfigured(f"TAWASUL_SENDERS: unknown sender {word!r} (use 'local' or 'aws').")
        if not channel:
            default = mode
        elif channel in CHANNELS:
            overrides[cast(Channel, channel)] = mode
        else:
            raise SenderNotConfigured(f"TAWASUL_SENDERS: unknown channel {channel!r} (sms, whatsapp, email).")
    return {channel: overrides.get(channel, default) for channel in CHANNELS}


def sender_for(channel: Channel) -> Sender:
    """The adapter configured for ``channel`` (``TAWASUL_SENDERS``)."""
    settings = environment()
    mode = sender_modes(settings.senders)[channel]
    if mode == "local":
        from chalicelib.messaging.local import LOCAL_SENDER

        return LOCAL_SENDER
    from chalicelib.messaging import aws

    return aws.sender(channel, settings)


def address_problem(envelope: Envelope) -> str | None:
    """Why this envelope cannot be sent by any provider, in words a rep understands; None if it can."""
    if envelope.channel not in CHANNELS:
        return f"Tawasul cannot send messages by {envelope.channel!r}."
    if not envelope.body.strip():
        return "The message is empty, so it was not sent."
    if envelope.channel == "email":
        if not _EMAIL.match(envelope.to):
            return f"{envelope.to!r} is not an e-mail address, so no e-mail was sent."
        if envelope.reply_to and not _EMAIL.match(envelope.reply_to):
            return f"The reply-to address {envelope.reply_to!r} is not an e-mail address."
        return None
    label = "SMS" if envelope.channel == "sms" else "WhatsApp message"
    if not _E164.match(envelope.to):
        return f"{envelope.to!r} is not a phone number in international format (+9665...), so no {label} was sent."
    limit = MAX_SMS_CHARS if envelope.channel == "sms" else MAX_WHATSAPP_CHARS
    if len(envelope.body) > limit:
        return f"The message has {len(envelope.body)} characters; a {label} holds at most {limit}."
    return None


def backoff_delay(
    retry: int,
    *,
    rand: Callable[[], float] = random.random,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
) -> float:
    """Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform pick in
    ``[0, min(cap, base * 2**retry))`` before retry number ``retry`` (0 for the first retry)."""
    return rand() * min(cap, base * (2**retry))


def deliver(
    envelope: Envelope,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> str:
    """Send ``envelope`` through the configured adapter and return the provider's message id.

    Throttling, provider 5xx and connection failures are retried up to ``attempts`` times in all with
    full-jitter backoff, then ``SendFailed(transient=True)``; a refusal of the message or recipient
    (invalid number, opted out, rejected, sender not verified, ...) is ``SendFailed(transient=False)``
    at once; a problem on our side (configuration, account paused, no answer after the request went
    out) is ``SendFailed(transient=True)`` at once."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.messaging.failures import classify

    problem = address_problem(envelope)
    if problem:
        raise SendFailed(problem, transient=False)
    try:
        sender = sender_for(envelope.channel)
    except SenderNotConfigured as error:
        raise SendFailed(f"Sending is not configured: {error}", transient=True)
    log_keys = {"channel": envelope.channel, "message_id": envelope.message_id}
    attempt = 0
    while True:
        attempt += 1
        try:
            provider_id = sender.send(envelope)
        except SenderNotConfigured as error:
            raise SendFailed(f"Sending is not configured: {error}", transient=True)
        except (ClientError, BotoCoreError) as error:
            verdict = classify(error, envelope.channel)
            if verdict.retry and attempt < attempts:
                delay = backoff_delay(attempt - 1, rand=rand)
                logger.warning(
                    "message send failed; retrying",
                    extra={**log_keys, "attempt": attempt, "error": verdict.code, "delay_s": round(delay, 3)},
                )
                sleep(delay)
                continue
            reason = verdict.reason
            if verdict.retry:
                reason = f"{reason} Gave up after {attempt} attempts."
            logger.warning(
                "message not sent",
                extra={**log_keys, "attempt": attempt, "error": verdict.code, "transient": verdict.transient},
            )
            raise SendFailed(reason, transient=verdict.transient) from error
        logger.info("message sent", extra={**log_keys, "attempt": attempt, "provider_message_id": provider_id})
        return provider_id


def recorded() -> list[tuple[Envelope, str]]:
    """What the local sender recorded, oldest first (tests, ``make run``)."""
    from chalicelib.messaging.local import LOCAL_SENDER

    return LOCAL_SENDER.recorded()


def clear_recorded() -> None:
    from chalicelib.messaging.local import LOCAL_SENDER

    LOCAL_SENDER.clear()


__all__ = [
    "CHANNELS",
    "Channel",
    "Envelope",
    "SendFailed",
    "Sender",
    "SenderNotConfigured",
    "address_problem",
    "backoff_delay",
    "clear_recorded",
    "deliver",
    "recorded",
    "sender_for",
    "sender_modes",
]
