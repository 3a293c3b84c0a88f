"""The merged, newest-first history of one customer across every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

TimelineKind = Literal[
    "interaction",
    "lead_created",
    "stage_move",
    "lost",
    "objection",
    "referral_request",
    "referral",
    "order",
    "message",
]


@dataclass(frozen=True)
class TimelineEntry:
    """One entry. ``entity_id`` names what it records (interaction, lead, objection, order,
    message ...); ``data`` carries the few fields a timeline row shows."""

    id: str
    account_id: str
    kind: str
    at: datetime
    entity_id: str
    lead_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
