"""/reps/{id}: a rep's time zone, working hours, availability and weekly goals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.api.lazy import service
from chalicelib.api.pipeline_presenters import rep_out
from chalicelib.api.pipeline_schemas import RepOut
from chalicelib.api.report_schemas import FirstResponseOut
from chalicelib.api.reports import period_out
from chalicelib.domain.reps import RepChanges

if TYPE_CHECKING:
    from chalicelib.services import reports, reps
else:  # imported on the first call (cold start)
    reports = service("reports")
    reps = service("reps")

bp = Blueprint(__name__)
TAGS = ["reps"]


@endpoint(
    bp,
    "/reps/{rep_id}",
    summary="A rep's working profile (defaults until saved) with first-response minutes of the last 4 weeks",
    tags=TAGS,
    response=RepOut,
)
def get_rep(call: Call) -> RepOut:
    overview = reports.rep_overview(call.principal, call.path["rep_id"])
    figures = overview.first_response
    out = rep_out(overview.profile)
    out.first_response = FirstResponseOut(
        period=period_out(overview.period),
        responses=figures.responses,
        median_minutes=figures.median_first_response_minutes,
        p90_minutes=figures.p90_first_response_minutes,
    )
    return out


@endpoint(
    bp,
    "/reps/{rep_id}",
    "PUT",
    summary="Change any subset of a rep's profile (the rep, or a manager/admin)",
    tags=TAGS,
    body=RepChanges,
    response=RepOut,
    errors=[409],
)
def put_rep(call: Call) -> RepOut:
    return rep_out(reps.change_rep(call.principal, call.path["rep_id"], call.body))
