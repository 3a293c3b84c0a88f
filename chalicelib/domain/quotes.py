"""Honest quote changes: a lead's value changes only with a reason, kept in its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.timeline import TimelineEntry, timeline_entry

ValueChangeReason = Literal["scope_change", "add_on", "discount", "correction"]
REASONS: tuple[ValueChangeReason, ...] = ("scope_change", "add_on", "discount", "correction")


@dataclass(frozen=True)
class QuoteChange:
    org_id: str
    lead_id: str
    account_id: str
    old: dict[str, str] | None
    new: dict[str, str] | None
    reason: ValueChangeReason
    note: str
    by: str
    at: datetime
    seq: int = 0  # the lead's version after the change (orders two changes in one instant)


def quote_change(
    *,
    org_id: str,
    lead_id: str,
    account_id: str,
    old: dict[str, str] | None,
    new: dict[str, str] | None,
    reason: ValueChangeReason | None,
    note: str,
    by: str,
    at: datetime,
) -> QuoteChange | None:
    """The record of a changed quote, or None when nothing changed or a first value is set.

    Changing (or removing) a value the lead already had needs a reason."""
    if old is None or old == new:
        return None
    if reason is None:
        raise ValidationFailed.single(
            "value_change_reason", f"changing a quoted value needs a reason: one of {', '.join(REASONS)}"
        )
    return QuoteChange(org_id, lead_id, account_id, old, new, reason, note.strip(), by, at)


def quote_change_entry(change: QuoteChange, title: str) -> TimelineEntry:
    return timeline_entry(
        "quote_change",
        org_id=change.org_id,
        account_id=change.account_id,
        at=change.at,
        entity_id=change.lead_id,
        data={
            "title": title,
            "old_value": change.old,
            "new_value": change.new,
            "reason": change.reason,
            "note": change.note or None,
            "by": change.by,
        },
        lead_id=change.lead_id,
    )
