"""Lead use cases: the six-step pipeline, the objection log and referrals."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.config import now
from chalicelib.domain import pipeline
from chalicelib.domain.accounts import new_account
from chalicelib.domain.errors import InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.objections import (
    Objection,
    ObjectionCreate,
    ObjectionPatch,
    apply_objection_patch,
    new_objection,
)
from chalicelib.domain.pipeline import Lead, LeadCreate, LeadPatch, LostRequest, StageMoveRequest
from chalicelib.domain.principal import IDENTIFIER, Principal
from chalicelib.domain.referrals import (
    ReferralCreate,
    ReferralRequest,
    ReferralRequestCreate,
    ReferralRequestPatch,
    apply_referral_patch,
    record_referral,
)
from chalicelib.ids import new_id
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import leads as store
from chalicelib.persistence import org as org_store
from chalicelib.persistence.db import Page
from chalicelib.persistence.leads import LeadRecord
from chalicelib.services.accounts import check_version

SUMMARY_TEXT = 200  # characters of an objection's words shown on the timeline


def _owner_for(principal: Principal, requested: str | None, field: str = "owner_id") -> str:
    """A rep always owns what they create; managers and admins may assign it."""
    if requested and requested != principal.user_id:
        if not principal.sees_whole_org:
            raise ValidationFailed.single(field, "only a manager or admin may assign a lead to someone else")
        return requested
    return principal.user_id


def _needs_availability_check(principal: Principal, owner_id: str, override: bool) -> bool:
    """A paused rep is not given new leads by someone else, unless that is asked for explicitly."""
    return owner_id != principal.user_id and not override


# -- leads ----------------------------------------------------------------------------------


def create_lead(principal: Principal, data: LeadCreate) -> LeadRecord:
    owner = _owner_for(principal, data.owner_id)
    account = account_store.get(principal, data.account_id)
    lead, first = pipeline.new_lead(
        lead_id=new_id(), org_id=principal.org_id, owner_id=owner, data=data, by=principal.user_id, now=now()
    )
    check = _needs_availability_check(principal, owner, data.assign_even_if_unavailable)
    saved = store.create(lead, first, account, check_available=check)
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
    record = store.read(principal, lead_id)
    before = record.lead
    check_version(before.version, patch.version)
    reassigning = "owner_id" in patch.model_fields_set and patch.owner_id != before.owner_id
    if reassigning and not principal.sees_whole_org:
        raise ValidationFailed.single("owner_id", "only a manager or admin may reassign a lead")
    after = pipeline.apply_patch(before, patch, now())
    account, reasons = (None, 0)
    if reassigning:
        if before.status != "open":
            raise InvalidTransition(f"The lead is {before.status}; a closed lead keeps its owner.")
        account, reasons = store.access_reasons(before)
    check = reassigning and _needs_availability_check(principal, after.owner_id, patch.assign_even_if_unavailable)
    saved = store.update(before, after, account=account, old_reasons=reasons, check_available=check)
    return replace(record, lead=saved)


def move_lead(principal: Principal, lead_id: str, request: StageMoveRequest) -> LeadRecord:
    """One read (the lead with its history) and one transaction."""
    record = store.read(principal, lead_id)
    if request.version is not None:
        check_version(record.lead.version, request.version)
    after, move = pipeline.move(record.lead, request.stage, by=principal.user_id, now=now(), note=request.note)
    saved = store.save_move(record.lead, after, move)
    return LeadRecord(saved, [*record.history, move], record.objections)


def mark_lost(principal: Principal, lead_id: str, request: LostRequest) -> LeadRecord:
    """Lose an open lead; the loss is linked to the objection named, or else to the latest
    objection that was not resolved (the one the customer walked away on)."""
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
    saved = store.save_lost(record.lead, after, move, objection)
    objections = [
        replace(o, preceded_loss=True) if objection and o.id == objection.id else o for o in record.objections
    ]
    return LeadRecord(saved, [*record.history, move], objections)


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
    summary = {
        "category": objection.category,
        "text": objection.text[:SUMMARY_TEXT],
        "status": objection.status,
        "counter_offer": objection.counter_offer,
        "by": objection.raised_by,
    }
    return store.create_objection(lead, objection, summary)


def list_objections(principal: Principal, lead_id: str) -> list[Objection]:
    return store.list_objections(store.get(principal, lead_id))


def update_objection(principal: Principal, lead_id: str, objection_id: str, patch: ObjectionPatch) -> Objection:
    record = store.read(principal, lead_id)
    before = next((o for o in record.objections if o.id == objection_id), None)
    if before is None:
        raise NotFound("No such objection on this lead.")
    check_version(before.version, patch.version)
    return store.save_objection(before, apply_objection_patch(before, patch, now()))


# -- referrals ------------------------------------------------------------------------------


def request_referrals(principal: Principal, lead_id: str, data: ReferralRequestCreate) -> ReferralRequest:
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
    return store.create_referral_request(lead, request)


def list_referral_requests(principal: Principal, lead_id: str) -> list[ReferralRequest]:
    return store.list_referral_requests(store.get(principal, lead_id))


def _visible_request(principal: Principal, request_id: str) -> ReferralRequest:
    request = store.find_referral_request(principal.org_id, request_id)
    try:
        store.get(principal, request.lead_id)
    except NotFound:
        raise NotFound("No such referral request.")
    return request


def update_referral_request(principal: Principal, request_id: str, patch: ReferralRequestPatch) -> ReferralRequest:
    before = _visible_request(principal, request_id)
    check_version(before.version, patch.version)
    return store.save_referral_request(before, apply_referral_patch(before, patch, now()))


def record_referral_prospect(principal: Principal, request_id: str, data: ReferralCreate) -> LeadRecord:
    """A referred prospect becomes an account and a ``prospecting`` lead (``source: referral``)
    linked to the referrer, and the request counts it: all in one transaction."""
    request = _visible_request(principal, request_id)
    owner = _owner_for(principal, data.account.owner_id, "account.owner_id")
    at = now()
    settings = org_store.get_settings(principal.org_id).settings
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
    saved = store.create_referral(
        request, after, account, lead, first, check_available=_needs_availability_check(principal, owner, False)
    )
    return LeadRecord(saved, [first], [])
