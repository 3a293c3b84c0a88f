"""The Maven CRM sales pipeline imported as leads: the funnel's won, lost and open counts equal
the counts computed directly from the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "maven_crm_sales_opportunities"


@pytest.mark.timeout(1500)
@pytest.mark.xfail(
    strict=False,
    reason="needs branch imports: on this base deals with an empty account are rejected, so the funnel "
    "holds fewer leads than the CSV",
)
def test_the_funnel_of_the_imported_maven_pipeline_matches_the_csv(api, monkeypatch):
    monkeypatch.setenv("TAWASUL_NOW", "2026-11-20T08:00:00Z")  # every imported lead is of this day's cohort
    monkeypatch.setenv("TAWASUL_IMPORT_INLINE_SECONDS", "3000")  # the whole file in the request
    raw = (DATA / "sales_pipeline.csv").read_bytes()
    stages = [row["deal_stage"] for row in csv.DictReader(io.StringIO(raw.decode("utf-8")))]
    expected = {"won": stages.count("Won"), "lost": stages.count("Lost")}
    expected["open"] = len(stages) - expected["won"] - expected["lost"]
    assert api.call("PUT", "/settings", {"default_country": "US"}, role="admin").status == 200
    r = api.call("POST", "/imports?type=leads", raw=raw, headers={"Content-Type": "text/csv"}, role="admin")
    assert r.status == 202 and r.json["status"] == "completed", r.raw
    funnel = api.call("GET", "/reports/funnel?from=2026-11-20&to=2026-11-20", role="admin").json
    assert {k: funnel[k] for k in ("won", "lost", "open")} == expected
    assert funnel["leads"] == len(stages)
    assert funnel["win_rate"] == round(expected["won"] / (expected["won"] + expected["lost"]), 4)
