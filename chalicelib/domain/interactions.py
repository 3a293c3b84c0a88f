"""Interactions: every touch with a customer, on any channel, for the one timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.model import Model
from chalicelib.domain.timeline import TimelineEntry, timeline_entry
from chalicelib.domain.timeutil import format_rfc3339, parse_rfc3339
from chalicelib.domain.validation import RecordId

Channel = Literal["phone", "email", "sms", "whatsapp", "chat", "social", "meeting", "note"]
Direction = Literal["inbound", "outbound"]
Intent = Literal["commercial", "non_commercial"]

WRITTEN_CHANNELS = ("email", "sms", "whatsapp", "chat", "social", "note")  # these always carry text
MAX_FUTURE_SKEW_SECONDS = 300  # a phone's clock may run a little fast


class InteractionCreate(Model):
    model_config = ConfigDict(extra="forbid")

    account_id: RecordId
    lead_id: RecordId | None = None
    channel: Channel
    direction: Direction
    body: Annotated[str, Field(max_length=20_000)] = ""
    occurred_at: Annotated[str, Field(description="RFC 3339, e.g. 2026-11-22T09:30:00Z")]
    intent: Intent | None = None


@dataclass
class Interaction:
    id: str
    org_id: str
    account_id: str
    channel: Channel
    direction: Direction
    body: str
    occurred_at: datetime
    logged_by: str
    rep_id: str  # whose inbox it is: the lead's owner, else the account's owner
    created_at: datetime
    lead_id: str | None = None
    intent: Intent | None = None
    version: int = 1
    outcome: str | None = None  # how an inquiry ended (PATCH /interactions/{id}): price_comparison ...


def new_interaction(
    *, interaction_id: str, org_id: str, data: InteractionCreate, by: str, rep_id: str, now: datetime
) -> Interaction:
    occurred = parse_rfc3339(data.occurred_at, "occurred_at")
    if (occurred - now).total_seconds() > MAX_FUTURE_SKEW_SECONDS:
        raise ValidationFailed.single("occurred_at", "must not be in the future")
    if data.channel in WRITTEN_CHANNELS and not data.body.strip():
        raise ValidationFailed.single("body", f"a {data.channel} message needs a body")
    return Interaction(
        id=interaction_id,
        org_id=org_id,
        account_id=data.account_id,
        channel=data.channel,
        direction=data.direction,
        body=data.body,
        occurred_at=occurred,
        logged_by=by,
        rep_id=rep_id,
        created_at=now,
        lead_id=data.lead_id,
        intent=data.intent,
    )


def interaction_entry(interaction: Interaction) -> TimelineEntry:
    """An interaction is stored as its timeline entry (same id)."""
    return timeline_entry(
        "interaction",
        org_id=interaction.org_id,
        account_id=interaction.account_id,
        at=interaction.occurred_at,
        entity_id=interaction.id,
        data={
            "channel": interaction.channel,
            "direction": interaction.direction,
            "body": interaction.body,
            "intent": interaction.intent,
            "outcome": interaction.outcome,
            "logged_by": interaction.logged_by,
            "rep_id": interaction.rep_id,
            "created_at": format_rfc3339(interaction.created_at),
        },
        lead_id=interaction.lead_id,
        entry_id=interaction.id,
    )
