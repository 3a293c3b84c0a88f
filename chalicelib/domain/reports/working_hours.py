"""Minutes between two instants that fall inside a rep's working hours, in the rep's zone.

A rep who works Sun-Thu 09:00-17:00 in Asia/Riyadh and answers on Sunday 09:10 a message sent on
Thursday 16:50 took 20 minutes, not 64 hours. Each working day is turned into a real interval
(its local start and end converted to UTC with the zone's rules for that date), so a day on which
the clocks change is exactly as long as it really was; the intervals are intersected with the
period being measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Python's weekday(): Monday is 0. The API names days sun..sat.
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WorkingHours = Mapping[str, Sequence[str]]


def _local(day: date, clock: str, zone: ZoneInfo) -> datetime:
    """``clock`` ("HH:MM", or "24:00" for the end of the day) on ``day`` in ``zone``, as UTC.

    A wall time that does not exist (inside a spring-forward gap) is read with the offset in
    force before the change (``fold=0``), i.e. it lands just after the gap."""
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours == 24:
        day, hours, minutes = day + timedelta(days=1), 0, 0
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def working_intervals(
    start: datetime, end: datetime, *, zone: str, hours: WorkingHours
) -> list[tuple[datetime, datetime]]:
    """The parts of ``[start, end)`` inside working hours, as UTC intervals, in order."""
    if end <= start:
        return []
    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date() - timedelta(days=1)  # a day's hours may reach past midnight UTC
    last = end.astimezone(tz).date() + timedelta(days=1)
    found: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        span = hours.get(_DAY_NAMES[day.weekday()])
        if span:
            opens, closes = _local(day, span[0], tz), _local(day, span[1], tz)
            lo, hi = max(opens, start.astimezone(UTC)), min(closes, end.astimezone(UTC))
            if lo < hi:
                found.append((lo, hi))
        day += timedelta(days=1)
    return found


def working_minutes(start: datetime, end: datetime, *, zone: str, hours: WorkingHours) -> float:
    """Minutes of ``[start, end)`` inside the working hours ``hours`` ({"sun": ["09:00", "17:00"],
    ...}; a missing day is a day off) in the IANA zone ``zone``.

    A message that arrives outside hours starts counting when they begin; days off count nothing;
    a reply before the message counts 0. A rep with no working hours at all has not said when they
    work: the clock runs around the clock (plain elapsed minutes)."""
    if end <= start:
        return 0.0
    if not any(hours.values()):
        return (end - start).total_seconds() / 60
    seconds = sum((hi - lo).total_seconds() for lo, hi in working_intervals(start, end, zone=zone, hours=hours))
    return seconds / 60
