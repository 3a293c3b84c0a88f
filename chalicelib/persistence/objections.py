"""A lead's objection log: one item per objection in the lead's partition (``OBJ#<id>``), also
listed organisation-wide on gsi1 for the objections report."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.objections import Objection
from chalicelib.domain.pipeline import Lead
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import Item, ObjectionItem

STALE = "The objection was changed by someone else; reload it and try again."


def to_item(objection: Objection) -> ObjectionItem:
    item = ObjectionItem(
        keys.lead(objection.org_id, objection.lead_id),
        keys.objection(objection.id),
        gsi1pk=keys.objections_list(objection.org_id),
        gsi1sk=keys.sortable(objection.created_at, objection.id),
        id=objection.id,
        org_id=objection.org_id,
        lead_id=objection.lead_id,
        account_id=objection.account_id,
        category=objection.category,
        text=objection.text,
        raised_by=objection.raised_by,
        counter_offer=objection.counter_offer,
        response=objection.response or None,
        status=objection.status,
        resolved_at=objection.resolved_at,
        preceded_loss=objection.preceded_loss,
        created_at=objection.created_at,
        updated_at=objection.updated_at,
    )
    if objection.version:
        item.version = objection.version
    return item


def to_domain(item: ObjectionItem) -> Objection:
    return Objection(
        id=item.id,
        org_id=item.org_id,
        lead_id=item.lead_id,
        account_id=item.account_id,
        category=item.category,  # type: ignore[arg-type]
        text=item.text,
        raised_by=item.raised_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        counter_offer=db.plain(item.counter_offer) or None,
        response=item.response or "",
        status=item.status,  # type: ignore[arg-type]
        resolved_at=item.resolved_at,
        preceded_loss=bool(item.preceded_loss),
        version=int(item.version or 0),
    )


def add(tx: db.Transaction, objection: Objection) -> Objection:
    """A new objection (it must not exist yet); returns it as stored."""
    tx.save(to_item(objection), ObjectionItem.sk.does_not_exist(), conflict="This objection already exists.")
    return replace(objection, version=1)


def add_preceded_loss(tx: db.Transaction, objection: Objection) -> None:
    """Mark the objection as the one the lead was lost after (it must still exist)."""
    probe = ObjectionItem(keys.lead(objection.org_id, objection.lead_id), keys.objection(objection.id))
    tx.update(
        probe,
        [ObjectionItem.preceded_loss.set(True)],  # PynamoDB also bumps the version
        # At the version read: the report counters take the objection as it was read.
        ObjectionItem.version == objection.version,
        conflict="The objection was changed or removed meanwhile; retry.",
    )


def add_update(tx: db.Transaction, before: Objection, after: Objection) -> Objection:
    """Inside a transaction: ``after`` saved if the objection is still at ``before``'s version."""
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict=STALE)
    return replace(after, version=before.version + 1)


@db.bound
def save(before: Objection, after: Objection) -> Objection:
    """One version-conditioned PutItem (the objection alone changes)."""
    item = to_item(after)
    item.version = before.version
    db.save_versioned(item, conflict=STALE)
    return to_domain(item)


@db.bound
def list_page(lead: Lead, *, limit: int, cursor: str | None) -> db.Page[Objection]:
    """The lead's objections, oldest first (ids sort by time): one Query."""
    pk = keys.lead(lead.org_id, lead.id)
    start = db.decode_cursor(cursor, hash_attribute="pk", hash_value=pk, range_prefix=keys.OBJECTION_PREFIX)
    result = Item.query(
        pk, Item.sk.startswith(keys.OBJECTION_PREFIX), consistent_read=True, limit=limit, last_evaluated_key=start
    )
    found = [to_domain(row) for row in result if isinstance(row, ObjectionItem)]
    return db.Page(found, db.encode_cursor(result.last_evaluated_key))
