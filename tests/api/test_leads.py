"""Leads through the HTTP API: creation, visibility, lists, changes, moves and losses."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.pipeline import STAGES
from chalicelib.domain.principal import Principal
from chalicelib.persistence import db
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence import timeline as timeline_store
from tests.api.pipeline_helpers import account, lead, move, won_lead

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`

MANAGER = {"user": "boss", "role": "manager"}


def test_create_lead_writes_history_and_timeline_in_one_transaction(api, ddb_calls):
    acc = account(api)
    ddb_calls()
    r = api.call("POST", "/leads", {"account_id": acc, "title": "عرض", "value": {"amount": "1500", "currency": "SAR"}})
    assert r.status == 201, r.raw
    assert ddb_calls() == ["BatchGetItem", "TransactWriteItems"]  # visibility read, one transaction
    body = r.json
    assert r.header("Location") == f"/leads/{body['id']}"
    assert (body["stage"], body["status"], body["owner_id"], body["version"]) == ("prospecting", "open", "rep-1", 1)
    assert body["value"] == {"amount": "1500.00", "currency": "SAR"}
    assert [(h["from_stage"], h["to_stage"]) for h in body["stage_history"]] == [(None, "prospecting")]
    assert set(body["stage_durations"]) == {"prospecting"}
    timeline = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    assert [(e["kind"], e["entity_id"]) for e in timeline] == [("lead_created", body["id"])]


def test_a_lead_needs_a_visible_existing_account(api):
    other_reps = account(api, user="rep-2")
    r = api.call("POST", "/leads", {"account_id": other_reps, "title": "x"})
    assert r.is_problem(404)
    other_org = account(api, org="org-b")
    assert api.call("POST", "/leads", {"account_id": other_org, "title": "x"}).is_problem(404)
    assert api.call("POST", "/leads", {"account_id": "nope", "title": "x"}).is_problem(404)
    assert api.call("POST", "/leads", {"account_id": other_reps, "title": "x"}, **MANAGER).status == 201


def test_create_lead_validation(api):
    acc = account(api)
    for body in [
        {"account_id": acc},
        {"account_id": acc, "title": ""},
        {"title": "x"},
        {"account_id": acc, "title": "x", "stage": "closing"},
        {"account_id": acc, "title": "x", "value": {"amount": "abc", "currency": "SAR"}},
        {"account_id": "x#LEAD#y", "title": "x"},
        {"account_id": acc, "title": "x", "owner_id": "a b"},
    ]:
        assert api.call("POST", "/leads", body).is_problem(422), body
    r = api.call("POST", "/leads", {"account_id": acc, "title": "x", "owner_id": "rep-2"})
    assert r.is_problem(422)  # a rep cannot hand leads to someone else
    assert api.call("POST", "/leads", raw=b"{nope").is_problem(400)
    assert api.call("POST", "/leads", {"account_id": acc, "title": "x"}, auth=False).is_problem(401)


def test_lead_assignment_gives_the_rep_the_account(api):
    acc = account(api, **MANAGER)
    assert api.call("GET", f"/accounts/{acc}", user="rep-2").is_problem(404)
    created = lead(api, acc, body={"owner_id": "rep-2"}, **MANAGER)
    assert created["owner_id"] == "rep-2"
    assert api.call("GET", f"/accounts/{acc}", user="rep-2").status == 200
    assert [a["id"] for a in api.call("GET", "/accounts", user="rep-2").json["items"]] == [acc]
    assert api.call("GET", f"/leads/{created['id']}", user="rep-2").status == 200
    assert api.call("GET", f"/leads/{created['id']}", user="rep-3").is_problem(404)


def test_an_unavailable_rep_gets_no_new_leads_unless_asked_explicitly(api):
    acc = account(api, **MANAGER)
    assert api.call("PUT", "/reps/rep-2", {"available": False}, user="rep-2").status == 200
    r = api.call("POST", "/leads", {"account_id": acc, "title": "x", "owner_id": "rep-2"}, **MANAGER)
    assert r.is_problem(409) and "assign_even_if_unavailable" in r.json["detail"]
    assert api.call("GET", "/leads", **MANAGER).json["items"] == []  # nothing half-written
    forced = {"account_id": acc, "title": "x", "owner_id": "rep-2", "assign_even_if_unavailable": True}
    assert api.call("POST", "/leads", forced, **MANAGER).status == 201
    # the paused rep may still create their own
    mine = account(api, user="rep-2")
    assert api.call("POST", "/leads", {"account_id": mine, "title": "own"}, user="rep-2").status == 201


def test_get_lead_404_for_other_reps_and_tenants(api):
    created = lead(api, account(api))
    assert api.call("GET", f"/leads/{created['id']}").status == 200
    assert api.call("GET", f"/leads/{created['id']}", user="rep-2").is_problem(404)
    assert api.call("GET", f"/leads/{created['id']}", org="org-b", **MANAGER).is_problem(404)
    assert api.call("GET", f"/leads/{created['id']}", **MANAGER).status == 200
    assert api.call("GET", "/leads/missing").is_problem(404)
    assert api.call("GET", f"/leads/{created['id']}", auth=False).is_problem(401)


def test_lists_filter_by_stage_status_and_owner(api):
    acc = account(api, **MANAGER)
    a = lead(api, acc, "a", body={"owner_id": "rep-1"}, **MANAGER)
    lead(api, acc, "b", body={"owner_id": "rep-2"}, **MANAGER)
    c = lead(api, acc, "c", body={"owner_id": "rep-1"}, **MANAGER)
    assert move(api, a["id"], "presentation").status == 200
    assert move(api, c["id"], "closing").status == 200
    assert move(api, c["id"], "follow_up").status == 200

    def ids(query: str, **who: str) -> list[str]:
        r = api.call("GET", f"/leads{query}", **who)
        assert r.status == 200, r.raw
        return [x["title"] for x in r.json["items"]]

    assert ids("", **MANAGER) == ["c", "b", "a"]  # newest first
    assert ids("?status=open&stage=presentation", **MANAGER) == ["a"]
    assert ids("?status=won", **MANAGER) == ["c"]
    assert ids("?stage=prospecting", **MANAGER) == ["b"]
    assert ids("?owner_id=rep-2", **MANAGER) == ["b"]
    assert ids("?owner_id=rep-1&status=open", **MANAGER) == ["a"]
    assert ids("") == ["c", "a"]  # a rep sees only their own
    assert ids("?owner_id=rep-2") == []
    assert ids("", user="rep-2") == ["b"]
    assert ids("", org="org-b", **MANAGER) == []
    assert api.call("GET", "/leads?stage=negotiation").is_problem(422)
    assert api.call("GET", "/leads?status=pending").is_problem(422)
    assert api.call("GET", "/leads?limit=0").is_problem(422)
    assert api.call("GET", "/leads?cursor=garbage").is_problem(400)


def test_lists_paginate_with_a_cursor(api):
    acc = account(api)
    titles = [lead(api, acc, f"l{i}")["title"] for i in range(5)]
    seen, cursor = [], None
    for _ in range(4):
        r = api.call("GET", "/leads?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [x["title"] for x in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(titles))
    other = api.call("GET", "/leads?limit=2", **MANAGER).json["next_cursor"]
    assert api.call("GET", f"/leads?cursor={other}").is_problem(400)  # a cursor of another list


def test_patch_lead_needs_the_version_and_rejects_stale_ones(api):
    created = lead(api, account(api))
    path = f"/leads/{created['id']}"
    assert api.call("PATCH", path, {"title": "new"}).is_problem(422)
    r = api.call("PATCH", path, {"title": "جديد", "version": 1})
    assert r.status == 200 and r.json["title"] == "جديد" and r.json["version"] == 2
    stale = api.call("PATCH", path, {"title": "again", "version": 1})
    assert stale.is_problem(409) and stale.json["current_version"] == 2
    assert api.call("PATCH", path, {"title": "h"}, headers={"If-Match": '"2"'}).status == 200
    assert api.call("PATCH", path, {"stage": "closing", "version": 3}).is_problem(422)
    assert api.call("PATCH", path, {"owner_id": "rep-2", "version": 3}).is_problem(422)  # reps cannot reassign
    assert api.call("PATCH", path, {"title": "x", "version": 3}, user="rep-2").is_problem(404)


def test_managers_reassign_a_lead_and_the_access_link_follows(api):
    acc = account(api, **MANAGER)
    created = lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)
    other = lead(api, acc, "second", body={"owner_id": "rep-1"}, **MANAGER)
    r = api.call("PATCH", f"/leads/{created['id']}", {"owner_id": "rep-2", "version": 1}, **MANAGER)
    assert r.status == 200 and r.json["owner_id"] == "rep-2"
    assert api.call("GET", f"/accounts/{acc}", user="rep-2").status == 200
    assert api.call("GET", f"/accounts/{acc}", user="rep-1").status == 200  # still has `second`
    assert api.call("GET", f"/leads/{created['id']}", user="rep-1").is_problem(404)
    api.call("PATCH", f"/leads/{other['id']}", {"owner_id": "rep-2", "version": 1}, **MANAGER)
    assert api.call("GET", f"/accounts/{acc}", user="rep-1").is_problem(404)  # last reason gone
    assert api.call("GET", "/accounts", user="rep-1").json["items"] == []
    api.call("PUT", "/reps/rep-3", {"available": False}, **MANAGER)
    r = api.call("PATCH", f"/leads/{other['id']}", {"owner_id": "rep-3", "version": 2}, **MANAGER)
    assert r.is_problem(409)


# -- moves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,ok",
    [
        (["approach", "presentation", "objections", "closing", "follow_up"], True),
        (["closing", "follow_up"], True),  # forward skipping
        (["objections", "presentation", "closing"], True),  # re-present
        (["closing", "presentation"], True),
        (["presentation", "approach"], False),  # back, not to presentation
        (["closing", "prospecting"], False),
        (["objections", "approach"], False),
        (["follow_up"], False),  # follow_up only from closing
        (["presentation", "follow_up"], False),
        (["objections", "follow_up"], False),
        (["approach", "approach"], False),  # standing still
    ],
)
def test_moves_through_the_api(api, path, ok):
    created = lead(api, account(api))
    statuses = [move(api, created["id"], stage).status for stage in path]
    assert statuses[:-1] == [200] * (len(path) - 1)
    final = api.call("GET", f"/leads/{created['id']}").json
    if ok:
        assert statuses[-1] == 200 and final["stage"] == path[-1]
    else:
        assert statuses[-1] == 409 and final["stage"] == (path[-2] if len(path) > 1 else "prospecting")
        assert len(final["stage_history"]) == len(path)  # the illegal move left no trace


def test_illegal_move_is_problem_json_and_unknown_stage_422(api):
    created = lead(api, account(api))
    r = move(api, created["id"], "follow_up")
    assert r.is_problem(409) and r.json["type"].endswith("invalid-transition")
    assert move(api, created["id"], "negotiation").is_problem(422)
    assert api.call("POST", f"/leads/{created['id']}/stage", {"note": "x"}).is_problem(422)
    assert move(api, created["id"], "approach", user="rep-2").is_problem(404)
    assert move(api, created["id"], "approach", org="org-b", **MANAGER).is_problem(404)
    assert move(api, "missing", "approach").is_problem(404)
    assert move(api, created["id"], "approach", auth=False).is_problem(401)
    assert move(api, created["id"], "approach", body={"version": 7}).is_problem(409)


def test_winning_records_history_durations_and_timeline(api):
    won = won_lead(api)
    assert (won["status"], won["stage"]) == ("won", "follow_up") and won["closed_at"]
    assert [(h["from_stage"], h["to_stage"], h["status"]) for h in won["stage_history"]] == [
        (None, "prospecting", "open"),
        ("prospecting", "closing", "open"),
        ("closing", "follow_up", "won"),
    ]
    assert set(won["stage_durations"]) == {"prospecting", "closing", "follow_up"}
    assert all(v >= 0 for v in won["stage_durations"].values())
    for stage in STAGES:
        assert move(api, won["id"], stage).is_problem(409)  # closed leads do not move
    assert api.call("POST", f"/leads/{won['id']}/lost", {"reason": "x"}).is_problem(409)


def test_lost_needs_a_reason_and_closes_the_lead(api):
    created = lead(api, account(api))
    move(api, created["id"], "objections")
    assert api.call("POST", f"/leads/{created['id']}/lost", {}).is_problem(422)
    assert api.call("POST", f"/leads/{created['id']}/lost", {"reason": ""}).is_problem(422)
    assert api.call("POST", f"/leads/{created['id']}/lost", {"reason": "x"}, user="rep-2").is_problem(404)
    r = api.call("POST", f"/leads/{created['id']}/lost", {"reason": "اختار منافسا"})
    assert r.status == 200
    assert (r.json["status"], r.json["stage"], r.json["lost_reason"]) == ("lost", "objections", "اختار منافسا")
    assert r.json["stage_history"][-1] == {**r.json["stage_history"][-1], "status": "lost", "note": "اختار منافسا"}
    for stage in STAGES:
        assert move(api, created["id"], stage).is_problem(409)
    assert api.call("POST", f"/leads/{created['id']}/lost", {"reason": "again"}).is_problem(409)
    assert api.call("PATCH", f"/leads/{created['id']}", {"owner_id": "rep-2", "version": 3}, **MANAGER).is_problem(409)


def test_a_stage_move_is_one_read_and_one_transaction(api, ddb_calls):
    created = lead(api, account(api))
    ddb_calls()
    assert move(api, created["id"], "presentation").status == 200
    assert ddb_calls() == ["Query", "TransactWriteItems"]
    assert api.call("POST", f"/leads/{created['id']}/lost", {"reason": "x"}).status == 200
    assert ddb_calls() == ["Query", "TransactWriteItems"]
    assert api.call("GET", f"/leads/{created['id']}").status == 200
    assert ddb_calls() == ["Query"]


def test_concurrent_moves_of_one_lead_cannot_both_win(api):
    created = lead(api, account(api))
    rep = Principal("rep-1", "org-a", "rep")
    from chalicelib.config import now
    from chalicelib.domain import pipeline

    first = lead_store.read(rep, created["id"]).lead
    second = lead_store.read(rep, created["id"]).lead  # both read version 1
    a, move_a = pipeline.move(first, "presentation", by="rep-1", now=now())
    b, move_b = pipeline.move(second, "closing", by="rep-1", now=now())

    def save_move(before, after, move):  # what services.leads.move_lead writes
        with db.transaction() as tx:
            saved = lead_store.add_update(tx, before, after)
            lead_store.add_move(tx, saved, move)
            timeline_store.add(tx, pipeline.move_entry(saved, move))

    save_move(first, a, move_a)
    with pytest.raises(Conflict):
        save_move(second, b, move_b)
    final = api.call("GET", f"/leads/{created['id']}").json
    assert final["stage"] == "presentation" and final["version"] == 2
    assert [h["to_stage"] for h in final["stage_history"]] == ["prospecting", "presentation"]
    kinds = [e["kind"] for e in api.call("GET", f"/accounts/{created['account_id']}/timeline").json["items"]]
    assert kinds == ["stage_move", "lead_created"]  # the losing move left no timeline entry either


def test_repeated_move_with_idempotency_key_is_not_applied_twice(api):
    created = lead(api, account(api))
    headers = {"Idempotency-Key": "move-1"}
    first = move(api, created["id"], "presentation", headers=headers)
    again = move(api, created["id"], "presentation", headers=headers)
    assert first.status == again.status == 200 and first.json == again.json
    assert api.call("GET", f"/leads/{created['id']}").json["version"] == 2
