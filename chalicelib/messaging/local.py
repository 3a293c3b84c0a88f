"""The local sender: records what would have been sent (tests, ``make run``); sends nothing."""

from __future__ import annotations

import threading
import uuid

from chalicelib.messaging import Envelope
from chalicelib.observability import logger


class LocalSender:
    """Keeps every envelope with the id it was given, in memory, for the life of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[tuple[Envelope, str]] = []

    def send(self, envelope: Envelope) -> str:
        provider_id = f"local-{uuid.uuid4()}"
        with self._lock:
            self._sent.append((envelope, provider_id))
        # Local stages only: the body (with its confirmation link) in the log is what a developer needs.
        logger.info(
            "message recorded by the local sender",
            extra={
                "channel": envelope.channel,
                "to": envelope.to,
                "subject": envelope.subject,
                "body": envelope.body,
                "message_id": envelope.message_id,
                "provider_message_id": provider_id,
            },
        )
        return provider_id

    def recorded(self) -> list[tuple[Envelope, str]]:
        with self._lock:
            return list(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()


LOCAL_SENDER = LocalSender()
