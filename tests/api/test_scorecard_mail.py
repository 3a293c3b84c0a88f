"""The weekly scorecard e-mail job through the app and moto, with hand-computed moments and figures.

Weeks are ISO weeks (Monday to Sunday) in the rep's zone, as ``GET /reps/{id}/scorecard`` reports
them; the e-mail about a week goes out from the start of the rep's first working day of the
following week. For a Sun–Thu rep in Riyadh that is Monday 09:00: the Sunday before still
belongs to the week being reported, and Friday/Saturday are days off.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import messaging
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from chalicelib.services.scorecards import NO_EMAIL
from tests.api.order_helpers import counted_reads, run_at_once
from tests.api.pipeline_helpers import account, lead, move

MANAGER = {"user": "boss", "role": "manager"}
SUN_THU = {d: ["09:00", "17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _outbox():
    messaging.clear_recorded()
    yield
    messaging.clear_recorded()


@pytest.fixture
def clock(monkeypatch):
    def at(moment: datetime) -> None:
        monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(moment))

    return at


def run(clock, at: datetime) -> dict[str, Any]:
    clock(at)
    return JOBS["weekly_scorecards"].run()


def mails() -> list[messaging.Envelope]:
    return [e for e, _ in messaging.recorded() if e.channel == "email"]


def profile(api, body: dict[str, Any], user: str = "rep-1", **kw: Any) -> dict[str, Any]:
    r = api.call("PUT", f"/reps/{user}", body, user=user, **kw)
    assert r.status == 200, r.raw
    return dict(r.json)


def riyadh_week_47(api, clock) -> None:
    """rep-1 (Riyadh, Sun–Thu) with goals; in W47: 2 prospects, 1 win, 2 contacts (a note is none)."""
    clock(utc(2026, 11, 16, 8, 0))  # Monday of W47, 11:00 in Riyadh: the first e-mail is W47's
    goals = {"prospects": 2, "wins": 1, "contacts": 3, "win_ratio": 2}
    body = {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "weekly_goals": goals, "email": "Sara@Example.COM"}
    assert profile(api, body)["email"] == "sara@example.com"
    acc = account(api)
    first = lead(api, acc)["id"]
    clock(utc(2026, 11, 22, 20, 30))  # Sunday 23:30 in Riyadh: still W47 there
    lead(api, acc)
    assert move(api, first, "closing").status == 200 and move(api, first, "follow_up").status == 200
    for channel in ("phone", "email", "note"):
        body = {"account_id": acc, "channel": channel, "direction": "outbound", "body": "..",
                "occurred_at": "2026-11-18T09:00:00Z"}  # fmt: skip
        assert api.call("POST", "/interactions", body).status == 201
    clock(utc(2026, 11, 22, 21, 30))  # Monday 00:30 in Riyadh: W48
    lead(api, acc)


def test_a_riyadh_rep_gets_last_weeks_scorecard_once_from_monday_0900_local(api, clock):
    riyadh_week_47(api, clock)
    # Saturday (day off) and Sunday 09:00 (a working day, but W47 is not over in Riyadh): nothing
    for moment in (utc(2026, 11, 21, 9, 0), utc(2026, 11, 22, 6, 0), utc(2026, 11, 23, 5, 59)):
        assert run(clock, moment)["queued"] == 0
    assert mails() == []
    result = run(clock, utc(2026, 11, 23, 6, 0))  # Monday 09:00 in Riyadh
    assert (result["queued"], result["outbox"]["sent"]) == (1, 1)
    [mail] = mails()
    assert mail.to == "sara@example.com" and mail.subject == "رسالة آلية: بطاقة أدائك للأسبوع 2026-W47"  # org: ar
    assert "من الاثنين 2026-11-16 إلى الأحد 2026-11-22 (Asia/Riyadh)" in mail.body
    assert "العملاء المحتملون المضافون: 2\nالتواصلات: 2\nالصفقات الرابحة: 1\n" in mail.body
    assert "- التواصلات: 2 من 3 (نقص 1)" in mail.body and "- العملاء المحتملون: 2 من 2 (تحقق)" in mail.body
    # once: later runs that day and that week send nothing more
    for moment in (utc(2026, 11, 23, 6, 15), utc(2026, 11, 26, 12, 0)):
        assert run(clock, moment)["queued"] == 0
    assert len(mails()) == 1
    listed = api.call("GET", "/messages?kind=scorecard", **MANAGER).json["items"]
    assert [(m["rep_id"], m["account_id"], m["status"], m["to"]) for m in listed] == [
        ("rep-1", None, "sent", "sara@example.com")
    ]
    # the next one is W48's, the next Monday 09:00 in Riyadh
    assert run(clock, utc(2026, 11, 30, 5, 59))["queued"] == 0
    assert run(clock, utc(2026, 11, 30, 6, 0))["queued"] == 1
    assert [m.subject for m in mails()][-1].endswith("2026-W48")


def test_a_rep_lists_their_own_scorecard_emails_and_nobody_elses(api, clock):
    clock(utc(2026, 11, 16, 8, 0))  # both profiles saved in W47: both get W47's e-mail
    profile(api, {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "email": "omar@example.com"}, user="rep-2")
    riyadh_week_47(api, clock)
    assert run(clock, utc(2026, 11, 23, 6, 0))["queued"] == 2

    def listed(query: str, **who: Any) -> list[tuple[str, str, str]]:
        reply = api.call("GET", f"/messages?{query}", **who)
        assert reply.status == 200, reply.raw
        return [(m["rep_id"], m["kind"], m["to"]) for m in reply.json["items"]]

    assert listed("rep_id=rep-1") == [("rep-1", "scorecard", "sara@example.com")]
    assert listed("rep_id=rep-2", user="rep-2") == [("rep-2", "scorecard", "omar@example.com")]
    assert listed("rep_id=rep-2", **MANAGER) == [("rep-2", "scorecard", "omar@example.com")]
    assert listed("rep_id=rep-1&kind=scorecard&status=sent") == [("rep-1", "scorecard", "sara@example.com")]
    assert listed("rep_id=rep-1&status=failed") == []
    assert listed("rep_id=rep-1", org="org-b", **MANAGER) == []  # another organisation's rep-1
    assert api.call("GET", "/messages?rep_id=rep-1", user="rep-2").is_problem(404)
    account_id = api.call("GET", "/accounts").json["items"][0]["id"]
    assert api.call("GET", f"/messages?rep_id=rep-1&account_id={account_id}").is_problem(422)
    assert api.call("GET", "/messages?kind=scorecard").is_problem(422)  # a rep names what they see


def test_the_emails_figures_are_the_scorecards_of_that_week(api, clock):
    riyadh_week_47(api, clock)
    clock(utc(2026, 11, 21, 8, 0))
    assert api.call("PUT", "/settings", {"default_language": "en"}, user="root", role="admin").status == 200
    run(clock, utc(2026, 11, 23, 6, 0))
    card = api.call("GET", "/reps/rep-1/scorecard?week=2026-W47").json
    [message] = api.call("GET", "/messages?kind=scorecard", **MANAGER).json["items"]
    figures = message["placeholders"]
    assert (figures["week"], figures["first_day"], figures["last_day"]) == ("2026-W47", "2026-11-16", "2026-11-22")
    assert [int(figures[k]) for k in ("prospects_added", "contacts_made", "wins")] == [
        card["prospects_added"], card["contacts_made"], card["wins"]
    ] == [2, 2, 1]  # fmt: skip
    for goal in card["goals"]:
        actual, target, difference = figures[f"goal_{goal['goal']}"].split("/")
        assert (float(actual), int(target), float(difference)) == (goal["actual"], goal["target"], goal["difference"])
    body = message["body"]
    assert body.startswith("Automated message: your weekly scorecard.")
    assert "Prospects added: 2\nContacts made: 2\nWins: 1\n" in body
    assert "- Contacts: 2 of 3 (shortfall 1)" in body and "- Prospects: 2 of 2 (met)" in body
    assert "- Close 1 in 2: 1 won for 2 contacts, 1 needed (met)" in body


def test_a_berlin_rep_across_the_end_of_summer_time(api, clock):
    """Clocks go back on Sunday 25 October 2026 (03:00 CEST -> 02:00 CET). W43 (19-25 October) runs
    from 18 Oct 22:00 UTC to 25 Oct 23:00 UTC (169 hours); Monday 09:00 is 07:00 UTC on 19 October
    and 08:00 UTC on 26 October."""
    clock(utc(2026, 10, 14, 10, 0))  # Wednesday of W42
    profile(
        api, {"timezone": "Europe/Berlin", "working_hours": {"mon": ["09:00", "17:00"]}, "email": "jonas@example.de"}
    )
    acc = account(api)
    for moment in (utc(2026, 10, 18, 21, 30), utc(2026, 10, 18, 22, 30), utc(2026, 10, 25, 22, 30),
                   utc(2026, 10, 25, 23, 0)):  # fmt: skip
        clock(moment)  # Sun 23:30 CEST (W42), Mon 00:30 CEST (W43), Sun 23:30 CET (W43), Mon 00:00 CET (W44)
        lead(api, acc)
    assert run(clock, utc(2026, 10, 19, 6, 59))["queued"] == 0
    assert run(clock, utc(2026, 10, 19, 7, 0))["queued"] == 1
    assert run(clock, utc(2026, 10, 26, 7, 0))["queued"] == 0  # 08:00 in Berlin now
    assert run(clock, utc(2026, 10, 26, 7, 59))["queued"] == 0
    assert run(clock, utc(2026, 10, 26, 8, 0))["queued"] == 1
    weeks = [m["placeholders"] for m in api.call("GET", "/messages?kind=scorecard", **MANAGER).json["items"]]
    assert sorted((w["week"], w["prospects_added"]) for w in weeks) == [("2026-W42", "1"), ("2026-W43", "2")]
    assert api.call("GET", "/reps/rep-1/scorecard?week=2026-W43").json["prospects_added"] == 2


def test_concurrent_and_repeated_runs_send_each_rep_once(api, clock):
    clock(utc(2026, 11, 16, 8, 0))
    for i in range(3):
        profile(api, {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "email": f"r{i}@example.com"}, f"rep-{i}")
    clock(utc(2026, 11, 23, 6, 0))
    results = run_at_once("weekly_scorecards", runs=3)
    assert sum(r["queued"] for r in results) == 3 and sum(r["outbox"]["sent"] for r in results) == 3
    assert sorted(m.to for m in mails()) == ["r0@example.com", "r1@example.com", "r2@example.com"]
    results = run_at_once("weekly_scorecards", runs=2)
    assert sum(r["queued"] for r in results) == 0 and len(mails()) == 3


def test_the_send_key_holds_even_if_the_schedule_is_set_back(api, clock):
    from chalicelib.persistence import reps as rep_store

    clock(utc(2026, 11, 16, 8, 0))
    profile(api, {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "email": "sara@example.com"})
    assert run(clock, utc(2026, 11, 23, 6, 0))["queued"] == 1
    _, schedule = rep_store.find_with_schedule("org-a", "rep-1")
    assert schedule is not None and schedule.last_sent_week == "2026-W47"
    # a stale copy: the schedule says W47 is still to go (as a lagging index entry would)
    stale = rep_store.schedule_item(
        type(schedule)("org-a", "rep-1", "2026-W46", utc(2026, 11, 23, 6, 0), schedule.version)
    )
    stale.save()
    result = run(clock, utc(2026, 11, 23, 6, 15))
    assert (result["queued"], result["lost_races"]) == (0, 1) and len(mails()) == 1


def test_after_an_outage_it_goes_later_that_week_and_a_missed_week_is_skipped(api, clock):
    riyadh_week_47(api, clock)
    assert run(clock, utc(2026, 11, 25, 12, 0))["queued"] == 1  # Wednesday: W47's still goes
    assert [m.subject[-8:] for m in mails()] == ["2026-W47"]
    # no run at all in W49 until Wednesday 2 December: W48's goes then; nothing for W47 twice
    assert run(clock, utc(2026, 12, 2, 12, 0))["queued"] == 1
    # and when a whole week is missed (no run between 7 and 14 December), W49's is skipped
    assert run(clock, utc(2026, 12, 14, 6, 0))["queued"] == 1
    assert [m.subject[-8:] for m in mails()] == ["2026-W47", "2026-W48", "2026-W50"]


def test_reps_of_another_organisation_never_appear_in_an_organisations_emails(api, clock):
    clock(utc(2026, 11, 16, 8, 0))
    for org, email in (("org-a", "a@example.com"), ("org-b", "b@example.com")):
        body = {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "email": email}
        assert api.call("PUT", "/reps/rep-1", body, org=org).status == 200
    clock(utc(2026, 11, 17, 8, 0))
    acc = account(api, org="org-b")
    for _ in range(3):
        lead(api, acc, org="org-b")  # org-b's rep-1 adds 3 prospects; org-a's none
    run(clock, utc(2026, 11, 23, 6, 0))
    sent = {m.to: m for m in mails()}
    assert set(sent) == {"a@example.com", "b@example.com"}
    a_messages = api.call("GET", "/messages?kind=scorecard", **MANAGER).json["items"]
    b_messages = api.call("GET", "/messages?kind=scorecard", org="org-b", **MANAGER).json["items"]
    assert [(m["to"], m["placeholders"]["prospects_added"]) for m in a_messages] == [("a@example.com", "0")]
    assert [(m["to"], m["placeholders"]["prospects_added"]) for m in b_messages] == [("b@example.com", "3")]


def test_a_rep_without_an_email_is_skipped_with_a_reason_and_not_retried(api, clock):
    from chalicelib.observability import logger

    clock(utc(2026, 11, 16, 8, 0))
    profile(api, {"timezone": "Asia/Riyadh", "working_hours": SUN_THU})
    buffer = io.StringIO()
    previous, level = logger.registered_handler.setStream(buffer), logger.log_level
    logger.setLevel("INFO")
    try:
        result = run(clock, utc(2026, 11, 23, 6, 0))
    finally:
        logger.registered_handler.setStream(previous)
        logger.setLevel(level)
    assert (result["queued"], result["no_email"]) == (0, 1) and mails() == []
    [line] = [json.loads(x) for x in buffer.getvalue().splitlines() if "scorecard e-mail skipped" in x]
    assert (line["rep_id"], line["week"], line["reason"]) == ("rep-1", "2026-W47", NO_EMAIL)
    assert run(clock, utc(2026, 11, 23, 6, 15))["no_email"] == 0  # moved to next week
    profile(api, {"email": "late@example.com"})
    assert run(clock, utc(2026, 11, 30, 6, 0))["queued"] == 1 and [m.to for m in mails()] == ["late@example.com"]


def test_profile_email_is_validated_folded_and_authorised_like_the_route(api):
    assert api.call("PUT", "/reps/rep-1", {"email": "not-an-address"}).is_problem(422)
    assert api.call("PUT", "/reps/rep-1", {"email": "x" * 330 + "@example.com"}).is_problem(422)
    assert profile(api, {"email": "  Rep.One@EXAMPLE.com "})["email"] == "rep.one@example.com"
    assert api.call("GET", "/reps/rep-1").json["email"] == "rep.one@example.com"
    assert api.call("PUT", "/reps/rep-2", {"email": "x@example.com"}).is_problem(404)  # another rep's
    assert profile(api, {"email": "two@example.com"}, "rep-2", **{"role": "manager"})["email"] == "two@example.com"
    assert profile(api, {"email": None})["email"] is None  # removed: no scorecard e-mail


def test_a_changed_zone_or_hours_moves_the_next_email(api, clock):
    clock(utc(2026, 11, 16, 8, 0))
    profile(api, {"timezone": "Asia/Riyadh", "working_hours": SUN_THU, "email": "sara@example.com"})
    clock(utc(2026, 11, 20, 8, 0))
    profile(api, {"working_hours": {"wed": ["10:00", "18:00"]}})  # now starts her week on Wednesday
    assert run(clock, utc(2026, 11, 23, 6, 0))["queued"] == 0
    assert run(clock, utc(2026, 11, 25, 6, 59))["queued"] == 0
    assert run(clock, utc(2026, 11, 25, 7, 0))["queued"] == 1  # Wednesday 10:00 in Riyadh


def test_reps_saved_before_schedules_existed_get_one_from_the_rebuild(api, clock):
    from chalicelib.domain.reps import RepProfile
    from chalicelib.persistence import db
    from chalicelib.persistence import reps as rep_store

    at = utc(2026, 11, 10, 8, 0)
    old = RepProfile("rep-9", "org-a", "Asia/Riyadh", SUN_THU, email="old@example.com", created_at=at, updated_at=at)
    item = rep_store.profile_item(old)
    db.ready()
    item.save()  # as stored before this change: a profile and no schedule
    clock(utc(2026, 11, 23, 7, 0))
    assert run(clock, utc(2026, 11, 23, 7, 0))["queued"] == 0
    from chalicelib.services.report_rebuild import rebuild_reports

    assert rebuild_reports("org-a")["scorecard_schedules_added"] == 1
    assert rebuild_reports("org-a")["scorecard_schedules_added"] == 0
    assert run(clock, utc(2026, 11, 23, 7, 0))["queued"] == 1  # W47's still goes this week
    assert [m.to for m in mails()] == ["old@example.com"]


def test_the_job_reads_only_the_reps_due(api, monkeypatch):
    from bench.seed_scorecards import seed
    from chalicelib.services import scorecards

    now = utc(2026, 11, 23, 6, 0)
    job = seed(due=20, not_due=500, now=now)
    with counted_reads() as reads:
        result = job()
    assert result["queued"] == 20 and result["outbox"]["sent"] == 20 and len(mails()) == 20
    ops = [op for op, _ in reads]
    # one Query per shard, one batch read (profiles, settings), one Query of counters per rep;
    # then the outbox's Queries of its due entries, which find nothing: it sent the run's 20
    # e-mails as queued, without reading them back
    assert ops == ["Query"] * 4 + ["BatchGetItem"] + ["Query"] * 20 + ["Query"] * 4
    assert len(ops) / 20 <= 3  # issue 13: job_reads_per_due_item <= 3
    assert sum(n for op, n in reads[:4]) == 20  # the 500 reps not due are never read
    assert sum(n for op, n in reads[-4:]) == 0
    assert scorecards.run(now)["queued"] == 0
