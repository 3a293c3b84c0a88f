"""Reports through the API with hand-computed figures: funnel (a cohort, per rep and team),
contact success (raw and fair, buckets, first response in working hours), objections and quote
changes, and the weekly scorecard. Times are pinned with TAWASUL_NOW (the local stage's clock)."""

from __future__ import annotations

import pytest

from tests.api.pipeline_helpers import account, lead, move

MANAGER = {"user": "boss", "role": "manager"}
SUN_THU = {d: ["09:00", "17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}


@pytest.fixture
def clock(monkeypatch):
    def at(moment: str) -> None:
        monkeypatch.setenv("TAWASUL_NOW", moment)

    return at


def steps(report: dict) -> list[tuple[str, int]]:
    return [(s["stage"], s["count"]) for s in report["steps"]]


def test_funnel_is_a_cohort_per_org_rep_and_team(api, clock):
    clock("2026-11-01T10:00:00Z")
    acc = account(api, **MANAGER)
    won = lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)["id"]
    lost = lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)["id"]
    lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)
    other = lead(api, acc, body={"owner_id": "rep-2"}, **MANAGER)["id"]
    clock("2026-11-11T10:00:00Z")  # ten days later, the moves count toward the 1 November cohort
    assert move(api, won, "closing", **MANAGER).status == 200
    assert move(api, won, "follow_up", **MANAGER).status == 200
    assert move(api, lost, "objections", **MANAGER).status == 200
    assert api.call("POST", f"/leads/{lost}/lost", {"reason": "budget"}, **MANAGER).status == 200
    assert move(api, other, "presentation", **MANAGER).status == 200

    r = api.call("GET", "/reports/funnel?from=2026-11-01&to=2026-11-01", **MANAGER)
    assert r.status == 200, r.raw
    org = r.json
    assert steps(org) == [
        ("prospecting", 4), ("approach", 3), ("presentation", 3), ("objections", 2), ("closing", 1), ("follow_up", 1),
    ]  # fmt: skip
    assert [s["conversion_to_next"] for s in org["steps"]] == [0.75, 1.0, 0.6667, 0.5, 1.0, None]
    assert (org["leads"], org["won"], org["lost"], org["open"], org["win_rate"]) == (4, 1, 1, 2, 0.5)
    assert org["median_cycle_days"] == 10 and org["period"] == {"first_day": "2026-11-01", "last_day": "2026-11-01"}
    # the moves happened on the 11th, but the cohort of the 11th is empty
    later = api.call("GET", "/reports/funnel?from=2026-11-11&to=2026-11-11", **MANAGER).json
    assert later["leads"] == 0 and later["win_rate"] is None

    mine = api.call("GET", "/reports/funnel?from=2026-11-01&to=2026-11-01").json  # rep-1: their own
    assert steps(mine)[:4] == [("prospecting", 3), ("approach", 2), ("presentation", 2), ("objections", 2)]
    assert mine["owner_id"] == "rep-1"
    assert api.call("GET", "/reports/funnel?owner_id=rep-2").is_problem(404)
    assert api.call("GET", "/reports/funnel?team=north").is_problem(404)

    assert api.call("PUT", "/reps/rep-1", {"team": "north"}).is_problem(422)  # a rep does not pick a team
    assert api.call("PUT", "/reps/rep-1", {"team": "north"}, **MANAGER).json["team"] == "north"
    team = api.call("GET", "/reports/funnel?from=2026-11-01&to=2026-11-01&team=north", **MANAGER).json
    assert steps(team) == steps(mine) and team["team"] == "north"
    assert api.call("GET", "/reports/funnel?from=2026-11-02&to=2026-11-01", **MANAGER).is_problem(422)
    assert api.call("GET", "/reports/funnel?from=2025-01-01&to=2026-11-01", **MANAGER).is_problem(422)
    assert api.call("GET", "/reports/funnel?from=yesterday", **MANAGER).is_problem(422)


def inbound(api, acc, at, lead_id=None, **extra):
    body = {"account_id": acc, "channel": "whatsapp", "direction": "inbound", "body": "بكم؟", "occurred_at": at}
    if lead_id:
        body["lead_id"] = lead_id
    r = api.call("POST", "/interactions", {**body, **extra.pop("body", {})}, **extra)
    assert r.status == 201, r.raw
    return r.json


def reply(api, acc, lead_id, at):
    body = {"account_id": acc, "lead_id": lead_id, "channel": "whatsapp", "direction": "outbound", "body": "أهلاً"}
    assert api.call("POST", "/interactions", {**body, "occurred_at": at}).status == 201


def test_contact_success_raw_beside_fair_with_every_bucket(api, clock):
    clock("2026-11-24T12:00:00Z")
    assert api.call("PUT", "/reps/rep-1", {"timezone": "Asia/Riyadh", "working_hours": SUN_THU}).status == 200
    buyer = account(api, "سارة", body={"phones": ["0501111111"]})
    listings = [lead(api, buyer, f"listing {i}")["id"] for i in range(3)]
    inbound(api, buyer, "2026-11-19T09:00:00Z", listings[0])
    inbound(api, buyer, "2026-11-19T10:00:00Z", listings[1])  # the same message to another listing
    inbound(api, buyer, "2026-11-20T15:00:00Z", listings[2])  # 30 hours later: a new inquiry
    inbound(api, buyer, "2026-11-19T11:00:00Z", listings[0])  # a second message of a conversation: nothing
    curious = account(api, "خالد")
    inbound(api, curious, "2026-11-19T09:30:00Z", body={"intent": "non_commercial"})  # no lead
    comparer = account(api, "منى")
    comparing = lead(api, comparer)["id"]
    asked = inbound(api, comparer, "2026-11-19T08:00:00Z", comparing)  # Thursday 11:00 in Riyadh
    reply(api, comparer, comparing, "2026-11-19T08:45:00Z")  # 45 working minutes
    buying = account(api, "ليلى")
    bought = lead(api, buying)["id"]
    inbound(api, buying, "2026-11-19T13:50:00Z", bought)  # Thursday 16:50 in Riyadh
    reply(api, buying, bought, "2026-11-22T06:10:00Z")  # Sunday 09:10: 20 working minutes
    reply(api, buying, bought, "2026-11-22T07:00:00Z")  # not the first reply: nothing
    for won in (bought, listings[1]):
        assert move(api, won, "closing").status == 200 and move(api, won, "follow_up").status == 200

    r = api.call("PATCH", f"/interactions/{asked['id']}", {"outcome": "price_comparison", "version": 1})
    assert r.status == 200, r.raw
    assert r.json["outcome"] == "price_comparison" and r.json["version"] == 2
    assert api.call("PATCH", f"/interactions/{asked['id']}", {"outcome": "no_reply", "version": 1}).is_problem(409)
    assert api.call("PATCH", f"/interactions/{asked['id']}", {"outcome": "rude", "version": 2}).is_problem(422)
    assert api.call("PATCH", "/interactions/nope", {"outcome": "no_reply", "version": 1}).is_problem(404)
    assert api.call(
        "PATCH", f"/interactions/{asked['id']}", {"outcome": "no_reply", "version": 2}, user="rep-2"
    ).is_problem(404)

    report = api.call("GET", "/reports/contact-success?from=2026-11-19&to=2026-11-20").json
    assert report["raw"] == {"inquiries": 6, "converted": 2, "rate": 0.3333}
    assert report["fair"] == {"inquiries": 4, "converted": 2, "rate": 0.5}
    assert (report["duplicates_collapsed"], report["non_commercial_excluded"]) == (1, 1)
    assert report["outcomes"] == {"price_comparison": 1, "just_curious": 0, "no_reply": 0}
    assert (report["median_first_response_minutes"], report["p90_first_response_minutes"]) == (20, 45)
    rep = api.call("GET", "/reps/rep-1").json["first_response"]
    assert (rep["responses"], rep["median_minutes"], rep["p90_minutes"]) == (2, 20, 45)

    # marking the comparer non-commercial takes that inquiry (and its outcome) out of the fair rate
    assert api.call("PATCH", f"/interactions/{asked['id']}", {"intent": "non_commercial", "version": 2}).status == 200
    report = api.call("GET", "/reports/contact-success?from=2026-11-19&to=2026-11-20").json
    assert report["fair"]["inquiries"] == 3 and report["non_commercial_excluded"] == 2
    assert report["outcomes"]["price_comparison"] == 0 and report["raw"]["inquiries"] == 6
    assert api.call("GET", "/reports/contact-success?owner_id=rep-2").is_problem(404)


def test_objections_and_honest_quote_changes(api, clock):
    clock("2026-11-20T10:00:00Z")
    acc = account(api)
    deal = lead(api, acc, body={"value": {"amount": "100.00", "currency": "SAR"}})
    objection = {"category": "price", "text": "غالي", "counter_offer": {"amount": "80.00", "currency": "SAR"}}
    price = api.call("POST", f"/leads/{deal['id']}/objections", objection).json
    assert (
        api.call("PATCH", f"/leads/{deal['id']}/objections/{price['id']}", {"status": "resolved", "version": 1}).status
        == 200
    )
    r = api.call("PATCH", f"/leads/{deal['id']}", {"value": {"amount": "150.00", "currency": "SAR"}, "version": 1})
    assert r.is_problem(422) and r.json["errors"][0]["field"] == "value_change_reason"
    change = {"value": {"amount": "150.00", "currency": "SAR"}, "value_change_reason": "scope_change", "version": 1}
    r = api.call("PATCH", f"/leads/{deal['id']}", {**change, "value_change_note": "سنتان بدل سنة"})
    assert r.status == 200 and r.json["value"]["amount"] == "150.00", r.raw
    timeline = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    [quote] = [e for e in timeline if e["kind"] == "quote_change"]
    assert quote["data"]["old_value"]["amount"] == "100.00" and quote["data"]["new_value"]["amount"] == "150.00"
    assert quote["data"]["reason"] == "scope_change" and quote["data"]["note"] == "سنتان بدل سنة"
    [kept] = api.call("GET", f"/leads/{deal['id']}").json["value_history"]
    assert (kept["old_value"]["amount"], kept["new_value"]["amount"], kept["reason"]) == (
        "100.00",
        "150.00",
        "scope_change",
    )
    other = lead(api, acc)
    api.call("POST", f"/leads/{other['id']}/objections", {"category": "timing", "text": "بعدين"})
    assert api.call("POST", f"/leads/{other['id']}/lost", {"reason": "not now"}).status == 200

    assert api.call("GET", "/reports/objections").is_problem(404)  # the organisation's figures: managers
    report = api.call("GET", "/reports/objections?from=2026-11-20&to=2026-11-20", **MANAGER).json
    by = {c["category"]: c for c in report["categories"]}
    assert (by["price"]["count"], by["price"]["resolution_rate"], by["price"]["counter_offers"]) == (1, 1.0, 1)
    assert (by["timing"]["count"], by["timing"]["resolution_rate"], by["timing"]["lost_leads_preceded"]) == (1, 0.0, 1)
    assert by["price"]["lost_leads_preceded"] == 0 and report["total"] == 2
    assert report["quote_changes"] == {"scope_change": 1, "add_on": 0, "discount": 0, "correction": 0}


def test_weekly_scorecard_in_the_reps_zone_against_goals(api, clock):
    goals = {"prospects": 2, "wins": 1, "contacts": 3, "win_ratio": 2}
    clock("2026-11-16T08:00:00Z")
    assert api.call("PUT", "/reps/rep-1", {"timezone": "Asia/Riyadh", "weekly_goals": goals}).status == 200
    acc = account(api)
    first = lead(api, acc)["id"]
    clock("2026-11-22T20:30:00Z")  # Sunday 23:30 in Riyadh: still week 47 there
    lead(api, acc)
    assert move(api, first, "closing").status == 200 and move(api, first, "follow_up").status == 200
    for channel in ("phone", "email", "note"):  # a note is not a contact
        body = {
            "account_id": acc,
            "channel": channel,
            "direction": "outbound",
            "body": "..",
            "occurred_at": "2026-11-18T09:00:00Z",
        }
        assert api.call("POST", "/interactions", body).status == 201
    clock("2026-11-22T21:30:00Z")  # Monday 00:30 in Riyadh: week 48
    lead(api, acc)

    card = api.call("GET", "/reps/rep-1/scorecard?week=2026-W47").json
    assert (card["prospects_added"], card["contacts_made"], card["wins"]) == (2, 2, 1)
    assert (card["start"], card["end"]) == ("2026-11-15T21:00:00Z", "2026-11-22T21:00:00Z")
    by = {g["goal"]: g for g in card["goals"]}
    assert (by["prospects"]["difference"], by["prospects"]["met"]) == (0, True)
    assert (by["contacts"]["difference"], by["contacts"]["met"]) == (-1, False)
    assert (by["win_ratio"]["actual"], by["win_ratio"]["difference"]) == (2.0, 0)
    assert api.call("GET", "/reps/rep-1/scorecard?week=2026-W48").json["prospects_added"] == 1
    assert api.call("GET", "/reps/rep-2/scorecard?week=2026-W47").is_problem(404)
    assert api.call("GET", "/reps/rep-1/scorecard?week=2026-W99").is_problem(422)
    assert api.call("GET", "/reps/rep-1/scorecard?week=2026-W47", **MANAGER).json["wins"] == 1
