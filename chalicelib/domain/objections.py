"""The objection log of a lead: what the customer objected to, the answer, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.timeline import TimelineEntry, timeline_entry
from chalicelib.domain.validation import Omittable

ObjectionCategory = Literal["price", "financing", "value", "timing", "competitor", "authority", "rejection", "other"]
ObjectionStatus = Literal["open", "resolved", "unresolved"]

Words = Annotated[str, Field(max_length=5000)]
SUMMARY_TEXT = 200  # characters of an objection's words shown on the timeline


class ObjectionCreate(Model):
    model_config = ConfigDict(extra="forbid")

    category: ObjectionCategory
    text: Annotated[str, Field(min_length=1, max_length=5000, description="the customer's words")]
    counter_offer: Money | None = Field(default=None, description="a counter-offer or requested discount")
    response: Words = Field(default="", description="the rep's answer")
    status: ObjectionStatus = "open"


class ObjectionPatch(Model):
    model_config = ConfigDict(extra="forbid")

    category: Omittable[ObjectionCategory] = None
    text: Annotated[Omittable[str], Field(min_length=1, max_length=5000)] = None
    counter_offer: Money | None = Field(default=None, description="null withdraws the counter-offer")
    response: Omittable[Words] = None
    status: Omittable[ObjectionStatus] = None
    version: int | None = None


@dataclass
class Objection:
    id: str
    org_id: str
    lead_id: str
    account_id: str
    category: ObjectionCategory
    text: str
    raised_by: str
    created_at: datetime
    updated_at: datetime
    counter_offer: dict[str, str] | None = None
    response: str = ""
    status: ObjectionStatus = "open"
    resolved_at: datetime | None = None
    preceded_loss: bool = False  # the lead was lost after (and because of) this objection
    version: int = 0


def new_objection(
    *, objection_id: str, org_id: str, lead_id: str, account_id: str, by: str, data: ObjectionCreate, now: datetime
) -> Objection:
    text = data.text.strip()
    if not text:
        raise ValidationFailed.single("text", "must not be blank")
    return Objection(
        id=objection_id,
        org_id=org_id,
        lead_id=lead_id,
        account_id=account_id,
        category=data.category,
        text=text,
        raised_by=by,
        created_at=now,
        updated_at=now,
        counter_offer=data.counter_offer.model_dump() if data.counter_offer else None,
        response=data.response.strip(),
        status=data.status,
        resolved_at=now if data.status != "open" else None,
    )


def apply_objection_patch(objection: Objection, patch: ObjectionPatch, now: datetime) -> Objection:
    sent = patch.model_fields_set - {"version"}
    updated = replace(objection, updated_at=now)
    for name in sent:
        if getattr(patch, name) is None and name != "counter_offer":
            raise ValidationFailed.single(name, "must not be null")
    if "category" in sent and patch.category:
        updated.category = patch.category
    if "text" in sent:
        if not (patch.text or "").strip():
            raise ValidationFailed.single("text", "must not be blank")
        updated.text = (patch.text or "").strip()
    if "counter_offer" in sent:
        updated.counter_offer = patch.counter_offer.model_dump() if patch.counter_offer else None
    if "response" in sent:
        updated.response = (patch.response or "").strip()
    if "status" in sent and patch.status and patch.status != objection.status:
        updated.status = patch.status
        updated.resolved_at = None if patch.status == "open" else now
    return updated


def objection_entry(objection: Objection) -> TimelineEntry:
    """The timeline entry of a newly raised objection (its words shortened for the row)."""
    return timeline_entry(
        "objection",
        org_id=objection.org_id,
        account_id=objection.account_id,
        at=objection.created_at,
        entity_id=objection.id,
        data={
            "category": objection.category,
            "text": objection.text[:SUMMARY_TEXT],
            "status": objection.status,
            "counter_offer": objection.counter_offer,
            "by": objection.raised_by,
        },
        lead_id=objection.lead_id,
    )
