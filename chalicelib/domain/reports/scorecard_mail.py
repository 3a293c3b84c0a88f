"""Planning the weekly scorecard e-mail: each rep gets last week's scorecard once, on the first
working day of their (ISO) week, from the hour their working day begins, in their own zone.

The job that sends them (through the outbox) asks ``due_scorecards`` which reps are due now;
``send_key`` names the message so the outbox sends it exactly once even when the job runs every
few minutes or twice at once. A job that missed the first working day (an outage) still sends
later that week; after the week it is no longer last week's scorecard and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.reports.scorecard import IsoWeek, week_containing

_ISO_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class RepSchedule:
    user_id: str
    timezone: str
    working_hours: Mapping[str, Sequence[str]]
    last_sent_week: str | None = None  # the week of the last scorecard sent, e.g. "2026-W47"


@dataclass(frozen=True)
class DueScorecard:
    user_id: str
    week: IsoWeek  # the week the scorecard reports (last week in the rep's zone)
    send_key: str  # one message per rep and week: the outbox's exactly-once key


def first_working_day(week: IsoWeek, hours: Mapping[str, Sequence[str]]) -> tuple[date, time]:
    """The first day of ``week`` (Monday first) the rep works, and when that day begins; a rep
    with no working hours is taken to start on Monday at midnight."""
    monday = week.monday()
    for offset, name in enumerate(_ISO_DAYS):
        span = hours.get(name)
        if span:
            hh, mm = (int(p) for p in span[0].split(":"))
            return monday + timedelta(days=offset), time(hh % 24, mm)
    return monday, time(0)


def due_scorecards(reps: Iterable[RepSchedule], now: datetime) -> list[DueScorecard]:
    """The reps whose last-week scorecard should go out now."""
    due: list[DueScorecard] = []
    for rep in reps:
        zone = ZoneInfo(rep.timezone)
        this_week = week_containing(now.astimezone(zone).date())
        report_week = this_week.previous()
        if rep.last_sent_week == str(report_week):
            continue
        day, opens = first_working_day(this_week, rep.working_hours)
        starts = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        if now.astimezone(UTC) >= starts:
            due.append(DueScorecard(rep.user_id, report_week, f"scorecard#{rep.user_id}#{report_week}"))
    return due
