"""Referral requests: one item per request in the asking lead's partition (``REF#<id>``), found by
id through gsi3 (``PATCH /referral-requests/{rid}`` names no lead)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.errors import NotFound
from chalicelib.domain.pipeline import Lead
from chalicelib.domain.referrals import ReferralRequest
from chalicelib.domain.settings import StoredSettings
from chalicelib.persistence import db, keys
from chalicelib.persistence import org as org_store
from chalicelib.persistence.models import Item, LeadItem, ReferralRequestItem

STALE = "The referral request was changed by someone else; reload it and try again."


def to_item(request: ReferralRequest) -> ReferralRequestItem:
    item = ReferralRequestItem(
        keys.lead(request.org_id, request.lead_id),
        keys.referral_request(request.id),
        gsi3pk=keys.referral_request_lookup(request.org_id, request.id),
        gsi3sk=keys.REFERRAL_LOOKUP_SK,
        id=request.id,
        org_id=request.org_id,
        lead_id=request.lead_id,
        account_id=request.account_id,
        asked_by=request.asked_by,
        channel=request.channel,
        note=request.note or None,
        status=request.status,
        referred_lead_ids=request.referred_lead_ids or None,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )
    if request.version:
        item.version = request.version
    return item


def to_domain(item: ReferralRequestItem) -> ReferralRequest:
    return ReferralRequest(
        id=item.id,
        org_id=item.org_id,
        lead_id=item.lead_id,
        account_id=item.account_id,
        asked_by=item.asked_by,
        channel=item.channel,
        created_at=item.created_at,
        updated_at=item.updated_at,
        note=item.note or "",
        status=item.status,  # type: ignore[arg-type]
        referred_lead_ids=[str(v) for v in item.referred_lead_ids or []],
        version=int(item.version or 0),
    )


def add(tx: db.Transaction, request: ReferralRequest) -> ReferralRequest:
    """A new referral request (it must not exist yet); returns it as stored."""
    tx.save(to_item(request), ReferralRequestItem.sk.does_not_exist(), conflict="This referral request already exists.")
    return replace(request, version=1)


def add_update(tx: db.Transaction, before: ReferralRequest, after: ReferralRequest) -> ReferralRequest:
    """``after`` saved if the request is still at ``before``'s version; returns it as stored."""
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict="The referral request was changed by someone else; try again.")
    return replace(after, version=before.version + 1)


@db.bound
def save(before: ReferralRequest, after: ReferralRequest) -> ReferralRequest:
    """One version-conditioned PutItem (the request alone changes)."""
    item = to_item(after)
    item.version = before.version
    db.save_versioned(item, conflict=STALE)
    return to_domain(item)


@db.bound
def find(org_id: str, request_id: str) -> ReferralRequest:
    """A referral request by id: a Query on gsi3 finds its lead's partition, then a consistent
    GetItem reads it (indexes lag, and the version read here conditions the next save); the caller
    then checks the lead's owner."""
    rows = list(Item.gsi3.query(keys.referral_request_lookup(org_id, request_id), limit=1))
    hit = next((r for r in rows if isinstance(r, ReferralRequestItem)), None)
    if hit is None:
        raise NotFound("No such referral request.")
    try:
        return to_domain(ReferralRequestItem.get(hit.pk, hit.sk, consistent_read=True))
    except ReferralRequestItem.DoesNotExist:
        raise NotFound("No such referral request.")


@db.bound
def find_with_lead(
    org_id: str, request_id: str, *, with_settings: bool = False
) -> tuple[ReferralRequest, LeadItem | None, StoredSettings | None]:
    """A referral request by id with its lead's item (and the organisation's settings): a Query
    on gsi3 finds the lead's partition, then one consistent BatchGetItem reads the request (its
    version conditions the next save), the lead and the settings. The caller checks the lead."""
    rows = list(Item.gsi3.query(keys.referral_request_lookup(org_id, request_id), limit=1))
    hit = next((r for r in rows if isinstance(r, ReferralRequestItem)), None)
    if hit is None:
        raise NotFound("No such referral request.")
    wanted = [(hit.pk, hit.sk), (hit.pk, keys.PROFILE)] + ([org_store.settings_key(org_id)] if with_settings else [])
    found = {(item.pk, item.sk): item for item in db.batch_get(wanted)}
    request = found.get((hit.pk, hit.sk))
    if not isinstance(request, ReferralRequestItem):
        raise NotFound("No such referral request.")
    lead = found.get((hit.pk, keys.PROFILE))
    settings = org_store.stored(found.get(org_store.settings_key(org_id))) if with_settings else None
    return to_domain(request), lead if isinstance(lead, LeadItem) else None, settings


@db.bound
def list_page(lead: Lead, *, limit: int, cursor: str | None) -> db.Page[ReferralRequest]:
    """The lead's referral requests, oldest first (ids sort by time): one Query."""
    pk = keys.lead(lead.org_id, lead.id)
    start = db.decode_cursor(cursor, hash_attribute="pk", hash_value=pk, range_prefix=keys.REFERRAL_PREFIX)
    result = Item.query(
        pk, Item.sk.startswith(keys.REFERRAL_PREFIX), consistent_read=True, limit=limit, last_evaluated_key=start
    )
    found = [to_domain(row) for row in result if isinstance(row, ReferralRequestItem)]
    return db.Page(found, db.encode_cursor(result.last_evaluated_key))
