"""Response shapes of the pipeline routes: leads, objections, referrals, timeline, reps."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.api.report_schemas import FirstResponseOut
from chalicelib.api.schemas import Out, Resource, Timestamp
from chalicelib.domain.interactions import Channel, Direction, Intent
from chalicelib.domain.money import Money
from chalicelib.domain.objections import ObjectionCategory, ObjectionStatus
from chalicelib.domain.pipeline import Stage, Status
from chalicelib.domain.referrals import ReferralStatus
from chalicelib.domain.timeline import TimelineKind


class StageMoveOut(Out):
    model_config = ConfigDict(extra="forbid")

    from_stage: Stage | None = Field(description="null for the lead's creation")
    to_stage: Stage
    status: Status = Field(description="the lead's status after this entry; a lost entry keeps the stage")
    by: str
    at: Timestamp
    note: str


class QuoteChangeOut(Out):
    old_value: Money | None
    new_value: Money | None
    reason: str = Field(description="scope_change, add_on, discount or correction")
    note: str
    by: str
    at: str


class LeadOut(Resource):
    account_id: str
    title: str
    value: Money | None
    source: str
    owner_id: str
    stage: Stage
    status: Status
    stage_entered_at: Timestamp | None
    closed_at: Timestamp | None
    lost_reason: str
    lost_after_objection_id: str | None
    referred_by_account_id: str | None
    referral_request_id: str | None
    custom_fields: dict[str, str]
    stage_history: list[StageMoveOut] | None = Field(
        default=None, description="oldest first; on single-lead responses (null in lists)"
    )
    value_history: list[QuoteChangeOut] | None = Field(
        default=None, description="changes of the quoted value with their reasons, oldest first (single-lead responses)"
    )
    stage_durations: dict[str, int] | None = Field(
        default=None, description="seconds spent per step, from the history; the current step counts until now"
    )


class LeadPage(Out):
    items: list[LeadOut]
    next_cursor: str | None


class ObjectionOut(Resource):
    lead_id: str
    account_id: str
    category: ObjectionCategory
    text: str
    counter_offer: Money | None
    response: str
    status: ObjectionStatus
    raised_by: str
    resolved_at: Timestamp | None
    preceded_loss: bool = Field(description="the lead was lost after this objection")


class ObjectionPage(Out):
    items: list[ObjectionOut]
    next_cursor: str | None


class ReferralRequestOut(Resource):
    lead_id: str
    account_id: str
    asked_by: str
    channel: Channel
    note: str
    status: ReferralStatus
    referred_lead_ids: list[str]
    referral_count: int


class ReferralRequestPage(Out):
    items: list[ReferralRequestOut]
    next_cursor: str | None


class InteractionOut(Resource):
    account_id: str
    lead_id: str | None
    channel: Channel
    direction: Direction
    body: str
    occurred_at: Timestamp
    intent: Intent | None
    outcome: str | None = Field(
        default=None, description="how the inquiry ended: price_comparison, just_curious, no_reply"
    )
    logged_by: str
    rep_id: str


class TimelineEntryOut(Out):
    id: str
    kind: TimelineKind
    at: Timestamp
    entity_id: str = Field(description="the interaction, lead, objection, order or message recorded")
    lead_id: str | None
    data: dict[str, Any]


class TimelinePage(Out):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class RepOut(Out):
    id: str
    timezone: str
    working_hours: dict[str, list[str]]
    available: bool
    weekly_goals: dict[str, int]
    team: str | None = Field(default=None, description="set by a manager or admin; team reports sum its reps")
    email: str | None = Field(default=None, description="where the weekly scorecard e-mail goes (case-folded)")
    created_at: Timestamp | None
    updated_at: Timestamp | None
    version: int = Field(description="0 until the profile is first saved (defaults apply)")
    first_response: FirstResponseOut | None = Field(
        default=None, description="GET only: first-response minutes of the last 4 weeks, in the rep's working hours"
    )
