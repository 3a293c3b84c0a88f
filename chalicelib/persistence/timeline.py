"""Timeline entries: one item per event in the account partition, newest first by sort key.

Whatever records an event (a stage move, an objection, an order, a sent message) builds the entry
with ``domain.timeline.timeline_entry`` and adds it with ``add(tx, entry)`` to the transaction that
makes the change, so the timeline never shows something that did not happen, nor misses something
that did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import timeline as domain
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeline import TimelineEntry, TimelineKind
from chalicelib.domain.timeutil import format_exact, parse_rfc3339
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import Item, TimelineItem


def to_item(entry: TimelineEntry) -> TimelineItem:
    item = TimelineItem(
        keys.account(entry.org_id, entry.account_id),
        keys.timeline(keys.moment(entry.at), entry.kind, entry.id),
        id=entry.id,
        entry_type=entry.kind,
        at=format_exact(entry.at),
        account_id=entry.account_id,
        entity_id=entry.entity_id,
        lead_id=entry.lead_id,
        data=dict(entry.data) or None,
    )
    if entry.kind == "interaction":
        # PATCH /interactions/{id} finds the entry by id.
        item.gsi3pk = keys.interaction_lookup(entry.org_id, entry.entity_id)
        item.gsi3sk = keys.INTERACTION_LOOKUP_SK
    if entry.kind == "interaction" and entry.data.get("direction") == "inbound":
        # The contact-success report reads one month of inbound messages with one Query.
        item.gsi1pk = keys.inquiries(entry.org_id, entry.at)
        item.gsi1sk = keys.sortable(entry.at, entry.entity_id)
    return item


def add(tx: db.Transaction, entry: TimelineEntry) -> None:
    """Add an entry to the transaction that makes the change it records (written once)."""
    save_new(tx, to_item(entry))


def save_new(tx: db.Transaction, item: TimelineItem) -> None:
    tx.save(item, TimelineItem.sk.does_not_exist(), conflict="This timeline entry already exists.")


def timeline_entry(
    org_id: str,
    account_id: str,
    kind: str,
    at: datetime,
    entity_id: str,
    data: dict[str, Any] | None = None,
    *,
    lead_id: str | None = None,
    entry_id: str | None = None,
) -> TimelineItem:
    """Kept for callers written before ``domain.timeline.timeline_entry``: the same entry, as the
    item ``save_new`` writes. New code builds the domain entry and calls ``add``."""
    entry = domain.timeline_entry(
        kind,  # type: ignore[arg-type]
        org_id=org_id,
        account_id=account_id,
        at=at,
        entity_id=entity_id,
        data=data,
        lead_id=lead_id,
        entry_id=entry_id,
    )
    return to_item(entry)


# Kept importable from here; it belongs to the account.
account_exists_check = account_store.add_exists_check


def to_domain(item: TimelineItem, org_id: str) -> TimelineEntry:
    kind: TimelineKind = item.entry_type  # type: ignore[assignment]
    return TimelineEntry(
        id=item.id,
        account_id=item.account_id or "",
        kind=kind,
        at=parse_rfc3339(item.at),
        entity_id=item.entity_id or item.id,
        lead_id=item.lead_id,
        data=db.plain(item.data),
        org_id=org_id,
    )


@db.bound
def page(principal: Principal, account_id: str, limit: int, cursor: str | None) -> db.Page[TimelineEntry]:
    """One page of an account's timeline, newest first: after the visibility read, one Query."""
    account_store.get(principal, account_id)
    pk = keys.account(principal.org_id, account_id)
    start = db.decode_cursor(cursor, hash_attribute="pk", hash_value=pk, range_prefix=keys.TIMELINE_PREFIX)
    result = Item.query(
        pk,
        Item.sk.startswith(keys.TIMELINE_PREFIX),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
    )
    entries = [to_domain(row, principal.org_id) for row in result if isinstance(row, TimelineItem)]
    return db.Page(entries, db.encode_cursor(result.last_evaluated_key))
