"""/leads, their stage moves, objection log and referral requests; /referral-requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.http import Call, QueryParam, Result, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.api.pipeline_presenters import lead_out, objection_out, referral_request_out
from chalicelib.api.pipeline_schemas import (
    LeadOut,
    LeadPage,
    ObjectionOut,
    ObjectionPage,
    QuoteChangeOut,
    ReferralRequestOut,
    ReferralRequestPage,
)
from chalicelib.config import now
from chalicelib.domain.objections import ObjectionCreate, ObjectionPatch
from chalicelib.domain.pipeline import (
    STAGES,
    STATUSES,
    LeadCreate,
    LeadPatch,
    LeadRecord,
    LostRequest,
    StageMoveRequest,
)
from chalicelib.domain.principal import IDENTIFIER
from chalicelib.domain.referrals import ReferralCreate, ReferralRequestCreate, ReferralRequestPatch
from chalicelib.domain.timeutil import format_rfc3339

if TYPE_CHECKING:
    from chalicelib.services import leads
else:  # imported on the first call (cold start)
    leads = service("leads")

bp = Blueprint(__name__)
TAGS = ["leads"]
REFERRALS = ["referrals"]


def _full(record: LeadRecord) -> LeadOut:
    out = lead_out(record.lead, record.history, now())
    out.value_history = [
        QuoteChangeOut(
            old_value=c.old,  # type: ignore[arg-type]
            new_value=c.new,  # type: ignore[arg-type]
            reason=c.reason,
            note=c.note,
            by=c.by,
            at=format_rfc3339(c.at),
        )
        for c in record.quote_changes
    ]
    return out


@endpoint(
    bp,
    "/leads",
    "POST",
    summary="Create a lead in prospecting. Assigning it to a rep who paused new leads is a 409 unless "
    "assign_even_if_unavailable is true",
    tags=TAGS,
    body=LeadCreate,
    response=LeadOut,
    status=201,
    errors=[404],
)
def create_lead(call: Call) -> Result:
    record = leads.create_lead(call.principal, call.body)
    return Result(_full(record), 201, {"Location": f"/leads/{record.lead.id}"})


@endpoint(
    bp,
    "/leads",
    summary="List leads, newest first (a rep sees only their own)",
    tags=TAGS,
    response=LeadPage,
    paginated=True,
    query=[
        QueryParam("stage", "one of the six steps", {"type": "string", "enum": list(STAGES)}),
        QueryParam("status", "open, won or lost", {"type": "string", "enum": list(STATUSES)}),
        QueryParam(
            "owner_id",
            "the owning rep (a rep may only ask for their own)",
            {"type": "string", "pattern": IDENTIFIER.pattern},
        ),
    ],
)
def list_leads(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = leads.list_leads(
        call.principal,
        owner_id=call.query.get("owner_id") or None,
        stage=call.query.get("stage") or None,
        status=call.query.get("status") or None,
        limit=limit,
        cursor=cursor,
    )
    return page([lead_out(lead) for lead in result.items], result.next_cursor)


@endpoint(
    bp, "/leads/{lead_id}", summary="Read a lead with its stage history and time per step", tags=TAGS, response=LeadOut
)
def get_lead(call: Call) -> LeadOut:
    return _full(leads.get_lead(call.principal, call.path["lead_id"]))


@endpoint(
    bp,
    "/leads/{lead_id}",
    "PATCH",
    summary="Change a lead's title, value, source, custom fields or (managers) owner; send the version",
    tags=TAGS,
    body=LeadPatch,
    response=LeadOut,
    errors=[409],
)
def patch_lead(call: Call) -> LeadOut:
    patch: LeadPatch = call.body
    return _full(leads.update_lead(call.principal, call.path["lead_id"], patch))


@endpoint(
    bp,
    "/leads/{lead_id}/stage",
    "POST",
    summary="Move a lead: forward (may skip), back only to presentation; follow_up only from closing "
    "(the win). Illegal moves and closed leads are 409",
    tags=TAGS,
    body=StageMoveRequest,
    response=LeadOut,
)
def move_lead(call: Call) -> LeadOut:
    return _full(leads.move_lead(call.principal, call.path["lead_id"], call.body))


@endpoint(
    bp,
    "/leads/{lead_id}/lost",
    "POST",
    summary="Mark an open lead lost, with a reason; linked to the objection named or the latest unresolved one",
    tags=TAGS,
    body=LostRequest,
    response=LeadOut,
)
def lose_lead(call: Call) -> LeadOut:
    return _full(leads.mark_lost(call.principal, call.path["lead_id"], call.body))


@endpoint(
    bp,
    "/leads/{lead_id}/objections",
    "POST",
    summary="Log an objection on an open lead",
    tags=TAGS,
    body=ObjectionCreate,
    response=ObjectionOut,
    status=201,
)
def raise_objection(call: Call) -> Result:
    return Result(objection_out(leads.raise_objection(call.principal, call.path["lead_id"], call.body)), 201)


@endpoint(
    bp,
    "/leads/{lead_id}/objections",
    summary="The lead's objection log, oldest first",
    tags=TAGS,
    response=ObjectionPage,
    paginated=True,
)
def list_objections(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = leads.list_objections(call.principal, call.path["lead_id"], limit=limit, cursor=cursor)
    return page([objection_out(o) for o in result.items], result.next_cursor)


@endpoint(
    bp,
    "/leads/{lead_id}/objections/{objection_id}",
    "PATCH",
    summary="Answer or resolve an objection (send the version)",
    tags=TAGS,
    body=ObjectionPatch,
    response=ObjectionOut,
    errors=[409],
)
def patch_objection(call: Call) -> ObjectionOut:
    patch: ObjectionPatch = call.body
    objection = leads.update_objection(call.principal, call.path["lead_id"], call.path["objection_id"], patch)
    return objection_out(objection)


@endpoint(
    bp,
    "/leads/{lead_id}/referral-requests",
    "POST",
    summary="Ask a won customer for referrals",
    tags=REFERRALS,
    body=ReferralRequestCreate,
    response=ReferralRequestOut,
    status=201,
)
def request_referrals(call: Call) -> Result:
    request = leads.request_referrals(call.principal, call.path["lead_id"], call.body)
    return Result(referral_request_out(request), 201)


@endpoint(
    bp,
    "/leads/{lead_id}/referral-requests",
    summary="The lead's referral requests, oldest first",
    tags=REFERRALS,
    response=ReferralRequestPage,
    paginated=True,
)
def list_referral_requests(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = leads.list_referral_requests(call.principal, call.path["lead_id"], limit=limit, cursor=cursor)
    return page([referral_request_out(r) for r in result.items], result.next_cursor)


@endpoint(
    bp,
    "/referral-requests/{request_id}",
    "PATCH",
    summary="Record the answer to a referral request (send the version)",
    tags=REFERRALS,
    body=ReferralRequestPatch,
    response=ReferralRequestOut,
    errors=[409],
)
def patch_referral_request(call: Call) -> ReferralRequestOut:
    patch: ReferralRequestPatch = call.body
    return referral_request_out(leads.update_referral_request(call.principal, call.path["request_id"], patch))


@endpoint(
    bp,
    "/referral-requests/{request_id}/referrals",
    "POST",
    summary="Record a referred prospect: a new account and a prospecting lead (source referral) linked to the referrer",
    tags=REFERRALS,
    body=ReferralCreate,
    response=LeadOut,
    status=201,
)
def record_referral(call: Call) -> Result:
    record = leads.record_referral_prospect(call.principal, call.path["request_id"], call.body)
    return Result(_full(record), 201, {"Location": f"/leads/{record.lead.id}"})
