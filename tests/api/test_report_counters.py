"""Report counters are written in the transaction of the event they count."""

from __future__ import annotations

from chalicelib.config import environment
from chalicelib.persistence import stats
from tests.api.pipeline_helpers import account, lead, move

MANAGER = {"user": "boss", "role": "manager"}


def org_counts(org: str = "org-a") -> dict:
    environment()
    return stats.all_counts(org)


def day_of(counts: dict, scope: str) -> dict:
    [(key, value)] = [(k, v) for k, v in counts.items() if k[0] == scope and k[1].startswith("D#")]
    return value


def test_a_move_counts_in_its_own_transaction_and_a_reassignment_moves_the_cohort(api, ddb_calls):
    acc = account(api, **MANAGER)
    created = lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)
    ddb_calls()
    assert move(api, created["id"], "closing", **MANAGER).status == 200
    assert ddb_calls() == ["Query", "TransactWriteItems"]  # no extra call for the counters
    counts = org_counts()
    assert day_of(counts, "ORG") == {
        "leads": 1,
        "reached_prospecting": 1,
        "reached_approach": 1,
        "reached_presentation": 1,
        "reached_objections": 1,
        "reached_closing": 1,
    }
    assert day_of(counts, "REP#rep-1") == day_of(counts, "ORG")
    r = api.call("PATCH", f"/leads/{created['id']}", {"owner_id": "rep-2", "version": 2}, **MANAGER)
    assert r.status == 200, r.raw
    counts = org_counts()
    assert not any(scope == "REP#rep-1" for scope, _ in counts)  # prospect, cohort: all moved
    assert day_of(counts, "REP#rep-2")["reached_closing"] == 1
    assert move(api, created["id"], "follow_up", **MANAGER).status == 200
    assert day_of(org_counts(), "ORG")["won"] == 1
    assert api.erase(acc, **MANAGER).status == 202
    assert org_counts() == {}  # erasure takes everything off
