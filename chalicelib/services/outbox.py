"""The outbox's sender: hand due messages to ``messaging.deliver`` exactly once.

For each due message: claim it (queued -> sending, one conditional write), deliver, record
``sent`` with the provider's id (or ``failed`` with ``SendFailed``'s reason). Two senders at
once: one claim wins, the other skips. A crash after delivering and before recording leaves the
message ``sending``; once ``SEND_TIMEOUT`` has passed, a later run records it ``failed`` with
``NOT_CONFIRMED`` as the reason instead of sending it a second time. A message about an order
that moved on meanwhile (confirmed before its reminder went out, cancelled, refunded ...) ends
``failed`` with that reason, unsent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import messaging
from chalicelib.domain.errors import Conflict, Unavailable
from chalicelib.domain.messages import NOT_CONFIRMED, Message, is_stuck, obsolete_reason
from chalicelib.observability import logger
from chalicelib.persistence import messages as store


def envelope(message: Message) -> messaging.Envelope:
    return messaging.Envelope(
        channel=message.channel,  # type: ignore[arg-type]
        to=message.to,
        body=message.body,
        subject=message.subject,
        reply_to=message.reply_to,
        message_id=message.id,
    )


def deliver_due(now: datetime, queued: Sequence[Message] = ()) -> dict[str, Any]:
    """One pass over the due outbox entries; returns counts for the job's log.

    ``queued``: messages the calling job queued a moment ago in this run (as stored: version 1),
    sent first without reading them back; their claim is the same conditional write, so one that
    another sender took meanwhile is skipped, and once recorded their due entries are gone, so
    the pass over the due entries does not read them again."""
    counts = {"sent": 0, "failed": 0, "not_confirmed": 0, "skipped": 0, "obsolete": 0}
    for just_queued in queued:
        if just_queued.status == "queued" and just_queued.send_at <= now:
            counts[send(just_queued, now)] += 1
    entries = store.due_entries(now)
    if not entries:
        return counts
    found, order_statuses = store.read(entries)
    for entry in entries:
        message = found.get((entry.target_pk, entry.target_sk))
        if message is None or message.status in ("sent", "failed"):
            store.drop_due(entry)  # erased, or already recorded: nothing left to do
            continue
        obsolete = obsolete_reason(message.kind, order_statuses.get(message.order_id or ""))
        if message.status == "queued" and obsolete:
            claimed = store.claim(message, now)  # claimed so that no other sender sends it either
            if claimed is not None:
                # a follow-up that must not go out any more is skipped; a confirmation request failed
                status = "failed" if message.kind == "order_confirmation" else "skipped"
                _record(claimed, replace(claimed, status=status, failure_reason=obsolete, updated_at=now))
                counts["obsolete"] += 1
            continue
        if message.status == "sending":
            if is_stuck(message, now):
                _record(message, replace(message, status="failed", failure_reason=NOT_CONFIRMED, updated_at=now))
                counts["not_confirmed"] += 1
            else:
                counts["skipped"] += 1  # another sender holds it right now
            continue
        counts[send(message, now)] += 1
    return counts


def send(message: Message, now: datetime) -> str:
    claimed = store.claim(message, now)
    if claimed is None:
        return "skipped"
    try:
        provider_id = messaging.deliver(envelope(claimed))
    except messaging.SendFailed as failure:
        _record(claimed, replace(claimed, status="failed", failure_reason=failure.reason, updated_at=now))
        return "failed"
    _record(claimed, replace(claimed, status="sent", provider_id=provider_id, sent_at=now, updated_at=now))
    return "sent"


RECORD_ATTEMPTS = 5


def _record(claimed: Message, after: Message) -> None:
    """Record the outcome. The message has been handed to the provider: a store that is busy now
    must not turn it into "delivery not confirmed", so the write is retried a few times (with full
    jitter) before the run gives up. A retry of a write that did land meets its own condition
    (no longer ``sending``): a Conflict, logged like another sender's."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            store.finish(claimed, after)
            return
        except Conflict:
            logger.warning("message recorded by another sender", extra={"message_id": claimed.id})
            return
        except Unavailable:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
