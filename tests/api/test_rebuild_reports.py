"""`make rebuild-reports`: the counters rebuilt from the source items equal the live ones after a
randomised history of creations, moves, losses, reassignments, interactions, intent and outcome
changes, objections, quote changes and erasures."""

from __future__ import annotations

import random

import pytest

from chalicelib.persistence import stats
from chalicelib.services.report_rebuild import rebuild_reports, rebuilt_counts
from tests.api.pipeline_helpers import account, lead

MANAGER = {"user": "boss", "role": "manager"}
REPS = ("rep-1", "rep-2", "rep-3")
STAGES = ("approach", "presentation", "objections", "closing", "follow_up")


@pytest.mark.parametrize("seed", [7])  # one history: ~4 minutes on a loaded 2-core machine
def test_rebuild_equals_the_live_counters_after_a_random_history(api, monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setenv("TAWASUL_NOW", "2026-11-30T12:00:00Z")
    api.call("PUT", "/reps/rep-1", {"timezone": "Asia/Riyadh", "working_hours": {"sun": ["09:00", "17:00"]}})
    accounts = [account(api, f"زبون {i}", **MANAGER) for i in range(5)]
    leads: list[dict] = []
    messages: list[dict] = []

    def at() -> str:
        return f"2026-11-{rng.randint(10, 28):02d}T{rng.randint(0, 23):02d}:{rng.choice([0, 15, 40]):02d}:00Z"

    for _ in range(50):
        action = rng.choice(
            ["lead", "lead", "move", "move", "lose", "reassign", "say", "say", "say", "mark", "object", "quote"]
        )
        if action == "lead" or not leads:
            body = {"owner_id": rng.choice(REPS), "value": {"amount": "100.00", "currency": "SAR"}}
            leads.append(lead(api, rng.choice(accounts), body=body, **MANAGER))
            continue
        target = rng.choice(leads)
        current = api.call("GET", f"/leads/{target['id']}", **MANAGER).json
        if current is None or "id" not in current:
            continue
        if action == "move":
            api.call("POST", f"/leads/{target['id']}/stage", {"stage": rng.choice(STAGES)}, **MANAGER)
        elif action == "lose":
            api.call("POST", f"/leads/{target['id']}/lost", {"reason": "price"}, **MANAGER)
        elif action == "reassign":
            api.call(
                "PATCH",
                f"/leads/{target['id']}",
                {"owner_id": rng.choice(REPS), "version": current["version"]},
                **MANAGER,
            )
        elif action == "quote":
            amount = f"{rng.randint(50, 300)}.00"
            change = {
                "value": {"amount": amount, "currency": "SAR"},
                "value_change_reason": rng.choice(["add_on", "discount"]),
            }
            api.call("PATCH", f"/leads/{target['id']}", {**change, "version": current["version"]}, **MANAGER)
        elif action == "object":
            category = rng.choice(["price", "timing", "competitor"])
            r = api.call("POST", f"/leads/{target['id']}/objections", {"category": category, "text": "لا"}, **MANAGER)
            if r.status == 201 and rng.random() < 0.5:
                api.call(
                    "PATCH",
                    f"/leads/{target['id']}/objections/{r.json['id']}",
                    {"status": "resolved", "version": 1},
                    **MANAGER,
                )
        elif action == "say":
            body = {
                "account_id": current["account_id"],
                "channel": rng.choice(["whatsapp", "email", "phone", "note"]),
                "direction": rng.choice(["inbound", "inbound", "outbound"]),
                "body": "...",
                "occurred_at": at(),
            }
            if rng.random() < 0.8:
                body["lead_id"] = target["id"]
            if rng.random() < 0.2:
                body["intent"] = "non_commercial"
            r = api.call("POST", "/interactions", body, **MANAGER)
            if r.status == 201:
                messages.append(r.json)
        elif action == "mark" and messages:
            message = rng.choice(messages)
            patch = {"outcome": rng.choice(["price_comparison", "just_curious", "no_reply", None])}
            if rng.random() < 0.5:
                patch["intent"] = rng.choice(["commercial", "non_commercial"])
            r = api.call("PATCH", f"/interactions/{message['id']}", {**patch, "version": message["version"]}, **MANAGER)
            if r.status == 200:
                messages[messages.index(message)] = r.json
    for doomed in rng.sample(accounts, 2):
        assert api.erase(doomed, **MANAGER).status == 202

    live = stats.all_counts("org-a")
    assert live, "the history produced no counters"
    assert any(name.startswith("inq_") for counts in live.values() for name in counts)
    assert rebuilt_counts("org-a") == live
    # the rebuild replaces the counters with the same ones, and repairs damaged ones
    stats.apply("org-a", {("ORG", "D#2026-11-30"): {"leads": 5}, ("REP#ghost", "D#2026-11-01"): {"won": 1}})
    report = rebuild_reports("org-a")
    assert report["changed"] == 2
    assert stats.all_counts("org-a") == live
