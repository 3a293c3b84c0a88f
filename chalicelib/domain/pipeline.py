"""The six-step sales process: stages, statuses and the rules for moving a lead."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool

from chalicelib.domain.errors import InvalidTransition, ValidationFailed
from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.objections import Objection
from chalicelib.domain.quotes import QuoteChange, ValueChangeReason
from chalicelib.domain.timeline import TimelineEntry, TimelineKind, timeline_entry
from chalicelib.domain.validation import CustomFields, Omittable, RecordId

Stage = Literal["prospecting", "approach", "presentation", "objections", "closing", "follow_up"]
Status = Literal["open", "won", "lost"]

STAGES: tuple[Stage, ...] = ("prospecting", "approach", "presentation", "objections", "closing", "follow_up")
STATUSES: tuple[Status, ...] = ("open", "won", "lost")
_ORDER = {stage: index for index, stage in enumerate(STAGES)}
REPRESENT: Stage = "presentation"  # the one step a lead may go back to


@dataclass(frozen=True)
class StageMove:
    from_stage: Stage | None
    to_stage: Stage
    by: str
    at: datetime
    note: str = ""
    status: Status = "open"  # the lead's status after this entry (``lost`` entries keep the stage)


@dataclass
class Lead:
    id: str
    org_id: str
    account_id: str
    title: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    stage: Stage = "prospecting"
    status: Status = "open"
    value: dict[str, str] | None = None  # money: {"amount", "currency"}
    source: str = ""
    lost_reason: str = ""
    lost_after_objection_id: str | None = None
    referred_by_account_id: str | None = None
    referral_request_id: str | None = None
    stage_entered_at: datetime | None = None
    closed_at: datetime | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LeadRecord:
    """A lead with its stage history (oldest first) and objections (oldest first)."""

    lead: Lead
    history: list[StageMove] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    inquiry: Inquiry | None = None  # the first inbound message of the lead's conversation
    quote_changes: list[QuoteChange] = field(default_factory=list)  # oldest first


def check_move(lead: Lead, to_stage: str) -> Stage:
    """The validated target stage of a move, or the reason it is not allowed.

    Forward moves may skip steps; the only way back is to ``presentation`` (re-present after
    objections); ``follow_up`` is reached only from ``closing`` (that is the win); closed leads
    do not move.
    """
    if to_stage not in _ORDER:
        raise ValidationFailed.single("stage", f"must be one of {', '.join(STAGES)}")
    target: Stage = to_stage  # type: ignore[assignment]
    if lead.status != "open":
        raise InvalidTransition(f"The lead is {lead.status}; a closed lead does not move.")
    if target == lead.stage:
        raise InvalidTransition(f"The lead is already in {target}.")
    if target == "follow_up" and lead.stage != "closing":
        raise InvalidTransition("A lead enters follow_up only from closing (that is the win).")
    if _ORDER[target] < _ORDER[lead.stage] and target != REPRESENT:
        raise InvalidTransition(f"A lead may move back only to {REPRESENT}, not to {target}.")
    return target


def status_after(target: Stage) -> Status:
    return "won" if target == "follow_up" else "open"


# -- requests ---------------------------------------------------------------------------------

LeadSource = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
Note = Annotated[str, Field(max_length=2000)]


class LeadFields(Model):
    """What a client may set on a lead directly (stage and status change only through moves)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    value: Money | None = None
    source: LeadSource | None = None
    owner_id: RecordId | None = None
    custom_fields: CustomFields | None = None
    assign_even_if_unavailable: StrictBool = Field(
        default=False, description="assign the lead to a rep even though they paused taking new leads"
    )


class LeadCreate(LeadFields):
    account_id: RecordId
    title: Annotated[str, Field(min_length=1, max_length=200)]
    note: Note = ""


class LeadPatch(LeadFields):
    # A patch refuses null where creation reads it as "not sent"; only ``value: null`` clears.
    title: Annotated[Omittable[str], Field(min_length=1, max_length=200)] = None
    source: Omittable[LeadSource] = None
    owner_id: Omittable[RecordId] = None
    custom_fields: Omittable[CustomFields] = None
    version: int | None = None
    value_change_reason: ValueChangeReason | None = Field(
        default=None, description="required when a quoted value changes: scope_change, add_on, discount or correction"
    )
    value_change_note: Annotated[str, Field(max_length=2000)] = Field(
        default="", description="optional: why the quote changed, in the rep's words"
    )


class StageMoveRequest(Model):
    model_config = ConfigDict(extra="forbid")

    stage: Annotated[str, Field(min_length=1, max_length=40, description=f"one of {', '.join(STAGES)}")]
    note: Note = ""
    version: int | None = Field(default=None, description="optional: the version the move is based on")


class LostRequest(Model):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    objection_id: RecordId | None = Field(
        default=None, description="the objection that lost the lead; defaults to the lead's latest objection"
    )
    version: int | None = None


# -- rules ------------------------------------------------------------------------------------


def new_lead(
    *, lead_id: str, org_id: str, owner_id: str, data: LeadCreate, by: str, now: datetime
) -> tuple[Lead, StageMove]:
    """A new lead in ``prospecting`` and the first entry of its stage history."""
    title = data.title.strip()
    if not title:
        raise ValidationFailed.single("title", "must not be blank")
    lead = Lead(
        id=lead_id,
        org_id=org_id,
        account_id=data.account_id,
        title=title,
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
        value=data.value.model_dump() if data.value else None,
        source=data.source or "api",
        custom_fields=data.custom_fields or {},
        stage_entered_at=now,
    )
    return lead, StageMove(None, "prospecting", by, now, data.note.strip(), "open")


PATCH_OPTIONS = frozenset({"version", "assign_even_if_unavailable", "value_change_reason", "value_change_note"})


def apply_patch(lead: Lead, patch: LeadPatch, now: datetime) -> Lead:
    sent = patch.model_fields_set - {
        "version",
        "assign_even_if_unavailable",
        "value_change_reason",
        "value_change_note",
    }
    updated = replace(lead, updated_at=now)
    for name in sent:
        value = getattr(patch, name)
        if value is None and name != "value":
            raise ValidationFailed.single(name, "must not be null")
    if "title" in sent:
        if not (patch.title or "").strip():
            raise ValidationFailed.single("title", "must not be blank")
        updated.title = (patch.title or "").strip()
    if "value" in sent:
        updated.value = patch.value.model_dump() if patch.value else None
    if "source" in sent:
        updated.source = patch.source or ""
    if "owner_id" in sent:
        updated.owner_id = patch.owner_id or lead.owner_id
    if "custom_fields" in sent:
        updated.custom_fields = patch.custom_fields or {}
    return updated


def move(lead: Lead, to_stage: str, *, by: str, now: datetime, note: str = "") -> tuple[Lead, StageMove]:
    """The lead after a legal move, and the history entry that records it."""
    target = check_move(lead, to_stage)
    status = status_after(target)
    moved = replace(lead, stage=target, status=status, stage_entered_at=now, updated_at=now)
    if status == "won":
        moved.closed_at = now
    return moved, StageMove(lead.stage, target, by, now, note.strip(), status)


def mark_lost(lead: Lead, *, reason: str, objection_id: str | None, by: str, now: datetime) -> tuple[Lead, StageMove]:
    """An open lead lost from the step it is in; the reason is required."""
    if not reason.strip():
        raise ValidationFailed.single("reason", "a lost lead needs a reason")
    if lead.status != "open":
        raise InvalidTransition(f"The lead is already {lead.status}; a closed lead does not move.")
    lost = replace(
        lead,
        status="lost",
        lost_reason=reason.strip(),
        lost_after_objection_id=objection_id,
        closed_at=now,
        updated_at=now,
    )
    return lost, StageMove(lead.stage, lead.stage, by, now, reason.strip(), "lost")


def stage_durations(history: list[StageMove], lead: Lead, now: datetime) -> dict[str, int]:
    """Whole seconds spent in each step, from the history; the current step counts until the lead
    was lost (a lost lead's clock stops) or until ``now`` (open leads, and won leads in follow_up)."""
    durations: dict[str, int] = {}
    entries = sorted(history, key=lambda m: m.at)
    for index, entry in enumerate(entries):
        if entry.status == "lost":
            break
        following = entries[index + 1].at if index + 1 < len(entries) else None
        if following is None:
            following = lead.closed_at if lead.status == "lost" and lead.closed_at else now
        seconds = max(0, int((following - entry.at).total_seconds()))
        durations[entry.to_stage] = durations.get(entry.to_stage, 0) + seconds
    return durations


def move_entry(lead: Lead, move: StageMove) -> TimelineEntry:
    """The timeline entry of a history entry: the lead's creation, a move, or its loss."""
    kind: TimelineKind = (
        "lost" if move.status == "lost" else "lead_created" if move.from_stage is None else "stage_move"
    )
    return timeline_entry(
        kind,
        org_id=lead.org_id,
        account_id=lead.account_id,
        at=move.at,
        entity_id=lead.id,
        data={
            "title": lead.title,
            "from_stage": move.from_stage,
            "to_stage": move.to_stage,
            "status": move.status,
            "by": move.by,
            "note": move.note or None,
            "objection_id": lead.lost_after_objection_id if move.status == "lost" else None,
        },
        lead_id=lead.id,
    )
