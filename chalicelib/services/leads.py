"""Lead use cases: the six-step pipeline, the objection log and referrals.

Each change is one transaction composed here from the repositories' pieces: the lead
(version-conditioned), its history, its timeline entry, access links and the checks that keep the
change valid if something else changed meanwhile.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.config import now
from chalicelib.domain import pipeline
from chalicelib.domain.accounts import Account, new_account
from chalicelib.domain.errors import InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.objections import (
    Objection,
    ObjectionCreate,
    ObjectionPatch,
    apply_objection_patch,
    new_objection,
    objection_entry,
)
from chalicelib.domain.paging import Page
from chalicelib.domain.pipeline import Lead, LeadCreate, LeadPatch, LeadRecord, LostRequest, StageMove, StageMoveRequest
from chalicelib.domain.principal import IDENTIFIER, Principal, owner_for
from chalicelib.domain.quotes import quote_change, quote_change_entry
from chalicelib.domain.referrals import (
    ReferralCreate,
    ReferralRequest,
    ReferralRequestCreate,
    ReferralRequestPatch,
    apply_referral_patch,
    record_referral,
    referral_entry,
    referral_request_entry,
)
from chalicelib.domain.reports import counters
from chalicelib.domain.settings import StoredSettings
from chalicelib.domain.versioning import check_version
from chalicelib.ids import new_id
from chalicelib.persistence import access, db, stats, timeline
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import inquiries as inquiry_store
from chalicelib.persistence import leads as store
from chalicelib.persistence import objections as objection_store
from chalicelib.persistence import org as org_store
from chalicelib.persistence import quotes as quote_store
from chalicelib.persistence import referrals as referral_store
from chalicelib.persistence import reps as rep_store
from chalicelib.persistence.report_sources import lead_state

CLOSED_FOR_OBJECTIONS = "The lead is closed; objections belong to open leads."
NOT_WON = "Referrals are asked of won customers only."


def _needs_availability_check(principal: Principal, owner_id: str, override: bool) -> bool:
    """A paused rep is not given new leads by someone else, unless that is asked for explicitly."""
    return owner_id != principal.user_id and not override


def _add_new_lead(
    tx: db.Transaction, lead: Lead, first: StageMove, account_created_at: datetime, *, check_available: bool
) -> Lead:
    """A new lead's items: the lead, its links to the account, the first history entry and the
    ``lead_created`` timeline entry (and, when someone else assigns it, that the rep takes leads)."""
    stored = store.add(tx, lead)
    store.add_links(tx, lead, account_created_at)
    store.add_move(tx, stored, first)
    timeline.add(tx, pipeline.move_entry(lead, first))
    if check_available:
        rep_store.add_available_check(tx, lead.org_id, lead.owner_id)
    stats.add(tx, lead.org_id, counters.lead_counts(lead, [first.to_stage]))
    return stored


def _stages(history: list[StageMove]) -> list[str]:
    return [entry.to_stage for entry in history]


def _add_lead_counts(tx: db.Transaction, record: LeadRecord, after: Lead, history: list[StageMove]) -> None:
    """The report counters follow a changed lead (its cohort, owner, furthest step, status) and
    its inquiry (converted when the lead is won), which must still be as read."""
    before_counts = lead_state(record.lead, _stages(record.history), record.inquiry)
    after_counts = lead_state(after, _stages(history), record.inquiry)
    delta = counters.difference(after_counts, before_counts)
    if record.inquiry is not None and record.lead.status != after.status:
        inquiry_store.add_version_check(tx, record.inquiry)
    stats.add(tx, after.org_id, delta)


# -- leads ----------------------------------------------------------------------------------


def create_lead(principal: Principal, data: LeadCreate) -> LeadRecord:
    """One visibility read of the account, one transaction (guarded by the account's existence)."""
    owner = owner_for(principal, data.owner_id, what="a lead")
    account = account_store.get(principal, data.account_id)
    lead, first = pipeline.new_lead(
        lead_id=new_id(), org_id=principal.org_id, owner_id=owner, data=data, by=principal.user_id, now=now()
    )
    check = _needs_availability_check(principal, owner, data.assign_even_if_unavailable)
    with db.transaction() as tx:
        saved = _add_new_lead(tx, lead, first, account.created_at, check_available=check)
        account_store.add_exists_check(tx, lead.org_id, lead.account_id)
    return LeadRecord(saved, [first], [])


def get_lead(principal: Principal, lead_id: str) -> LeadRecord:
    return store.read(principal, lead_id)


def list_leads(
    principal: Principal,
    *,
    owner_id: str | None,
    stage: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Lead]:
    if stage is not None and stage not in pipeline.STAGES:
        raise ValidationFailed.single("stage", f"must be one of {', '.join(pipeline.STAGES)}")
    if status is not None and status not in pipeline.STATUSES:
        raise ValidationFailed.single("status", f"must be one of {', '.join(pipeline.STATUSES)}")
    if owner_id is not None and not IDENTIFIER.fullmatch(owner_id):
        # It becomes part of an index key: DynamoDB would refuse an oversized one with a 500.
        raise ValidationFailed.single("owner_id", "must be a user id (1 to 128 letters, digits or _.:-)")
    if not principal.sees_whole_org:
        if owner_id and owner_id != principal.user_id:
            return Page([], None)  # a rep sees only their own leads; say nothing about others'
        owner_id = principal.user_id
    return store.list_page(principal, owner_id=owner_id, stage=stage, status=status, limit=limit, cursor=cursor)


def update_lead(principal: Principal, lead_id: str, patch: LeadPatch) -> LeadRecord:
    """A new owner moves the access link in the same transaction (after one batch read of the
    account and the old owner's link), and a paused rep is not given the lead unless asked."""
    record = store.read(principal, lead_id)
    before = record.lead
    check_version(before.version, patch.version)
    reassigning = "owner_id" in patch.model_fields_set and patch.owner_id != before.owner_id
    if reassigning and not principal.sees_whole_org:
        raise ValidationFailed.single("owner_id", "only a manager or admin may reassign a lead")
    after = pipeline.apply_patch(before, patch, now())
    account: Account | None = None
    reasons = 0
    if reassigning:
        if before.status != "open":
            raise InvalidTransition(f"The lead is {before.status}; a closed lead keeps its owner.")
        account, reasons = access.reasons(before.org_id, before.account_id, before.owner_id)
    check = reassigning and _needs_availability_check(principal, after.owner_id, patch.assign_even_if_unavailable)
    change = quote_change(
        org_id=before.org_id,
        lead_id=before.id,
        account_id=before.account_id,
        old=before.value,
        new=after.value,
        reason=patch.value_change_reason,
        note=patch.value_change_note,
        by=principal.user_id,
        at=after.updated_at,
    )
    with db.transaction() as tx:
        saved = store.add_update(tx, before, after)
        if account is not None and after.owner_id != before.owner_id:
            store.add_owner_change(tx, before, after, account_created_at=account.created_at, old_reasons=reasons)
            if check:
                rep_store.add_available_check(tx, after.org_id, after.owner_id)
        delta = counters.difference(
            lead_state(after, _stages(record.history), record.inquiry),
            lead_state(before, _stages(record.history), record.inquiry),
        )
        if change is not None:
            change = replace(change, seq=saved.version)
            quote_store.add(tx, change)
            timeline.add(tx, quote_change_entry(change, saved.title))
            delta = counters.combine([delta, counters.quote_change_counts(change)])
        stats.add(tx, after.org_id, delta)
    quotes = [*record.quote_changes, change] if change is not None else record.quote_changes
    return replace(record, lead=saved, quote_changes=quotes)


def move_lead(principal: Principal, lead_id: str, request: StageMoveRequest) -> LeadRecord:
    """One read (the lead with its history) and one transaction: the lead, the history entry,
    the timeline entry."""
    record = store.read(principal, lead_id)
    if request.version is not None:
        check_version(record.lead.version, request.version)
    after, move = pipeline.move(record.lead, request.stage, by=principal.user_id, now=now(), note=request.note)
    with db.transaction() as tx:
        saved = store.add_update(tx, record.lead, after)
        store.add_move(tx, saved, move)
        timeline.add(tx, pipeline.move_entry(saved, move))
        _add_lead_counts(tx, record, after, [*record.history, move])
    return replace(record, lead=saved, history=[*record.history, move])


def mark_lost(principal: Principal, lead_id: str, request: LostRequest) -> LeadRecord:
    """Lose an open lead; the loss is linked to the objection named, or else to the latest
    objection that was not resolved (the one the customer walked away on), which is marked so in
    the same transaction."""
    record = store.read(principal, lead_id)
    if request.version is not None:
        check_version(record.lead.version, request.version)
    objection = _loss_objection(record.objections, request.objection_id)
    after, move = pipeline.mark_lost(
        record.lead,
        reason=request.reason,
        objection_id=objection.id if objection else None,
        by=principal.user_id,
        now=now(),
    )
    with db.transaction() as tx:
        saved = store.add_update(tx, record.lead, after)
        store.add_move(tx, saved, move)
        timeline.add(tx, pipeline.move_entry(saved, move))
        before_counts = lead_state(record.lead, _stages(record.history), record.inquiry)
        after_counts = lead_state(after, _stages([*record.history, move]), record.inquiry)
        if objection is not None:
            objection_store.add_preceded_loss(tx, objection)
            before_counts = counters.combine([before_counts, counters.objection_counts(objection)])
            marked = replace(objection, preceded_loss=True)
            after_counts = counters.combine([after_counts, counters.objection_counts(marked)])
        stats.add(tx, after.org_id, counters.difference(after_counts, before_counts))
    objections = [
        replace(o, preceded_loss=True) if objection and o.id == objection.id else o for o in record.objections
    ]
    return replace(record, lead=saved, history=[*record.history, move], objections=objections)


def _loss_objection(objections: list[Objection], wanted: str | None) -> Objection | None:
    if wanted is not None:
        found = next((o for o in objections if o.id == wanted), None)
        if found is None:
            raise ValidationFailed.single("objection_id", "is not an objection of this lead")
        return found
    unresolved = [o for o in objections if o.status != "resolved"]
    return max(unresolved, key=lambda o: (o.created_at, o.id)) if unresolved else None


# -- objections -----------------------------------------------------------------------------


def raise_objection(principal: Principal, lead_id: str, data: ObjectionCreate) -> Objection:
    """One read of the lead, one transaction: the objection, its timeline entry, and a check
    that the lead is still open."""
    lead = store.get(principal, lead_id)
    if lead.status != "open":
        raise InvalidTransition(f"The lead is {lead.status}; objections belong to open leads.")
    objection = new_objection(
        objection_id=new_id(),
        org_id=principal.org_id,
        lead_id=lead.id,
        account_id=lead.account_id,
        by=principal.user_id,
        data=data,
        now=now(),
    )
    with db.transaction() as tx:
        saved = objection_store.add(tx, objection)
        timeline.add(tx, objection_entry(objection))
        store.add_status_check(tx, lead, "open", conflict=CLOSED_FOR_OBJECTIONS)
        stats.add(tx, objection.org_id, counters.objection_counts(objection))
    return saved


def list_objections(principal: Principal, lead_id: str, *, limit: int, cursor: str | None) -> Page[Objection]:
    return objection_store.list_page(store.get(principal, lead_id), limit=limit, cursor=cursor)


def update_objection(principal: Principal, lead_id: str, objection_id: str, patch: ObjectionPatch) -> Objection:
    record = store.read(principal, lead_id)
    before = next((o for o in record.objections if o.id == objection_id), None)
    if before is None:
        raise NotFound("No such objection on this lead.")
    check_version(before.version, patch.version)
    after = apply_objection_patch(before, patch, now())
    delta = counters.difference(counters.objection_counts(after), counters.objection_counts(before))
    with db.transaction() as tx:
        saved = objection_store.add_update(tx, before, after)
        stats.add(tx, after.org_id, delta)
    return saved


# -- referrals ------------------------------------------------------------------------------


def request_referrals(principal: Principal, lead_id: str, data: ReferralRequestCreate) -> ReferralRequest:
    """One read of the lead, one transaction: the request, its timeline entry, and a check that
    the lead is still won."""
    lead = store.get(principal, lead_id)
    if lead.status != "won":
        raise InvalidTransition("Referrals are asked of won customers only; this lead is " + lead.status + ".")
    at = now()
    request = ReferralRequest(
        id=new_id(),
        org_id=principal.org_id,
        lead_id=lead.id,
        account_id=lead.account_id,
        asked_by=principal.user_id,
        channel=data.channel,
        created_at=at,
        updated_at=at,
        note=data.note.strip(),
    )
    with db.transaction() as tx:
        saved = referral_store.add(tx, request)
        timeline.add(tx, referral_request_entry(request))
        store.add_status_check(tx, lead, "won", conflict=NOT_WON)
    return saved


def list_referral_requests(
    principal: Principal, lead_id: str, *, limit: int, cursor: str | None
) -> Page[ReferralRequest]:
    return referral_store.list_page(store.get(principal, lead_id), limit=limit, cursor=cursor)


def _visible_request(
    principal: Principal, request_id: str, *, with_settings: bool = False
) -> tuple[ReferralRequest, StoredSettings | None]:
    """The request if the caller may see its lead (a Query and one batch read, with the settings
    when asked)."""
    request, lead_item, settings = referral_store.find_with_lead(
        principal.org_id, request_id, with_settings=with_settings
    )
    try:
        store.visible(principal, store.to_domain(lead_item) if lead_item is not None else None)
    except NotFound:
        raise NotFound("No such referral request.")
    return request, settings


def update_referral_request(principal: Principal, request_id: str, patch: ReferralRequestPatch) -> ReferralRequest:
    before, _ = _visible_request(principal, request_id)
    check_version(before.version, patch.version)
    return referral_store.save(before, apply_referral_patch(before, patch, now()))


def record_referral_prospect(principal: Principal, request_id: str, data: ReferralCreate) -> LeadRecord:
    """A referred prospect becomes an account and a ``prospecting`` lead (``source: referral``)
    linked to the referrer, and the request counts it: all in one transaction, with an entry on
    the referrer's timeline."""
    request, stored = _visible_request(principal, request_id, with_settings=True)
    owner = owner_for(principal, data.account.owner_id, what="a lead", field="account.owner_id")
    at = now()
    settings = (stored or org_store.get_settings(principal.org_id)).settings
    account = new_account(
        account_id=new_id(),
        org_id=principal.org_id,
        owner_id=owner,
        data=data.account,
        default_country=settings.default_country,
        now=at,
    )
    account.source = "referral"
    account.referred_by_account_id = request.account_id
    lead_data = LeadCreate(
        account_id=account.id, title=data.title or account.name, value=data.value, source="referral", note=data.note
    )
    lead, first = pipeline.new_lead(
        lead_id=new_id(), org_id=principal.org_id, owner_id=owner, data=lead_data, by=principal.user_id, now=at
    )
    lead.referred_by_account_id = request.account_id
    lead.referral_request_id = request.id
    after = record_referral(request, lead.id, at)
    check = _needs_availability_check(principal, owner, False)
    with db.transaction() as tx:
        account_store.add(tx, account)
        saved = _add_new_lead(tx, lead, first, account.created_at, check_available=check)
        referral_store.add_update(tx, request, after)
        timeline.add(tx, referral_entry(after, lead.id, lead.created_at))
    return LeadRecord(saved, [first], [])
