"""Response shapes of the pipeline routes: leads, objections, referrals, timeline, reps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.report_schemas import FirstResponseOut
from chalicelib.api.schemas import Resource
from chalicelib.domain.money import Money


class StageMoveOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_stage: str | None = Field(description="null for the lead's creation")
    to_stage: str
    status: str = Field(description="the lead's status after this entry; a lost entry keeps the stage")
    by: str
    at: str
    note: str


class QuoteChangeOut(BaseModel):
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
    stage: str
    status: str
    stage_entered_at: str | None
    closed_at: str | None
    lost_reason: str
    lost_after_objection_id: str | None
    referred_by_account_id: str | None
    referral_request_id: str | None
    custom_fields: dict[str, str]
    stage_history: list[StageMoveOut] | None = Field(
        default=None, description="oldest first; on single-lead responses (not in lists)"
    )
    value_history: list[QuoteChangeOut] | None = Field(
        default=None, description="changes of the quoted value with their reasons, oldest first (single-lead responses)"
    )
    stage_durations: dict[str, int] | None = Field(
        default=None, description="seconds spent per step, from the history; the current step counts until now"
    )


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class ObjectionOut(Resource):
    lead_id: str
    account_id: str
    category: str
    text: str
    counter_offer: Money | None
    response: str
    status: str
    raised_by: str
    resolved_at: str | None
    preceded_loss: bool = Field(description="the lead was lost after this objection")


class ObjectionPage(BaseModel):
    items: list[ObjectionOut]
    next_cursor: str | None


class ReferralRequestOut(Resource):
    lead_id: str
    account_id: str
    asked_by: str
    channel: str
    note: str
    status: str
    referred_lead_ids: list[str]
    referral_count: int


class ReferralRequestPage(BaseModel):
    items: list[ReferralRequestOut]
    next_cursor: str | None


class InteractionOut(Resource):
    account_id: str
    lead_id: str | None
    channel: str
    direction: str
    body: str
    occurred_at: str
    intent: str | None
    outcome: str | None = Field(
        default=None, description="how the inquiry ended: price_comparison, just_curious, no_reply"
    )
    logged_by: str
    rep_id: str


class TimelineEntryOut(BaseModel):
    id: str
    kind: str = Field(
        description="interaction, lead_created, stage_move, lost, objection, referral_request, referral, order, message"
    )
    at: str
    entity_id: str = Field(description="the interaction, lead, objection, order or message recorded")
    lead_id: str | None
    data: dict[str, Any]


class TimelinePage(BaseModel):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class RepOut(BaseModel):
    id: str
    timezone: str
    working_hours: dict[str, list[str]]
    available: bool
    weekly_goals: dict[str, int]
    team: str | None = Field(default=None, description="set by a manager or admin; team reports sum its reps")
    created_at: str | None
    updated_at: str | None
    version: int = Field(description="0 until the profile is first saved (defaults apply)")
    first_response: FirstResponseOut | None = Field(
        default=None, description="GET only: first-response minutes of the last 4 weeks, in the rep's working hours"
    )
