"""Who gets last week's scorecard e-mail, and when: hand-computed in each rep's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.reports.scorecard import IsoWeek
from chalicelib.domain.reports.scorecard_mail import RepSchedule, due_scorecards

SUN_THU = {d: ["09:00", "17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_due_on_the_first_working_day_of_the_week_from_when_it_begins() -> None:
    riyadh = RepSchedule("sara", "Asia/Riyadh", SUN_THU)
    # Monday 23 November, 08:59 in Riyadh: the day has not begun
    assert due_scorecards([riyadh], utc(2026, 11, 23, 5, 59)) == []
    [due] = due_scorecards([riyadh], utc(2026, 11, 23, 6, 0))  # 09:00 in Riyadh
    assert (due.user_id, due.week, due.send_key) == ("sara", IsoWeek(2026, 47), "scorecard#sara#2026-W47")


def test_sent_once_and_caught_up_later_in_the_week_if_missed() -> None:
    sent = RepSchedule("sara", "Asia/Riyadh", SUN_THU, last_sent_week="2026-W47")
    assert due_scorecards([sent], utc(2026, 11, 23, 9, 0)) == []
    missed = RepSchedule("sara", "Asia/Riyadh", SUN_THU, last_sent_week="2026-W46")
    assert [d.week for d in due_scorecards([missed], utc(2026, 11, 25, 12, 0))] == [IsoWeek(2026, 47)]


def test_a_rep_who_starts_the_week_on_wednesday_gets_it_on_wednesday() -> None:
    berlin = RepSchedule("jonas", "Europe/Berlin", {d: ["10:00", "18:00"] for d in ("wed", "thu", "fri")})
    assert due_scorecards([berlin], utc(2026, 11, 24, 12, 0)) == []  # Tuesday
    assert due_scorecards([berlin], utc(2026, 11, 25, 8, 59)) == []  # Wednesday 09:59 CET
    assert [d.user_id for d in due_scorecards([berlin], utc(2026, 11, 25, 9, 0))] == ["jonas"]


def test_each_rep_in_their_own_zone_and_no_hours_means_monday_midnight() -> None:
    new_york = RepSchedule("ann", "America/New_York", {"mon": ["09:00", "17:00"]})
    anytime = RepSchedule("omar", "Asia/Riyadh", {})
    # 06:00 UTC Monday: 09:00 in Riyadh, 01:00 in New York
    assert [d.user_id for d in due_scorecards([new_york, anytime], utc(2026, 11, 23, 6, 0))] == ["omar"]
    assert [d.user_id for d in due_scorecards([new_york, anytime], utc(2026, 11, 23, 14, 0))] == ["ann", "omar"]
    # Sunday 22:00 UTC is already Monday 01:00 in Riyadh: omar's new week has begun
    assert [d.week for d in due_scorecards([anytime], utc(2026, 11, 22, 22, 0))] == [IsoWeek(2026, 47)]
