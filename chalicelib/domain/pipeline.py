"""The six-step sales process: stages, statuses and the rules for moving a lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.errors import InvalidTransition, ValidationFailed

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
