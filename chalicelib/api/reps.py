"""/reps/{id}: a rep's time zone, working hours, availability and weekly goals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.api.lazy import service
from chalicelib.api.pipeline_presenters import rep_out
from chalicelib.api.pipeline_schemas import RepOut
from chalicelib.domain.reps import RepChanges

if TYPE_CHECKING:
    from chalicelib.services import reps
else:  # imported on the first call (cold start)
    reps = service("reps")

bp = Blueprint(__name__)
TAGS = ["reps"]


@endpoint(bp, "/reps/{rep_id}", summary="A rep's working profile (defaults until saved)", tags=TAGS, response=RepOut)
def get_rep(call: Call) -> RepOut:
    return rep_out(reps.get_rep(call.principal, call.path["rep_id"]))


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
