"""Every report costs the same DynamoDB calls at 10 leads as at 5,000: it reads counters."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.domain.pipeline import STAGES, Lead
from chalicelib.domain.reports import counters
from chalicelib.persistence import stats

MANAGER = {"role": "manager", "user": "boss"}
START = datetime(2026, 11, 1, tzinfo=UTC)


def seed(org: str, n: int) -> None:
    """The counters of ``n`` leads of three reps created over November, in every step and status.

    Only the counters are written: a report reads nothing else (``test_rebuild_reports`` proves
    the live counters equal those the leads add up to), and moto answers every index Query by
    walking the whole table, which would time the 15,000 lead items rather than the report."""
    rng = random.Random(n)
    leads = []
    for i in range(n):
        created = START + timedelta(days=rng.randrange(30), hours=rng.choice([6, 9, 13]))
        stage = rng.choice(STAGES)
        status = "won" if stage == "follow_up" else rng.choice(["open", "open", "lost"])
        lead = Lead(
            id=f"l{i}", org_id=org, account_id=f"a{i % 50}", title="deal", owner_id=f"rep-{i % 3}",
            created_at=created, updated_at=created, stage=stage, status=status,  # type: ignore[arg-type]
        )  # fmt: skip
        if status != "open":
            lead = replace(lead, closed_at=created + timedelta(days=rng.randrange(40), hours=1))
        leads.append(lead)
    # the counters the live writers would have added up to, written in bulk (moto is slow at
    # thousands of single UpdateItems; test_rebuild_reports proves live == rebuilt)
    stats.replace_all(org, counters.combine(counters.lead_counts(lead) for lead in leads))


ROUTES = [
    ("/reports/funnel?from=2026-11-01&to=2026-11-30", MANAGER, ["Query"]),
    ("/reports/funnel?from=2026-11-01&to=2026-11-30&owner_id=rep-1", MANAGER, ["Query"]),
    ("/reports/funnel?from=2026-11-01&to=2026-11-30", {"user": "rep-1"}, ["Query"]),
    ("/reports/funnel?from=2026-11-01&to=2026-11-30&team=north", MANAGER, ["Query", "Query", "Query"]),
    ("/reports/contact-success?from=2026-11-01&to=2026-11-30", MANAGER, ["Query"]),
    ("/reports/objections?from=2026-11-01&to=2026-11-30", MANAGER, ["Query"]),
    ("/reps/rep-1/scorecard?week=2026-W47", MANAGER, ["GetItem", "Query"]),
    ("/reps/rep-1", MANAGER, ["GetItem", "Query"]),
]


def test_every_report_makes_the_same_calls_at_10_and_at_5000_leads(api, ddb_calls):
    for org in ("small", "large"):
        for rep in ("rep-0", "rep-1"):  # a saved profile: its zone is the rep's own (one GetItem)
            body = {"timezone": "Asia/Riyadh", "team": "north"}
            assert api.call("PUT", f"/reps/{rep}", body, org=org, role="manager", user="boss").status == 200
    seed("small", 10)
    seed("large", 5000)
    seen: dict[str, list[list[str]]] = {}
    for org in ("small", "large"):
        for path, who, expected in ROUTES:
            ddb_calls()
            r = api.call("GET", path, org=org, **who)
            assert r.status == 200, (path, r.raw)
            calls = ddb_calls()
            assert calls == expected, (org, path, calls)
            seen.setdefault(path + str(who), []).append(calls)
    large = api.call("GET", "/reports/funnel?from=2026-11-01&to=2026-11-30", org="large", **MANAGER).json
    small = api.call("GET", "/reports/funnel?from=2026-11-01&to=2026-11-30", org="small", **MANAGER).json
    assert (large["leads"], small["leads"]) == (5000, 10)
    assert large["won"] + large["lost"] + large["open"] == 5000
