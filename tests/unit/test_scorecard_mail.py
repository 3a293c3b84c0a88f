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


# -- when the next e-mail is due (the key of the rep's due entry) ----------------------------


def test_next_send_is_this_weeks_start_while_last_weeks_is_to_go_else_next_weeks() -> None:
    from chalicelib.domain.reports.scorecard_mail import next_send

    before = RepSchedule("sara", "Asia/Riyadh", SUN_THU, last_sent_week="2026-W46")
    assert next_send(before, utc(2026, 11, 23, 5, 0)) == utc(2026, 11, 23, 6, 0)  # Monday 09:00 Riyadh
    assert next_send(before, utc(2026, 11, 25, 12, 0)) == utc(2026, 11, 23, 6, 0)  # past: due at once
    sent = RepSchedule("sara", "Asia/Riyadh", SUN_THU, last_sent_week="2026-W47")
    assert next_send(sent, utc(2026, 11, 23, 6, 0)) == utc(2026, 11, 30, 6, 0)


def test_next_send_is_exact_across_the_end_of_summer_time() -> None:
    from chalicelib.domain.reports.scorecard_mail import next_send

    berlin = RepSchedule("jonas", "Europe/Berlin", {"mon": ["09:00", "17:00"]}, last_sent_week="2026-W42")
    # Monday 26 October 09:00 is CET (UTC+1): clocks went back on Sunday 25 October
    assert next_send(berlin, utc(2026, 10, 19, 7, 0)) == utc(2026, 10, 26, 8, 0)
    assert next_send(RepSchedule("jonas", "Europe/Berlin", {"mon": ["09:00", "17:00"]}, "2026-W41"),
                     utc(2026, 10, 14, 7, 0)) == utc(2026, 10, 19, 7, 0)  # fmt: skip  # CEST (UTC+2)


def test_a_west_moved_zone_never_reports_a_week_twice() -> None:
    # sent W48's from Tokyo on Monday 30 Nov; moved to New York where it is still Sunday 29 (W48)
    moved = RepSchedule("ann", "America/New_York", {"mon": ["09:00", "17:00"]}, last_sent_week="2026-W48")
    assert due_scorecards([moved], utc(2026, 11, 30, 1, 0)) == []


def test_reschedule_new_profile_existing_profile_and_unchanged() -> None:
    from chalicelib.domain.reports.scorecard_mail import ScorecardSchedule, reschedule

    now = utc(2026, 11, 18, 8, 0)  # Wednesday of W47
    kw = {"org_id": "o", "user_id": "sara", "timezone": "Asia/Riyadh", "hours": SUN_THU, "now": now}
    new = reschedule(None, new_profile=True, **kw)  # type: ignore[arg-type]
    assert new is not None and (new.last_sent_week, new.due_at) == ("2026-W46", utc(2026, 11, 23, 6, 0))
    old = reschedule(None, new_profile=False, **kw)  # type: ignore[arg-type]
    assert old is not None and (old.last_sent_week, old.due_at) == (None, utc(2026, 11, 16, 6, 0))  # due now
    stored = ScorecardSchedule("o", "sara", "2026-W46", utc(2026, 11, 23, 6, 0), version=3)
    assert reschedule(stored, new_profile=False, **kw) is None  # type: ignore[arg-type]
    later = reschedule(stored, new_profile=False, **{**kw, "hours": {"tue": ["10:00", "18:00"]}})  # type: ignore[arg-type]
    assert later == ScorecardSchedule("o", "sara", "2026-W46", utc(2026, 11, 24, 7, 0), version=3)


# -- the e-mail ------------------------------------------------------------------------------


def test_the_email_without_goals_and_a_ratio_goal_with_no_win() -> None:
    from chalicelib.domain.reports.scorecard import score
    from chalicelib.domain.reports.scorecard_mail import render_mail

    bare = render_mail(score(IsoWeek(2026, 47), "UTC", {}, {}), language="en", timezone="UTC")
    assert bare.subject == "Automated message: your scorecard for 2026-W47"
    assert bare.body.endswith("Prospects added: 0\nContacts made: 0\nWins: 0\n\nYou have set no weekly goals.\n")
    card = score(IsoWeek(2026, 47), "UTC", {"sc_contacts": 25}, {"win_ratio": 10, "calls": 5})
    mail = render_mail(card, language="xx", timezone="UTC")  # an unknown language: English
    assert "- Close 1 in 10: 0 won for 25 contacts, 3 needed (shortfall 3)" in mail.body
    assert "- calls: 5 (not measured)" in mail.body
    assert mail.placeholders["goal_win_ratio"] == "—/10/-3"
