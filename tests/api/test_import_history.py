"""Imported deals are leads like the API's: a stage history and timeline entries, built by the
same functions (pipeline.new_lead and the moves), at the times the file gives."""

from __future__ import annotations

import pytest

from tests.api.test_imports import post_csv, table_items

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`


def lead_by_title(api, title: str) -> dict:
    leads = api.call("GET", "/leads?limit=200", role="manager").json["items"]
    [lead] = [lead for lead in leads if lead["title"] == title]
    return api.call("GET", f"/leads/{lead['id']}", role="manager").json


def test_an_imported_deal_has_its_history_and_lead_created_entry_like_one_made_through_the_api(api):
    csv = b"Deal Title,Company,Stage\nFresh deal,Acme,Prospecting\nBig win,Beta,Closed Won\n"
    job = post_csv(api, csv, "type=leads").json
    assert job["created"] == 2, job
    fresh = lead_by_title(api, "Fresh deal")
    assert [(m["from_stage"], m["to_stage"]) for m in fresh["stage_history"]] == [(None, "prospecting")]
    timeline = api.call("GET", f"/accounts/{fresh['account_id']}/timeline", role="manager").json["items"]
    assert [e["kind"] for e in timeline] == ["lead_created"]
    won = lead_by_title(api, "Big win")
    assert [(m["from_stage"], m["to_stage"], m["status"]) for m in won["stage_history"]] == [
        (None, "prospecting", "open"),
        ("prospecting", "approach", "open"),
        ("approach", "closing", "open"),
        ("closing", "follow_up", "won"),
    ]
    kinds = [
        e["kind"] for e in api.call("GET", f"/accounts/{won['account_id']}/timeline", role="manager").json["items"]
    ]
    assert sorted(kinds) == ["lead_created", "stage_move", "stage_move", "stage_move"]
    again = post_csv(api, csv, "type=leads").json
    assert again["created"] == 0
    assert len(table_items("stage_move")) == 5 and len(table_items("timeline")) == 5  # nothing written twice
