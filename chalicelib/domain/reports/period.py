"""The period a report covers: whole UTC days, ``from`` and ``to`` inclusive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.timeutil import parse_rfc3339

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def first_key(self) -> str:
        return f"D#{self.first.isoformat()}"

    @property
    def last_key(self) -> str:
        return f"D#{self.last.isoformat()}"


def _day(value: str, name: str) -> date:
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else parse_rfc3339(text, name).date()
    except ValueError:
        raise ValidationFailed.single(name, "must be a date (2026-11-22) or an RFC 3339 time")


def period(raw_from: str | None, raw_to: str | None, today: datetime) -> Period:
    """``from``..``to`` (UTC days, inclusive); the last 30 days up to today by default."""
    last = _day(raw_to, "to") if raw_to else today.date()
    first = _day(raw_from, "from") if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed.single("from", "must not be after to")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed.single("from", f"a report covers at most {MAX_DAYS} days")
    return Period(first, last)
