"""Queries on the base ``Item`` carry no ``kind IN (<every kind>)`` filter (``models._Kind``), and
still return every kind of item; a query on one kind still filters to it."""

from __future__ import annotations

from typing import Any

from tests.api.pipeline_helpers import account, lead, move

MANAGER = {"user": "boss", "role": "manager"}


def _queries(requests: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [params for operation, params in requests if operation == "Query"]


def test_a_timeline_query_sends_one_placeholder_for_the_kind_and_gets_every_entry(api, ddb_requests):
    acc = account(api)
    created = lead(api, acc)
    assert move(api, created["id"], "approach").status == 200
    ddb_requests.clear()
    r = api.call("GET", f"/accounts/{acc}/timeline")
    assert r.status == 200, r.raw
    assert {e["kind"] for e in r.json["items"]} >= {"stage_move"}
    (query,) = _queries(ddb_requests)
    assert query["FilterExpression"].startswith("attribute_exists (")
    assert list(query["ExpressionAttributeNames"].values()).count("kind") == 1
    # only the key condition's values: no kind names among them
    assert all(value.get("S", "").find("#") != -1 for value in query["ExpressionAttributeValues"].values())


def test_a_query_on_one_kind_still_filters_to_that_kind(api, ddb_requests):
    assert api.call("PUT", "/reps/rep-1", {"team": "north"}, **MANAGER).status == 200
    ddb_requests.clear()
    r = api.call("GET", "/reports/funnel?team=north", **MANAGER)
    assert r.status == 200, r.raw
    members = [q for q in _queries(ddb_requests) if " IN (" in q.get("FilterExpression", "")]
    assert members, _queries(ddb_requests)
    assert {"S": "rep"} in members[0]["ExpressionAttributeValues"].values()
