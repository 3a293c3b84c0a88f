"""A rep's week against their goals, in ISO weeks (Monday to Sunday) of the rep's own zone.

Goals are ``weekly_goals`` of the rep's profile: ``prospects``, ``contacts`` and ``wins`` are
targets for the week's counts; ``win_ratio: 10`` means "close 1 in 10": at least one win for every
10 contacts made. Each goal comes back with the actual figure and ``difference`` (actual minus
what the goal asks; negative is a shortfall, positive a surplus).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import ValidationFailed

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

# Counter names (per rep, in 15-minute slots so any zone's week is a whole number of slots).
PROSPECTS = "sc_prospects"
CONTACTS = "sc_contacts"
WINS = "sc_wins"
SLOT_MINUTES = 15

COUNT_GOALS = {"prospects": PROSPECTS, "contacts": CONTACTS, "wins": WINS}
WIN_RATIO = "win_ratio"


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def previous(self) -> IsoWeek:
        return week_containing(self.monday() - timedelta(days=7))

    def next(self) -> IsoWeek:
        return week_containing(self.monday() + timedelta(days=7))


def parse_week(value: str) -> IsoWeek:
    match = _WEEK.match(value.strip())
    if match is None:
        raise ValidationFailed.single("week", "must be an ISO week such as 2026-W47")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValidationFailed.single("week", f"{year} has no week {week}")
    return IsoWeek(year, week)


def week_containing(day: date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def week_of(at: datetime, zone: str) -> IsoWeek:
    """The ISO week an instant falls in, in ``zone``."""
    return week_containing(at.astimezone(ZoneInfo(zone)).date())


def week_bounds(week: IsoWeek, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of the week in ``zone`` as UTC instants (Monday 00:00 to the next Monday
    00:00 local; a week with a clock change is 167 or 169 hours long)."""
    tz = ZoneInfo(zone)
    monday = week.monday()
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def slot(at: datetime) -> datetime:
    """The start of the 15-minute UTC slot of ``at``: every zone's midnight is a slot boundary
    (offsets are whole quarter hours), so a local week is a whole run of slots."""
    utc = at.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % SLOT_MINUTES, second=0, microsecond=0)


@dataclass(frozen=True)
class GoalResult:
    goal: str
    target: int
    actual: float | None
    difference: float | None
    met: bool | None


@dataclass(frozen=True)
class Scorecard:
    week: str
    start: datetime
    end: datetime
    prospects_added: int
    contacts_made: int
    wins: int
    goals: list[GoalResult]


def score(week: IsoWeek, zone: str, counters: Mapping[str, int], goals: Mapping[str, int]) -> Scorecard:
    prospects, contacts, wins = (int(counters.get(name, 0)) for name in (PROSPECTS, CONTACTS, WINS))
    actual = {"prospects": prospects, "contacts": contacts, "wins": wins}
    results: list[GoalResult] = []
    for goal, target in sorted(goals.items()):
        if goal in COUNT_GOALS:
            have = actual[goal]
            results.append(GoalResult(goal, target, have, have - target, have >= target))
        elif goal == WIN_RATIO and target > 0:
            # "close 1 in N": the wins the week's contacts ask for, and how many the rep has
            # beyond (or short of) that; actual is contacts per win (None without a win).
            needed = math.ceil(contacts / target)
            results.append(
                GoalResult(goal, target, round(contacts / wins, 2) if wins else None, wins - needed, wins >= needed)
            )
        else:
            results.append(GoalResult(goal, target, None, None, None))  # a goal the system does not measure
    start, end = week_bounds(week, zone)
    return Scorecard(str(week), start, end, prospects, contacts, wins, results)
