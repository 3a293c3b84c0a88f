"""Filtered lead lists: every filter the API offers is one Query on one partition, newest first."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest

from chalicelib.config import environment
from chalicelib.persistence import keys
from tests.api.pipeline_helpers import account, lead, move

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`

MANAGER = {"user": "boss", "role": "manager"}


def _titles(api: Any, query: str, ddb_calls: Any, **who: str) -> tuple[list[str], str | None]:
    ddb_calls()
    r = api.call("GET", f"/leads{query}", **who)
    assert r.status == 200, r.raw
    assert ddb_calls() == ["Query"], query  # one Query, whatever the filters
    return [x["title"] for x in r.json["items"]], r.json["next_cursor"]


def _pipeline(api: Any) -> list[dict[str, Any]]:
    """Eight leads of two reps in every kind of state; the oldest ones move furthest."""
    acc = account(api, **MANAGER)
    made = [lead(api, acc, f"l{i}", body={"owner_id": "rep-1" if i % 2 else "rep-2"}, **MANAGER) for i in range(8)]
    for created in made[:3]:
        assert move(api, created["id"], "closing", **MANAGER).status == 200
    assert move(api, made[0]["id"], "follow_up", **MANAGER).status == 200  # won
    r = api.call("POST", f"/leads/{made[1]['id']}/lost", {"reason": "price"}, **MANAGER)  # lost in closing
    assert r.status == 200
    assert move(api, made[3]["id"], "presentation", **MANAGER).status == 200
    # a reassignment moves the lead between the owners' filtered lists too
    r = api.call("PATCH", f"/leads/{made[5]['id']}", {"owner_id": "rep-2", "version": 1}, **MANAGER)
    assert r.status == 200, r.raw
    everything = api.call("GET", "/leads?limit=200", **MANAGER).json["items"]
    assert [x["title"] for x in everything] == [f"l{i}" for i in reversed(range(8))]
    return list(everything)


def test_every_filter_combination_is_one_query_with_exactly_the_matching_leads(api, ddb_calls):
    everything = _pipeline(api)
    owners, statuses = [None, "rep-1", "rep-2"], [None, "open", "won", "lost"]
    stages = [None, "prospecting", "presentation", "closing", "follow_up"]
    for owner, status, stage in itertools.product(owners, statuses, stages):
        filters = {"owner_id": owner, "status": status, "stage": stage}
        query = "?limit=200" + "".join(f"&{k}={v}" for k, v in filters.items() if v)
        expected = [x["title"] for x in everything if all(v is None or x[k] == v for k, v in filters.items())]
        assert _titles(api, query, ddb_calls, **MANAGER)[0] == expected, query
        if owner in (None, "rep-1"):  # a rep is always their own owner
            assert _titles(api, query, ddb_calls)[0] == [x for x in expected if x in _rep1(everything)], query


def _rep1(everything: list[dict[str, Any]]) -> set[str]:
    return {x["title"] for x in everything if x["owner_id"] == "rep-1"}


def test_a_filter_on_old_leads_is_one_query_per_page(api, ddb_calls):
    """The defect: ``?stage=closing&limit=2`` read the whole newest-first list, one Query after
    another, until two closing leads turned up. Now each page is one Query."""
    acc = account(api)
    made = [lead(api, acc, f"l{i}") for i in range(12)]
    for created in made[:3]:  # the three oldest reach closing
        assert move(api, created["id"], "closing").status == 200
    seen, cursor = [], None
    for _ in range(3):
        page, cursor = _titles(api, "?stage=closing&limit=2" + (f"&cursor={cursor}" if cursor else ""), ddb_calls)
        seen += page
        if not cursor:
            break
    assert seen == ["l2", "l1", "l0"]
    assert _titles(api, "?status=open&limit=5", ddb_calls)[0] == ["l11", "l10", "l9", "l8", "l7"]
    # a cursor of one filtered list is refused by another
    _, stage_cursor = _titles(api, "?stage=closing&limit=1", ddb_calls)
    assert api.call("GET", f"/leads?stage=prospecting&cursor={stage_cursor}").is_problem(400)


def test_leads_stored_before_the_index_copies_are_listed_after_the_backfill(api, ddb_calls):
    from chalicelib.persistence.leads import write_missing_index_copies

    created = lead(api, account(api, **MANAGER), "old", body={"owner_id": "rep-1"}, **MANAGER)
    ddb = boto3.client("dynamodb")
    pk = keys.lead("org-a", created["id"])
    for sk in keys.LEAD_INDEX_COPIES:  # as a lead written before the copies existed
        ddb.delete_item(TableName=environment().table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    assert _titles(api, "?status=open", ddb_calls, **MANAGER)[0] == []
    assert _titles(api, "?owner_id=rep-1", ddb_calls, **MANAGER)[0] == ["old"]  # the lead's own keys still work
    assert write_missing_index_copies() == 2
    assert write_missing_index_copies() == 0  # nothing missing, nothing older: nothing rewritten
    assert _titles(api, "?status=open", ddb_calls, **MANAGER)[0] == ["old"]
    assert _titles(api, "?stage=prospecting&owner_id=rep-1", ddb_calls, **MANAGER)[0] == ["old"]
    listed = api.call("GET", "/leads?stage=prospecting", **MANAGER).json["items"][0]
    assert listed == api.call("GET", "/leads", **MANAGER).json["items"][0]  # a copy reads like the lead


def test_imported_leads_are_in_the_filtered_lists(api, ddb_calls):
    csv = b"Deal Name,Company,Stage,Amount\nWon deal,Alpha,Closed Won,100\nNew deal,Beta,Prospecting,50\n"
    r = api.call("POST", "/imports?type=leads", raw=csv, headers={"Content-Type": "text/csv"}, **MANAGER)
    assert r.status == 202 and r.json["created"] == 2, r.raw
    assert _titles(api, "?status=won", ddb_calls, **MANAGER)[0] == ["Won deal"]
    assert _titles(api, "?stage=prospecting", ddb_calls, **MANAGER)[0] == ["New deal"]
    owner = api.call("GET", "/leads", **MANAGER).json["items"][0]["owner_id"]
    assert _titles(api, f"?owner_id={owner}&status=won", ddb_calls, **MANAGER)[0] == ["Won deal"]
