"""A lead's quote changes: one item per change in the lead's partition (``HISTV#<at>#<seq>``),
read with the lead."""

from __future__ import annotations

from chalicelib.domain.quotes import QuoteChange
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import QuoteChangeItem


def to_item(change: QuoteChange) -> QuoteChangeItem:
    return QuoteChangeItem(
        keys.lead(change.org_id, change.lead_id),
        keys.quote_change(change.at, change.seq),
        lead_id=change.lead_id,
        account_id=change.account_id,
        old_value=change.old,
        new_value=change.new,
        reason=change.reason,
        note=change.note or None,
        by=change.by,
        at=change.at,
    )


def to_domain(item: QuoteChangeItem, org_id: str) -> QuoteChange:
    return QuoteChange(
        org_id=org_id,
        lead_id=item.lead_id,
        account_id=item.account_id,
        old=db.plain(item.old_value) or None,
        new=db.plain(item.new_value) or None,
        reason=item.reason,  # type: ignore[arg-type]
        note=item.note or "",
        by=item.by,
        at=item.at,
        seq=int(item.sk.rsplit("#", 1)[-1]),
    )


def add(tx: db.Transaction, change: QuoteChange) -> None:
    tx.save(to_item(change), QuoteChangeItem.sk.does_not_exist(), conflict="The lead was changed meanwhile; retry.")
