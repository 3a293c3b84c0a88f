"""Pipeline domain objects to API shapes."""

from __future__ import annotations

from datetime import datetime

from chalicelib.api.pipeline_schemas import (
    InteractionOut,
    LeadOut,
    ObjectionOut,
    ReferralRequestOut,
    RepOut,
    StageMoveOut,
    TimelineEntryOut,
)
from chalicelib.domain.interactions import Interaction
from chalicelib.domain.money import Money
from chalicelib.domain.objections import Objection
from chalicelib.domain.pipeline import Lead, StageMove, stage_durations
from chalicelib.domain.referrals import ReferralRequest
from chalicelib.domain.reps import RepProfile
from chalicelib.domain.timeline import TimelineEntry
from chalicelib.domain.timeutil import format_rfc3339


def _time(at: datetime | None) -> str | None:
    return format_rfc3339(at) if at else None


def move_out(move: StageMove) -> StageMoveOut:
    return StageMoveOut(
        from_stage=move.from_stage,
        to_stage=move.to_stage,
        status=move.status,
        by=move.by,
        at=format_rfc3339(move.at),
        note=move.note,
    )


def lead_out(lead: Lead, history: list[StageMove] | None = None, now: datetime | None = None) -> LeadOut:
    out = LeadOut(
        id=lead.id,
        created_at=format_rfc3339(lead.created_at),
        updated_at=format_rfc3339(lead.updated_at),
        version=lead.version,
        account_id=lead.account_id,
        title=lead.title,
        value=Money.model_validate(lead.value) if lead.value else None,
        source=lead.source,
        owner_id=lead.owner_id,
        stage=lead.stage,
        status=lead.status,
        stage_entered_at=_time(lead.stage_entered_at),
        closed_at=_time(lead.closed_at),
        lost_reason=lead.lost_reason,
        lost_after_objection_id=lead.lost_after_objection_id,
        referred_by_account_id=lead.referred_by_account_id,
        referral_request_id=lead.referral_request_id,
        custom_fields=lead.custom_fields,
    )
    if history is not None and now is not None:
        ordered = sorted(history, key=lambda m: m.at)
        out.stage_history = [move_out(m) for m in ordered]
        out.stage_durations = stage_durations(ordered, lead, now)
    return out


def objection_out(objection: Objection) -> ObjectionOut:
    return ObjectionOut(
        id=objection.id,
        created_at=format_rfc3339(objection.created_at),
        updated_at=format_rfc3339(objection.updated_at),
        version=objection.version,
        lead_id=objection.lead_id,
        account_id=objection.account_id,
        category=objection.category,
        text=objection.text,
        counter_offer=Money.model_validate(objection.counter_offer) if objection.counter_offer else None,
        response=objection.response,
        status=objection.status,
        raised_by=objection.raised_by,
        resolved_at=_time(objection.resolved_at),
        preceded_loss=objection.preceded_loss,
    )


def referral_request_out(request: ReferralRequest) -> ReferralRequestOut:
    return ReferralRequestOut(
        id=request.id,
        created_at=format_rfc3339(request.created_at),
        updated_at=format_rfc3339(request.updated_at),
        version=request.version,
        lead_id=request.lead_id,
        account_id=request.account_id,
        asked_by=request.asked_by,
        channel=request.channel,  # type: ignore[arg-type]  # stored from a validated Channel
        note=request.note,
        status=request.status,
        referred_lead_ids=request.referred_lead_ids,
        referral_count=len(request.referred_lead_ids),
    )


def interaction_out(interaction: Interaction) -> InteractionOut:
    return InteractionOut(
        id=interaction.id,
        created_at=format_rfc3339(interaction.created_at),
        updated_at=format_rfc3339(interaction.created_at),
        version=interaction.version,
        account_id=interaction.account_id,
        lead_id=interaction.lead_id,
        channel=interaction.channel,
        direction=interaction.direction,
        body=interaction.body,
        occurred_at=format_rfc3339(interaction.occurred_at),
        intent=interaction.intent,
        outcome=interaction.outcome,
        logged_by=interaction.logged_by,
        rep_id=interaction.rep_id,
    )


def timeline_entry_out(entry: TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(
        id=entry.id,
        kind=entry.kind,  # type: ignore[arg-type]  # written only with TimelineKind values
        at=format_rfc3339(entry.at),
        entity_id=entry.entity_id,
        lead_id=entry.lead_id,
        data=entry.data,
    )


def rep_out(profile: RepProfile) -> RepOut:
    return RepOut(
        id=profile.user_id,
        timezone=profile.timezone,
        working_hours=profile.working_hours,
        available=profile.available,
        weekly_goals=profile.weekly_goals,
        team=profile.team,
        email=profile.email,
        created_at=_time(profile.created_at),
        updated_at=_time(profile.updated_at),
        version=profile.version,
    )
