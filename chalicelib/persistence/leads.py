"""Leads in DynamoDB: the lead item, its stage history, objections and referral requests, and
what ties it to its account (access and erasure links, timeline entries).

Every change to a lead is one ``TransactWriteItems``: the lead (conditioned on the version that
was read, so two concurrent moves cannot both win), the history entry and the timeline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import NotFound
from chalicelib.domain.objections import Objection
from chalicelib.domain.pipeline import Lead, StageMove
from chalicelib.domain.principal import Principal
from chalicelib.domain.referrals import ReferralRequest
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import (
    AccessItem,
    AccountItem,
    Item,
    LeadItem,
    LinkItem,
    ObjectionItem,
    ReferralRequestItem,
    RepItem,
    StageMoveItem,
    TimelineItem,
)
from chalicelib.persistence.timeline import account_exists_check, save_new, timeline_entry

STALE = "The lead was changed by someone else; reload it and try again."
UNAVAILABLE = (
    "The rep has paused taking new leads (available: false); "
    'send "assign_even_if_unavailable": true to assign it anyway.'
)


def to_item(lead: Lead) -> LeadItem:
    item = LeadItem(
        keys.lead(lead.org_id, lead.id),
        keys.PROFILE,
        gsi1pk=keys.leads_list(lead.org_id),
        gsi1sk=keys.sortable(lead.created_at, lead.id),
        gsi2pk=keys.owner_leads(lead.org_id, lead.owner_id),
        gsi2sk=keys.sortable(lead.created_at, lead.id),
        gsi3pk=keys.leads_by_state(lead.org_id, lead.status, lead.stage),
        gsi3sk=keys.sortable(lead.created_at, lead.id),
        id=lead.id,
        org_id=lead.org_id,
        account_id=lead.account_id,
        title=lead.title,
        owner_id=lead.owner_id,
        stage=lead.stage,
        status=lead.status,
        value=lead.value,
        source=lead.source or None,
        lost_reason=lead.lost_reason or None,
        lost_after_objection_id=lead.lost_after_objection_id,
        referred_by_account_id=lead.referred_by_account_id,
        referral_request_id=lead.referral_request_id,
        stage_entered_at=lead.stage_entered_at,
        closed_at=lead.closed_at,
        custom_fields=lead.custom_fields or None,
        extra=lead.extra or None,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )
    if lead.version:
        item.version = lead.version
    return item


def to_domain(item: LeadItem) -> Lead:
    return Lead(
        id=item.id,
        org_id=item.org_id,
        account_id=item.account_id,
        title=item.title,
        owner_id=item.owner_id,
        created_at=item.created_at,
        updated_at=item.updated_at,
        stage=item.stage,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        value=db.plain(item.value) or None,
        source=item.source or "",
        lost_reason=item.lost_reason or "",
        lost_after_objection_id=item.lost_after_objection_id,
        referred_by_account_id=item.referred_by_account_id,
        referral_request_id=item.referral_request_id,
        stage_entered_at=item.stage_entered_at,
        closed_at=item.closed_at,
        custom_fields=db.plain(item.custom_fields),
        extra=db.plain(item.extra),
        version=int(item.version or 0),
    )


def attachment_items(lead: Lead, account_created_at: datetime) -> list[Item]:
    """The items that tie a lead to its account: the erasure link and the owner's access link.

    ``account_created_at`` orders the access link in the rep's account list like the account.
    """
    account_pk = keys.account(lead.org_id, lead.account_id)
    return [
        LinkItem(account_pk, keys.link(keys.LEAD, lead.id), target_pk=keys.lead(lead.org_id, lead.id)),
        AccessItem(
            account_pk,
            keys.access(lead.owner_id),
            gsi2pk=keys.owner_accounts(lead.org_id, lead.owner_id),
            gsi2sk=keys.sortable(account_created_at, lead.account_id),
            account_id=lead.account_id,
            user_id=lead.owner_id,
        ),
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
    ``add_new_lead`` writes for the API's first entry, for every entry of an imported deal's path.
    ``entry_id(seq)`` names the timeline entries, so a replayed import rewrites the same items."""
    items: list[Item] = []
    for seq, entry in enumerate(history, start=1):
        items += [history_item(lead, entry, seq), _move_entry(lead, entry, entry_id(seq))]
    return items


def _move_entry(lead: Lead, move: StageMove, entry_id: str | None = None) -> TimelineItem:
    kind = "lost" if move.status == "lost" else ("lead_created" if move.from_stage is None else "stage_move")
    return timeline_entry(
        lead.org_id,
        lead.account_id,
        kind,
        move.at,
        lead.id,
        {
            "title": lead.title,
            "from_stage": move.from_stage,
            "to_stage": move.to_stage,
            "status": move.status,
            "by": move.by,
            "note": move.note or None,
            "objection_id": lead.lost_after_objection_id if move.status == "lost" else None,
        },
        lead_id=lead.id,
        entry_id=entry_id,
    )


# -- objections -----------------------------------------------------------------------------


def objection_item(objection: Objection) -> ObjectionItem:
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


def objection_to_domain(item: ObjectionItem) -> Objection:
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


# -- referral requests ----------------------------------------------------------------------


def referral_item(request: ReferralRequest) -> ReferralRequestItem:
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


def referral_to_domain(item: ReferralRequestItem) -> ReferralRequest:
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


# -- reads ----------------------------------------------------------------------------------


@dataclass
class LeadRecord:
    """A lead with its stage history (oldest first) and objections (oldest first)."""

    lead: Lead
    history: list[StageMove] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)


def _visible(principal: Principal, lead: Lead | None) -> Lead:
    if lead is None or not principal.may_see_owned(lead.owner_id):
        raise NotFound("No such lead.")
    return lead


@db.bound
def read(principal: Principal, lead_id: str) -> LeadRecord:
    """The lead, its history and its objections: one Query (they sort next to each other)."""
    pk = keys.lead(principal.org_id, lead_id)
    rows = Item.query(pk, Item.sk.between(keys.LEAD_READ_FROM, keys.LEAD_READ_TO), consistent_read=True)
    record: LeadRecord | None = None
    history: list[StageMove] = []
    objections: list[Objection] = []
    for row in rows:
        if isinstance(row, LeadItem):
            record = LeadRecord(to_domain(row))
        elif isinstance(row, StageMoveItem):
            history.append(history_to_domain(row))
        elif isinstance(row, ObjectionItem):
            objections.append(objection_to_domain(row))
    lead = _visible(principal, record.lead if record else None)
    return LeadRecord(lead, history, objections)


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
    """Newest first, one Query: status and stage together use gsi3 (exact); an owner uses gsi2;
    otherwise gsi1. A filter the chosen index does not cover is applied to that Query (a page may
    then hold fewer than ``limit`` leads; follow ``next_cursor``)."""
    org = principal.org_id
    condition: Any = None
    index: Any
    if status and stage and not owner_id:
        index, attribute, hash_value = Item.gsi3, "gsi3pk", keys.leads_by_state(org, status, stage)
    elif owner_id:
        index, attribute, hash_value = Item.gsi2, "gsi2pk", keys.owner_leads(org, owner_id)
        condition = _filter(stage, status)
    else:
        index, attribute, hash_value = Item.gsi1, "gsi1pk", keys.leads_list(org)
        condition = _filter(stage, status)
    start = db.decode_cursor(cursor, hash_attribute=attribute, hash_value=hash_value)
    result = index.query(
        hash_value, filter_condition=condition, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    leads = [to_domain(row) for row in result if isinstance(row, LeadItem)]
    return db.Page(leads, db.encode_cursor(result.last_evaluated_key))


def _filter(stage: str | None, status: str | None) -> Any:
    condition: Any = None
    if stage:
        condition = LeadItem.stage == stage
    if status:
        condition = (LeadItem.status == status) if condition is None else condition & (LeadItem.status == status)
    return condition


# -- writes ---------------------------------------------------------------------------------


def _grant_access(tx: db.Transaction, lead: Lead, account_created_at: datetime) -> None:
    """Add one reason to the owner's access link on the account (created if missing)."""
    probe = AccessItem(keys.account(lead.org_id, lead.account_id), keys.access(lead.owner_id))
    tx.update(
        probe,
        [
            AccessItem.kind.set(AccessItem),  # type: ignore[arg-type]
            AccessItem.reasons.add(1),
            AccessItem.account_id.set(lead.account_id),
            AccessItem.user_id.set(lead.owner_id),
            AccessItem.gsi2pk.set(keys.owner_accounts(lead.org_id, lead.owner_id)),
            AccessItem.gsi2sk.set(keys.sortable(account_created_at, lead.account_id)),
        ],
    )


def _revoke_access(tx: db.Transaction, lead: Lead, reasons: int) -> None:
    """Take one reason off the old owner's access link; the last reason deletes it. Conditioned
    on the count that was read, so a concurrent grant is never lost."""
    probe = AccessItem(keys.account(lead.org_id, lead.account_id), keys.access(lead.owner_id))
    if reasons <= 1:
        tx.delete(probe, AccessItem.reasons <= 1, conflict=STALE)
    else:
        tx.update(probe, [AccessItem.reasons.add(-1)], AccessItem.reasons == reasons, conflict=STALE)


def _available_check(tx: db.Transaction, org_id: str, user_id: str) -> None:
    probe = RepItem(keys.rep(org_id, user_id), keys.PROFILE)
    tx.check(probe, RepItem.pk.does_not_exist() | (RepItem.available == True), conflict=UNAVAILABLE)  # noqa: E712


def add_new_lead(
    tx: db.Transaction, lead: Lead, first: StageMove, account_created_at: datetime, *, check_available: bool
) -> LeadItem:
    """Add a new lead's items to a transaction (creation, referrals, and importers): the lead, its
    erasure link, one more reason on the owner's access link, the first history entry and the
    ``lead_created`` timeline entry. Prefer this to ``attachment_items`` inside a transaction: a
    plain put of the access link would reset the count of reasons other leads gave it."""
    item = to_item(lead)
    tx.save(item, LeadItem.pk.does_not_exist(), conflict="This lead already exists.")
    link = LinkItem(
        keys.account(lead.org_id, lead.account_id),
        keys.link(keys.LEAD, lead.id),
        target_pk=keys.lead(lead.org_id, lead.id),
    )
    tx.save(link)
    _grant_access(tx, lead, account_created_at)
    tx.save(history_item(lead, first, 1), StageMoveItem.sk.does_not_exist(), conflict=STALE)
    save_new(tx, _move_entry(lead, first))
    if check_available:
        _available_check(tx, lead.org_id, lead.owner_id)
    return item


@db.bound
def create(lead: Lead, first: StageMove, account: Account, *, check_available: bool) -> Lead:
    """One transaction: the lead, its erasure and access links, its first history entry and its
    timeline entry, guarded by a check that the account still exists (and, when someone else
    assigns the lead, that the rep takes new leads)."""
    with db.transaction() as tx:
        item = add_new_lead(tx, lead, first, account.created_at, check_available=check_available)
        account_exists_check(tx, lead.org_id, lead.account_id)
    return to_domain(item)


def _save_lead(tx: db.Transaction, before: Lead, after: Lead) -> LeadItem:
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict=STALE)
    return item


@db.bound
def save_move(before: Lead, after: Lead, move: StageMove) -> Lead:
    """One transaction: the lead (version-conditioned), the history entry, the timeline entry."""
    with db.transaction() as tx:
        item = _save_lead(tx, before, after)
        tx.save(history_item(after, move, before.version + 1), StageMoveItem.sk.does_not_exist(), conflict=STALE)
        save_new(tx, _move_entry(after, move))
    return to_domain(item)


@db.bound
def save_lost(before: Lead, after: Lead, move: StageMove, objection: Objection | None) -> Lead:
    """Like a move, and the objection that preceded the loss is marked so in the same transaction."""
    with db.transaction() as tx:
        item = _save_lead(tx, before, after)
        tx.save(history_item(after, move, before.version + 1), StageMoveItem.sk.does_not_exist(), conflict=STALE)
        save_new(tx, _move_entry(after, move))
        if objection is not None:
            probe = ObjectionItem(keys.lead(after.org_id, after.id), keys.objection(objection.id))
            tx.update(
                probe,
                [ObjectionItem.preceded_loss.set(True)],  # PynamoDB also bumps the version
                ObjectionItem.id.exists(),
                conflict="The objection was removed meanwhile.",
            )
    return to_domain(item)


@db.bound
def access_reasons(lead: Lead) -> tuple[Account, int]:
    """The lead's account and how many reasons its owner's access link carries (one batch read)."""
    pk = keys.account(lead.org_id, lead.account_id)
    found = db.batch_get([(pk, keys.PROFILE), (pk, keys.access(lead.owner_id))])
    profile = next((i for i in found if isinstance(i, AccountItem)), None)
    access = next((i for i in found if isinstance(i, AccessItem)), None)
    if profile is None:
        raise NotFound("The lead's account no longer exists.")
    return account_store.to_domain(profile), int(access.reasons) if access else 0


@db.bound
def update(before: Lead, after: Lead, *, account: Account | None, old_reasons: int, check_available: bool) -> Lead:
    """Save a changed lead; a new owner moves the access link (``account`` given) in the same
    transaction."""
    with db.transaction() as tx:
        item = _save_lead(tx, before, after)
        if account is not None and after.owner_id != before.owner_id:
            if old_reasons:
                _revoke_access(tx, before, old_reasons)
            _grant_access(tx, after, account.created_at)
            if check_available:
                _available_check(tx, after.org_id, after.owner_id)
    return to_domain(item)


@db.bound
def create_objection(lead: Lead, objection: Objection, summary: dict[str, Any]) -> Objection:
    """One transaction: the objection, its timeline entry, and a check that the lead is still open."""
    item = objection_item(objection)
    with db.transaction() as tx:
        tx.save(item, ObjectionItem.sk.does_not_exist(), conflict="This objection already exists.")
        save_new(
            tx,
            timeline_entry(
                lead.org_id,
                lead.account_id,
                "objection",
                objection.created_at,
                objection.id,
                summary,
                lead_id=lead.id,
            ),
        )
        probe = LeadItem(keys.lead(lead.org_id, lead.id), keys.PROFILE)
        tx.check(probe, LeadItem.status == "open", conflict="The lead is closed; objections belong to open leads.")
    return objection_to_domain(item)


@db.bound
def save_objection(before: Objection, after: Objection) -> Objection:
    item = objection_item(after)
    item.version = before.version
    db.save_versioned(item, conflict="The objection was changed by someone else; reload it and try again.")
    return objection_to_domain(item)


@db.bound
def list_objections(lead: Lead) -> list[Objection]:
    rows = Item.query(keys.lead(lead.org_id, lead.id), Item.sk.startswith(keys.OBJECTION_PREFIX), consistent_read=True)
    return [objection_to_domain(r) for r in rows if isinstance(r, ObjectionItem)]


@db.bound
def create_referral_request(lead: Lead, request: ReferralRequest) -> ReferralRequest:
    """One transaction: the request, its timeline entry, and a check that the lead is still won."""
    item = referral_item(request)
    with db.transaction() as tx:
        tx.save(item, ReferralRequestItem.sk.does_not_exist(), conflict="This referral request already exists.")
        save_new(
            tx,
            timeline_entry(
                lead.org_id,
                lead.account_id,
                "referral_request",
                request.created_at,
                request.id,
                {"channel": request.channel, "note": request.note or None, "by": request.asked_by},
                lead_id=lead.id,
            ),
        )
        probe = LeadItem(keys.lead(lead.org_id, lead.id), keys.PROFILE)
        tx.check(probe, LeadItem.status == "won", conflict="Referrals are asked of won customers only.")
    return referral_to_domain(item)


@db.bound
def list_referral_requests(lead: Lead) -> list[ReferralRequest]:
    rows = Item.query(keys.lead(lead.org_id, lead.id), Item.sk.startswith(keys.REFERRAL_PREFIX), consistent_read=True)
    return [referral_to_domain(r) for r in rows if isinstance(r, ReferralRequestItem)]


@db.bound
def find_referral_request(org_id: str, request_id: str) -> ReferralRequest:
    """A referral request by id: a Query on gsi3 finds its lead's partition, then a consistent
    GetItem reads it (indexes lag, and the version read here conditions the next save); the caller
    then checks the lead's owner."""
    rows = list(Item.gsi3.query(keys.referral_request_lookup(org_id, request_id), limit=1))
    hit = next((r for r in rows if isinstance(r, ReferralRequestItem)), None)
    if hit is None:
        raise NotFound("No such referral request.")
    try:
        return referral_to_domain(ReferralRequestItem.get(hit.pk, hit.sk, consistent_read=True))
    except ReferralRequestItem.DoesNotExist:
        raise NotFound("No such referral request.")


@db.bound
def save_referral_request(before: ReferralRequest, after: ReferralRequest) -> ReferralRequest:
    item = referral_item(after)
    item.version = before.version
    db.save_versioned(item, conflict="The referral request was changed by someone else; reload it and try again.")
    return referral_to_domain(item)


@db.bound
def create_referral(
    request_before: ReferralRequest,
    request_after: ReferralRequest,
    account: Account,
    lead: Lead,
    first: StageMove,
    *,
    check_available: bool,
) -> Lead:
    """One transaction: the referred prospect's account, its lead (with links, history and
    timeline entry), the referral request counting it, and an entry on the referrer's timeline
    (which names only the new lead, so erasing the prospect leaves nothing of them behind)."""
    with db.transaction() as tx:
        account_store.add_creation(tx, account)
        item = add_new_lead(tx, lead, first, account.created_at, check_available=check_available)
        saved = referral_item(request_after)
        saved.version = request_before.version
        tx.save(saved, conflict="The referral request was changed by someone else; try again.")
        save_new(
            tx,
            timeline_entry(
                request_after.org_id,
                request_after.account_id,
                "referral",
                lead.created_at,
                lead.id,
                {"referral_request_id": request_after.id, "referred_lead_id": lead.id},
                lead_id=request_after.lead_id,
            ),
        )
    return to_domain(item)
