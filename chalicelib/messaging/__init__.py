"""Sending messages: the interface the outbox calls (see prompts/interfaces.md).

MINIMAL STAND-IN written by the ``orders`` branch: only the local recording sender and a
``deliver`` without retries. The ``messaging`` branch owns the real module (SES v2, SNS,
WhatsApp through AWS End User Messaging Social, retries with backoff and jitter); the integrator
takes that version at merge. Keep the names and signatures exactly as documented.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol

from chalicelib.ids import new_id

Channel = Literal["sms", "whatsapp", "email"]


@dataclass(frozen=True)
class Envelope:
    channel: Channel
    to: str  # E.164 phone for sms/whatsapp, an e-mail address for email
    body: str  # plain text (e-mail: text part)
    subject: str | None = None  # e-mail only
    reply_to: str | None = None  # e-mail only (the org's support address)
    message_id: str = ""  # our outbox message id (for logs / provider idempotency where offered)


class SendFailed(Exception):
    """Raised by deliver(): the message could not be sent. ``reason`` is shown to users (kept on the
    message as its failure reason); ``transient`` says whether retries were exhausted (True) or the
    provider refused it for good (False)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Sender(Protocol):
    def send(self, envelope: Envelope) -> str: ...  # returns the provider's message id


_recorded: list[tuple[Envelope, str]] = []
_lock = threading.Lock()


class LocalSender:
    """Records what it would have sent (tests, ``make run``)."""

    def send(self, envelope: Envelope) -> str:
        provider_id = f"local-{new_id()}"
        with _lock:
            _recorded.append((envelope, provider_id))
        return provider_id


def sender_for(channel: Channel) -> Sender:
    # The stand-in knows only the local sender (TAWASUL_SENDERS=local).
    return LocalSender()


def deliver(envelope: Envelope) -> str:
    return sender_for(envelope.channel).send(envelope)


def recorded() -> list[tuple[Envelope, str]]:
    with _lock:
        return list(_recorded)


def clear_recorded() -> None:
    with _lock:
        _recorded.clear()
