"""The merged, newest-first history of one customer across every channel.

Every entry is built by ``timeline_entry``; whatever records an event (a stage move, an
objection, an order, a sent message) adds that entry to the transaction making the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.ids import new_id

TimelineKind = Literal[
    "interaction",
    "lead_created",
    "stage_move",
    "lost",
    "objection",
    "referral_request",
    "referral",
    "order",
    "order_event",
    "message",
    "coupon",
    "coupon_redeemed",
    "follow_up",
    "quote_change",
]


@dataclass(frozen=True)
class TimelineEntry:
    """One entry. ``entity_id`` names what it records (interaction, lead, objection, order,
    message ...); ``data`` carries the few fields a timeline row shows."""

    id: str
    account_id: str
    kind: TimelineKind
    at: datetime
    entity_id: str
    lead_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    org_id: str = ""


def timeline_entry(
    kind: TimelineKind,
    *,
    org_id: str,
    account_id: str,
    at: datetime,
    entity_id: str,
    data: dict[str, Any] | None = None,
    lead_id: str | None = None,
    entry_id: str | None = None,
) -> TimelineEntry:
    """The one way to build an entry: ``None`` values are left out of ``data`` (a row shows what
    there is); ``entry_id`` defaults to a new id (pass the recorded thing's id to make a replay
    write the same entry)."""
    return TimelineEntry(
        id=entry_id or new_id(),
        account_id=account_id,
        kind=kind,
        at=at,
        entity_id=entity_id,
        lead_id=lead_id,
        data={k: v for k, v in (data or {}).items() if v is not None},
        org_id=org_id,
    )
