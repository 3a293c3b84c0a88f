"""Queries on the base ``Item`` carry no ``kind IN (<every kind>)`` filter (``models._Kind``), and
still return every kind of item; a query on one kind still filters to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from tests.api.pipeline_helpers import account, lead, move

MANAGER = {"user": "boss", "role": "manager"}


@pytest.fixture
def queries() -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    original = botocore.client.BaseClient._make_api_call

    def capturing(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb" and operation == "Query":
            sent.append(params)
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = capturing  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def test_a_timeline_query_sends_one_placeholder_for_the_kind_and_gets_every_entry(api, queries):
    acc = account(api)
    created = lead(api, acc)
    assert move(api, created["id"], "approach").status == 200
    queries.clear()
    r = api.call("GET", f"/accounts/{acc}/timeline")
    assert r.status == 200, r.raw
    assert {e["kind"] for e in r.json["items"]} >= {"stage_move"}
    (query,) = queries
    assert query["FilterExpression"].startswith("attribute_exists (")
    assert list(query["ExpressionAttributeNames"].values()).count("kind") == 1
    # only the key condition's values: no kind names among them
    assert all(value.get("S", "").find("#") != -1 for value in query["ExpressionAttributeValues"].values())


def test_a_query_on_one_kind_still_filters_to_that_kind(api, queries):
    assert api.call("PUT", "/reps/rep-1", {"team": "north"}, **MANAGER).status == 200
    queries.clear()
    r = api.call("GET", "/reports/funnel?team=north", **MANAGER)
    assert r.status == 200, r.raw
    members = [q for q in queries if " IN (" in q.get("FilterExpression", "")]
    assert members, queries
    assert {"S": "rep"} in members[0]["ExpressionAttributeValues"].values()
