"""Leads in DynamoDB: the lead item, its list-index copies and its stage history.

Services compose a change to a lead into one ``TransactWriteItems`` from the pieces here
(``add``, ``add_update``, ``add_move``, ``add_status_check``) and those of the other repositories
(``access``, ``timeline``, ``objections`` ...). The lead item is conditioned on the version that
was read, so two concurrent moves cannot both win.

Lists: the lead item carries three index entries (all leads, the owner's, status+stage) and two
copies of it in its partition (``#INDEX#1``, ``#INDEX#2``) carry five more (status, stage, and
owner with status, stage or both), so every filter the API offers is one Query on one partition,
newest first (``keys.lead_list``). The copies are rewritten with the lead in every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.domain import pipeline
from chalicelib.domain.errors import NotFound
from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.objections import Objection
from chalicelib.domain.pipeline import Lead, LeadRecord, StageMove
from chalicelib.domain.principal import Principal
from chalicelib.domain.quotes import QuoteChange
from chalicelib.persistence import access, db, keys
from chalicelib.persistence import inquiries as inquiry_store
from chalicelib.persistence import objections as objection_store
from chalicelib.persistence import quotes as quote_store
from chalicelib.persistence import timeline as timeline_store
from chalicelib.persistence.models import (
    InquiryItem,
    Item,
    LeadIndexItem,
    LeadItem,
    ObjectionItem,
    QuoteChangeItem,
    StageMoveItem,
)

STALE = "The lead was changed by someone else; reload it and try again."

__all__ = [
    "LeadRecord",
    "add",
    "add_move",
    "add_status_check",
    "add_links",
    "add_owner_change",
    "add_update",
    "get",
    "list_page",
    "read",
]


def _attributes(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "org_id": lead.org_id,
        "account_id": lead.account_id,
        "title": lead.title,
        "owner_id": lead.owner_id,
        "stage": lead.stage,
        "status": lead.status,
        "value": lead.value,
        "source": lead.source or None,
        "lost_reason": lead.lost_reason or None,
        "lost_after_objection_id": lead.lost_after_objection_id,
        "referred_by_account_id": lead.referred_by_account_id,
        "referral_request_id": lead.referral_request_id,
        "stage_entered_at": lead.stage_entered_at,
        "closed_at": lead.closed_at,
        "custom_fields": lead.custom_fields or None,
        "extra": lead.extra or None,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def to_item(lead: Lead) -> LeadItem:
    """The lead item itself (``version`` is the one it was read at, for the condition)."""
    org, created = lead.org_id, keys.sortable(lead.created_at, lead.id)
    item = LeadItem(
        keys.lead(org, lead.id),
        keys.PROFILE,
        gsi1pk=keys.leads_list(org),
        gsi1sk=created,
        gsi2pk=keys.owner_leads(org, lead.owner_id),
        gsi2sk=created,
        gsi3pk=keys.leads_by_state(org, lead.status, lead.stage),
        gsi3sk=created,
        **_attributes(lead),
    )
    if lead.version:
        item.version = lead.version
    return item


def index_items(lead: Lead, version: int) -> list[LeadIndexItem]:
    """The two list-index copies of a lead at ``version`` (the version the lead item will have)."""
    org, owner, created = lead.org_id, lead.owner_id, keys.sortable(lead.created_at, lead.id)
    pk = keys.lead(org, lead.id)
    first, second = keys.LEAD_INDEX_COPIES
    return [
        LeadIndexItem(
            pk,
            first,
            gsi1pk=keys.leads_by_status(org, lead.status),
            gsi1sk=created,
            gsi2pk=keys.owner_leads_by_status(org, owner, lead.status),
            gsi2sk=created,
            gsi3pk=keys.leads_by_stage(org, lead.stage),
            gsi3sk=created,
            lead_version=version,
            **_attributes(lead),
        ),
        LeadIndexItem(
            pk,
            second,
            gsi2pk=keys.owner_leads_by_stage(org, owner, lead.stage),
            gsi2sk=created,
            gsi3pk=keys.owner_leads_by_state(org, owner, lead.status, lead.stage),
            gsi3sk=created,
            lead_version=version,
            **_attributes(lead),
        ),
    ]


def new_lead_items(lead: Lead) -> list[Item]:
    """Every item a new lead is stored as (the lead and its index copies), for bulk writers."""
    return [to_item(lead), *index_items(lead, 1)]


def to_domain(item: LeadItem | LeadIndexItem) -> Lead:
    a = db.fields(item)
    version = a.get("version") if isinstance(item, LeadItem) else a.get("lead_version")
    return Lead(
        id=a.get("id"),
        org_id=a.get("org_id"),
        account_id=a.get("account_id"),
        title=a.get("title"),
        owner_id=a.get("owner_id"),
        created_at=a.get("created_at"),
        updated_at=a.get("updated_at"),
        stage=a.get("stage"),
        status=a.get("status"),
        value=db.plain(a.get("value")) or None,
        source=a.get("source") or "",
        lost_reason=a.get("lost_reason") or "",
        lost_after_objection_id=a.get("lost_after_objection_id"),
        referred_by_account_id=a.get("referred_by_account_id"),
        referral_request_id=a.get("referral_request_id"),
        stage_entered_at=a.get("stage_entered_at"),
        closed_at=a.get("closed_at"),
        custom_fields=db.plain(a.get("custom_fields")),
        extra=db.plain(a.get("extra")),
        version=int(version or 0),
    )


def attachment_items(lead: Lead, account_created_at: datetime) -> list[Item]:
    """The items that tie a new lead to its account, for bulk writers: the erasure link and the
    owner's access link (with one reason; a bulk writer sets the count it knows). Inside a
    transaction use ``access.add``: a plain put of the access link resets other leads' reasons."""
    return [
        access.link_item(lead.org_id, lead.account_id, keys.LEAD, lead.id),
        access.access_item(lead.org_id, lead.account_id, lead.owner_id, account_created_at, 1),
    ]


# -- stage history --------------------------------------------------------------------------


def history_item(lead: Lead, move: StageMove, seq: int) -> StageMoveItem:
    return StageMoveItem(
        keys.lead(lead.org_id, lead.id),
        keys.stage_move(move.at, seq),
        lead_id=lead.id,
        from_stage=move.from_stage,
        to_stage=move.to_stage,
        status=move.status,
        by=move.by,
        at=move.at,
        note=move.note or None,
    )


def history_to_domain(item: StageMoveItem) -> StageMove:
    return StageMove(
        from_stage=item.from_stage,  # type: ignore[arg-type]
        to_stage=item.to_stage,  # type: ignore[arg-type]
        by=item.by,
        at=item.at,
        note=item.note or "",
        status=item.status,  # type: ignore[arg-type]
    )


def history_records(lead: Lead, history: list[StageMove], entry_id: Callable[[int], str]) -> list[Item]:
    """A new lead's whole stage history (seq 1, 2, ...) and a timeline entry per move: the items
    the API writes for a new lead's first entry, for every entry of an imported deal's path.
    ``entry_id(seq)`` names the timeline entries, so a replayed import rewrites the same items."""
    items: list[Item] = []
    for seq, entry in enumerate(history, start=1):
        timeline = replace(pipeline.move_entry(lead, entry), id=entry_id(seq))
        items += [history_item(lead, entry, seq), timeline_store.to_item(timeline)]
    return items


# -- reads ----------------------------------------------------------------------------------


def visible(principal: Principal, lead: Lead | None) -> Lead:
    """The lead if the caller may see it, else NotFound (as for a lead that does not exist)."""
    if lead is None or not principal.may_see_owned(lead.owner_id):
        raise NotFound("No such lead.")
    return lead


_visible = visible


@db.bound
def read(principal: Principal, lead_id: str) -> LeadRecord:
    """The lead, its history, quote changes, inquiry and objections: one Query (they sort next
    to each other)."""
    pk = keys.lead(principal.org_id, lead_id)
    rows = Item.query(pk, Item.sk.between(keys.LEAD_READ_FROM, keys.LEAD_READ_TO), consistent_read=True)
    lead: Lead | None = None
    history: list[StageMove] = []
    objections: list[Objection] = []
    inquiry: Inquiry | None = None
    quotes: list[QuoteChange] = []
    for row in rows:
        if isinstance(row, LeadItem):
            lead = to_domain(row)
        elif isinstance(row, StageMoveItem):
            history.append(history_to_domain(row))
        elif isinstance(row, ObjectionItem):
            objections.append(objection_store.to_domain(row))
        elif isinstance(row, InquiryItem):
            inquiry = inquiry_store.to_domain(row)
        elif isinstance(row, QuoteChangeItem):
            quotes.append(quote_store.to_domain(row, principal.org_id))
    return LeadRecord(_visible(principal, lead), history, objections, inquiry, quotes)


@db.bound
def get(principal: Principal, lead_id: str) -> Lead:
    """Just the lead (one GetItem), if the caller may see it."""
    try:
        item = LeadItem.get(keys.lead(principal.org_id, lead_id), keys.PROFILE, consistent_read=True)
    except LeadItem.DoesNotExist:
        raise NotFound("No such lead.")
    return _visible(principal, to_domain(item))


@db.bound
def list_page(
    principal: Principal,
    *,
    owner_id: str | None,
    stage: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> db.Page[Lead]:
    """Newest first: whatever the filters, one Query on the partition listing exactly them."""
    index_name, hash_value = keys.lead_list(principal.org_id, owner_id=owner_id, status=status, stage=stage)
    index: Any = {"gsi1": Item.gsi1, "gsi2": Item.gsi2, "gsi3": Item.gsi3}[index_name]
    start = db.decode_cursor(cursor, hash_attribute=f"{index_name}pk", hash_value=hash_value)
    result = index.query(hash_value, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    leads = [to_domain(row) for row in result if isinstance(row, (LeadItem, LeadIndexItem))]
    return db.Page(leads, db.encode_cursor(result.last_evaluated_key))


# -- pieces of a transaction ----------------------------------------------------------------


def add(tx: db.Transaction, lead: Lead) -> Lead:
    """A new lead (it must not exist yet) with its index copies; returns it as stored."""
    tx.save(to_item(lead), LeadItem.pk.does_not_exist(), conflict="This lead already exists.")
    for copy in index_items(lead, 1):
        tx.save(copy)
    return _stored(lead, 1)


def add_update(tx: db.Transaction, before: Lead, after: Lead) -> Lead:
    """``after`` saved if the lead is still at ``before``'s version; returns it as stored."""
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict=STALE)
    for copy in index_items(after, before.version + 1):
        tx.save(copy)
    return _stored(after, before.version + 1)


def add_move(tx: db.Transaction, lead: Lead, move: StageMove) -> None:
    """A stage-history entry of ``lead`` as stored after the move (its version orders the
    entries, so two moves in the same microsecond still get distinct keys)."""
    tx.save(history_item(lead, move, lead.version), StageMoveItem.sk.does_not_exist(), conflict=STALE)


def add_links(tx: db.Transaction, lead: Lead, account_created_at: datetime) -> None:
    """Tie a new lead to its account: the erasure link, and one more reason on the owner's
    access link (so the rep sees the account)."""
    access.add_link(tx, lead.org_id, lead.account_id, keys.LEAD, lead.id)
    access.add(
        tx, org_id=lead.org_id, account_id=lead.account_id, user_id=lead.owner_id, account_created_at=account_created_at
    )


def add_owner_change(
    tx: db.Transaction, before: Lead, after: Lead, *, account_created_at: datetime, old_reasons: int
) -> None:
    """A reassigned lead's reason moves from the old owner's access link to the new owner's."""
    if old_reasons:
        access.add_removal(
            tx, org_id=before.org_id, account_id=before.account_id, user_id=before.owner_id, reasons=old_reasons
        )
    access.add(
        tx,
        org_id=after.org_id,
        account_id=after.account_id,
        user_id=after.owner_id,
        account_created_at=account_created_at,
    )


def add_status_check(tx: db.Transaction, lead: Lead, status: str, *, conflict: str) -> None:
    """Inside a transaction: the lead is still in ``status`` (it was not closed meanwhile)."""
    probe = LeadItem(keys.lead(lead.org_id, lead.id), keys.PROFILE)
    tx.check(probe, LeadItem.status == status, conflict=conflict)


def _stored(lead: Lead, version: int) -> Lead:
    return replace(lead, version=version)


# -- maintenance ----------------------------------------------------------------------------


@db.bound
def write_missing_index_copies() -> int:
    """Give leads stored before the list-index copies existed their copies; returns how many
    copies were written. A maintenance task (``python -m scripts.backfill_lead_index``), never a
    request path: it scans the table. Each copy is a conditional PutItem that writes only where
    the copy is missing or older than the lead read here, so a change made meanwhile (which
    writes its own, newer copies) is never overwritten."""
    written = 0
    for row in LeadItem.scan():  # only the lead items (PynamoDB filters on their kind)
        if not isinstance(row, LeadItem):
            continue
        lead = to_domain(row)
        for copy in index_items(lead, lead.version):
            condition = LeadIndexItem.sk.does_not_exist() | (LeadIndexItem.lead_version < lead.version)
            try:
                copy.save(condition=condition)
                written += 1
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
    return written
