"""Timeline entries: one item per event in the account partition, newest first by sort key.

Whatever records an event (a stage move, an objection, an order, a sent message) adds the entry
built by ``timeline_entry`` to the transaction that makes the change, so the timeline never shows
something that did not happen, nor misses something that did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.interactions import Interaction
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeline import TimelineEntry
from chalicelib.domain.timeutil import format_rfc3339, parse_rfc3339
from chalicelib.ids import new_id
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import AccountItem, Item, TimelineItem


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
    """The item to write, in the same transaction as the change it records, for one entry."""
    entry = entry_id or new_id()
    return TimelineItem(
        keys.account(org_id, account_id),
        keys.timeline(keys.moment(at), kind, entry),
        id=entry,
        entry_type=kind,
        at=format_rfc3339(at),
        account_id=account_id,
        entity_id=entity_id,
        lead_id=lead_id,
        data={k: v for k, v in (data or {}).items() if v is not None} or None,
    )


def save_new(tx: db.Transaction, item: TimelineItem) -> None:
    tx.save(item, TimelineItem.sk.does_not_exist(), conflict="This timeline entry already exists.")


def account_exists_check(tx: db.Transaction, org_id: str, account_id: str) -> None:
    """Inside a transaction: the account still exists (it was not erased meanwhile)."""
    probe = AccountItem(keys.account(org_id, account_id), keys.PROFILE)
    tx.check(probe, AccountItem.pk.exists(), conflict="The account was erased meanwhile.")


def to_domain(item: TimelineItem) -> TimelineEntry:
    return TimelineEntry(
        id=item.id,
        account_id=item.account_id or "",
        kind=item.entry_type,
        at=parse_rfc3339(item.at),
        entity_id=item.entity_id or item.id,
        lead_id=item.lead_id,
        data=db.plain(item.data),
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
    entries = [to_domain(row) for row in result if isinstance(row, TimelineItem)]
    return db.Page(entries, db.encode_cursor(result.last_evaluated_key))


# -- interactions ---------------------------------------------------------------------------


def _interaction_item(interaction: Interaction) -> TimelineItem:
    item = timeline_entry(
        interaction.org_id,
        interaction.account_id,
        "interaction",
        interaction.occurred_at,
        interaction.id,
        {
            "channel": interaction.channel,
            "direction": interaction.direction,
            "body": interaction.body,
            "intent": interaction.intent,
            "logged_by": interaction.logged_by,
            "rep_id": interaction.rep_id,
            "created_at": format_rfc3339(interaction.created_at),
        },
        lead_id=interaction.lead_id,
        entry_id=interaction.id,
    )
    if interaction.direction == "inbound":
        # The contact-success report reads one month of inbound messages with one Query.
        item.gsi1pk = keys.inquiries(interaction.org_id, interaction.occurred_at)
        item.gsi1sk = keys.sortable(interaction.occurred_at, interaction.id)
    return item


@db.bound
def log_interaction(interaction: Interaction) -> Interaction:
    """One transaction: the timeline entry, and a check that the account still exists."""
    with db.transaction() as tx:
        save_new(tx, _interaction_item(interaction))
        account_exists_check(tx, interaction.org_id, interaction.account_id)
    return interaction
