"""A rep's working profile: time zone, working hours, availability and weekly goals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool, field_validator

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.model import Model
from chalicelib.domain.normalize import normalize_email
from chalicelib.domain.settings import validate_timezone
from chalicelib.domain.validation import Omittable

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_GOAL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
Goal = Annotated[int, Field(ge=0, le=100_000)]
TEAM_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class RepChanges(Model):
    """``PUT /reps/{id}`` takes any subset; what it leaves out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    timezone: Omittable[str] = Field(default=None, description="IANA time zone, e.g. Asia/Riyadh")
    working_hours: Omittable[dict[str, list[str]]] = Field(
        default=None, description='{"sun": ["09:00", "17:00"], ...}; missing days are off'
    )
    available: Omittable[StrictBool] = Field(default=None, description="false pauses new lead assignments")
    weekly_goals: Annotated[Omittable[dict[str, Goal]], Field(max_length=20)] = Field(
        default=None, description='e.g. {"prospects": 20, "wins": 2}'
    )
    team: Annotated[str | None, Field(pattern=TEAM_PATTERN)] = Field(
        default=None, description="the rep's team for team reports (set by a manager or admin; null clears it)"
    )
    email: Annotated[str | None, Field(max_length=320)] = Field(
        default=None,
        description="where the weekly scorecard e-mail goes (stored case-folded, like account e-mails; null "
        "removes it: the rep then gets no scorecard e-mail)",
    )
    version: int | None = Field(default=None, description="optional: the version the change is based on")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        folded = normalize_email(value)
        if folded is None:
            raise ValueError(f"{value!r} is not an e-mail address")
        return folded

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is None:
            return None
        for day, span in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a day; use {', '.join(WEEKDAYS)}")
            if len(span) != 2 or not all(_CLOCK.match(t) for t in span):
                raise ValueError(f'{day} must be ["HH:MM", "HH:MM"]')
            if _minutes(span[0]) >= _minutes(span[1]):
                raise ValueError(f"{day}: the day must end after it starts")
        return {day: value[day] for day in WEEKDAYS if day in value}

    @field_validator("weekly_goals")
    @classmethod
    def _goals(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None:
            bad = [k for k in value if not _GOAL_KEY.match(k)]
            if bad:
                raise ValueError(f"goal names must be snake_case words: {bad}")
        return value


@dataclass
class RepProfile:
    user_id: str
    org_id: str
    timezone: str
    working_hours: dict[str, list[str]] = field(default_factory=dict)
    available: bool = True
    weekly_goals: dict[str, int] = field(default_factory=dict)
    team: str | None = None
    email: str | None = None  # the weekly scorecard e-mail's address
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0  # 0: never saved; the defaults apply


def default_profile(user_id: str, org_id: str, org_timezone: str) -> RepProfile:
    return RepProfile(user_id=user_id, org_id=org_id, timezone=org_timezone)


def apply_rep_changes(profile: RepProfile, changes: RepChanges, now: datetime) -> RepProfile:
    sent: dict[str, Any] = {k: getattr(changes, k) for k in changes.model_fields_set if k != "version"}
    for name, value in sent.items():
        if value is None and name not in ("team", "email"):
            raise ValidationFailed.single(name, "must not be null")
    return RepProfile(
        user_id=profile.user_id,
        org_id=profile.org_id,
        timezone=sent.get("timezone", profile.timezone),
        working_hours=sent.get("working_hours", profile.working_hours),
        available=sent.get("available", profile.available),
        weekly_goals=sent.get("weekly_goals", profile.weekly_goals),
        team=sent.get("team", profile.team),
        email=sent.get("email", profile.email),
        created_at=profile.created_at or now,
        updated_at=now,
        version=profile.version,
    )
