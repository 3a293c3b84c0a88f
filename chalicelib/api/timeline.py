"""/interactions and /accounts/{id}/timeline: one merged history per customer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.http import Call, Result, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.api.pipeline_presenters import interaction_out, timeline_entry_out
from chalicelib.api.pipeline_schemas import InteractionOut, TimelinePage
from chalicelib.domain.inquiries import InteractionPatch
from chalicelib.domain.interactions import InteractionCreate

if TYPE_CHECKING:
    from chalicelib.services import timeline
else:  # imported on the first call (cold start)
    timeline = service("timeline")

bp = Blueprint(__name__)
TAGS = ["timeline"]


@endpoint(
    bp,
    "/interactions",
    "POST",
    summary="Log a touch on any channel on the customer's timeline",
    tags=TAGS,
    body=InteractionCreate,
    response=InteractionOut,
    status=201,
    errors=[404],
)
def log_interaction(call: Call) -> Result:
    return Result(interaction_out(timeline.log_interaction(call.principal, call.body)), 201)


@endpoint(
    bp,
    "/interactions/{interaction_id}",
    "PATCH",
    summary="Mark an interaction's intent (non_commercial leaves the fair contact-success rate) and outcome "
    "(price_comparison, just_curious, no_reply); send its version. The report counters follow",
    tags=TAGS,
    body=InteractionPatch,
    response=InteractionOut,
    errors=[404, 409],
)
def patch_interaction(call: Call) -> InteractionOut:
    return interaction_out(timeline.update_interaction(call.principal, call.path["interaction_id"], call.body))


@endpoint(
    bp,
    "/accounts/{account_id}/timeline",
    summary="The customer's merged history across channels, newest first",
    tags=TAGS,
    response=TimelinePage,
    paginated=True,
)
def account_timeline(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = timeline.timeline_page(call.principal, call.path["account_id"], limit=limit, cursor=cursor)
    return page([timeline_entry_out(e) for e in result.items], result.next_cursor)
