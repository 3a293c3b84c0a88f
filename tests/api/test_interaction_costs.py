"""Logging and changing an interaction read the account, the lead and the inquiry in one batch read."""

from __future__ import annotations

from typing import Any

from tests.api.pipeline_helpers import account, lead

MANAGER = {"user": "boss", "role": "manager"}


def message(acc: str, lead_id: str, **body: Any) -> dict[str, Any]:
    return {
        "account_id": acc,
        "lead_id": lead_id,
        "channel": "whatsapp",
        "direction": "inbound",
        "body": "هل الدورة متاحة؟",
        "occurred_at": "2026-11-22T09:30:00Z",
        **body,
    }


def test_a_conversation_costs_at_most_four_calls_per_message(api, ddb_calls):
    acc = account(api)
    created = lead(api, acc)
    ddb_calls()
    first = api.call("POST", "/interactions", message(acc, created["id"]))
    assert first.status == 201, first.raw
    # account + access link + lead + inquiry in one batch, the person's last 24 hours, one transaction
    assert ddb_calls() == ["BatchGetItem", "Query", "TransactWriteItems"]  # was 5 calls
    reply = api.call("POST", "/interactions", message(acc, created["id"], direction="outbound", body="نعم",
                                                      occurred_at="2026-11-22T09:40:00Z"))  # fmt: skip
    assert reply.status == 201, reply.raw
    # + the rep's profile and, as it was never saved, the organisation's time zone (was 6 calls)
    assert ddb_calls() == ["BatchGetItem", "GetItem", "GetItem", "TransactWriteItems"]
    again = api.call("POST", "/interactions", message(acc, created["id"], occurred_at="2026-11-22T09:50:00Z"))
    assert again.status == 201 and ddb_calls() == ["BatchGetItem", "TransactWriteItems"]
    r = api.call("PATCH", f"/interactions/{first.json['id']}", {"version": 1, "outcome": "price_comparison"})
    assert r.status == 200, r.raw
    # which account (gsi3), then the entry, account, lead and inquiry in one batch (was 6 calls)
    assert ddb_calls() == ["Query", "BatchGetItem", "TransactWriteItems"]
    counts = api.call("GET", "/reports/contact-success", **MANAGER).json
    assert counts["raw"]["inquiries"] == 1 and counts["fair"]["inquiries"] == 1


def test_a_rep_cannot_log_or_change_what_they_may_not_see(api, ddb_calls):
    acc = account(api, user="rep-2")
    other = lead(api, acc, user="rep-2")
    assert api.call("POST", "/interactions", message(acc, other["id"])).status == 404
    created = api.call("POST", "/interactions", message(acc, other["id"]), user="rep-2")
    assert created.status == 201
    r = api.call("PATCH", f"/interactions/{created.json['id']}", {"version": 1, "intent": "non_commercial"})
    assert r.status == 404 and r.is_problem(404)
    mine = lead(api, acc, **MANAGER, body={"owner_id": "rep-1"})  # rep-1 now sees the account, not rep-2's lead
    assert api.call("POST", "/interactions", message(acc, other["id"])).status == 404
    assert api.call("POST", "/interactions", message(acc, mine["id"])).status == 201
    r = api.call("PATCH", f"/interactions/{created.json['id']}", {"version": 1, "intent": "non_commercial"})
    assert r.status == 404  # the account is visible now, rep-2's lead is not
