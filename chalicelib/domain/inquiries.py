"""Inquiries: the first inbound message of a conversation, as the contact-success report sees it.

A conversation is a lead (or, for messages logged without a lead, the account). Its first inbound
message becomes an ``Inquiry``, classified when it arrives: a repeat of the same person's
inquiry of the last 24 hours (``group`` names that group's first inquiry), or the first of a new
group. The rep's first outbound reply fixes its first-response time, measured in the working
hours and zone the rep had then. The classification and the response time are kept on the item,
so a rebuild of the counters reads them back instead of re-deriving them from changed profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.interactions import Intent, Interaction
from chalicelib.domain.model import Model
from chalicelib.domain.reports.contact import Earlier, group_of

Outcome = Literal["price_comparison", "just_curious", "no_reply"]


@dataclass
class Inquiry:
    id: str  # the first inbound interaction's id
    org_id: str
    account_id: str
    lead_id: str | None
    rep_id: str  # whose inbox it reached (the lead's owner, else the account's) when it arrived
    at: datetime
    group: str  # the id of the first inquiry of its group (its own id when it is first)
    intent: Intent | None = None
    outcome: Outcome | None = None
    responded_at: datetime | None = None
    response_minutes: float | None = None
    version: int = 0

    @property
    def is_repeat(self) -> bool:
        return self.group != self.id

    def earlier(self) -> Earlier:
        return Earlier(self.id, self.at, self.group)


def opens_inquiry(interaction: Interaction) -> bool:
    return interaction.direction == "inbound"


def new_inquiry(interaction: Interaction, person_recent: list[Inquiry]) -> Inquiry:
    """The inquiry a conversation's first inbound message opens, grouped with the same person's
    inquiries of the 24 hours before it."""
    group = group_of(interaction.occurred_at, [i.earlier() for i in person_recent if i.id != interaction.id])
    return Inquiry(
        id=interaction.id,
        org_id=interaction.org_id,
        account_id=interaction.account_id,
        lead_id=interaction.lead_id,
        rep_id=interaction.rep_id,
        at=interaction.occurred_at,
        group=group or interaction.id,
        intent=interaction.intent,
    )


def answers(inquiry: Inquiry, reply: Interaction) -> bool:
    """Whether an outbound message is the inquiry's first response."""
    return reply.direction == "outbound" and inquiry.responded_at is None and reply.occurred_at >= inquiry.at


def responded(inquiry: Inquiry, at: datetime, minutes: float) -> Inquiry:
    return replace(inquiry, responded_at=at, response_minutes=round(minutes, 3))


class InteractionPatch(Model):
    """``PATCH /interactions/{id}``: mark an inbound message's intent and how the inquiry ended."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent | None = Field(default=None, description="non_commercial takes the inquiry out of the fair rate")
    outcome: Outcome | None = Field(
        default=None, description="price_comparison, just_curious or no_reply (null clears it)"
    )
    version: int | None = Field(default=None, description="the interaction's version this change is based on")


def check_patch(patch: InteractionPatch) -> set[str]:
    sent = patch.model_fields_set - {"version"}
    if not sent:
        raise ValidationFailed.single("body", "send intent and/or outcome")
    if "intent" in sent and patch.intent is None:
        raise ValidationFailed.single("intent", "must not be null")
    return sent


def apply_to_inquiry(inquiry: Inquiry, patch: InteractionPatch, sent: set[str]) -> Inquiry:
    changed = replace(inquiry)
    if "intent" in sent:
        changed.intent = patch.intent
    if "outcome" in sent:
        changed.outcome = patch.outcome
    return changed
