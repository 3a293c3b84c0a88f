"""The Maven CRM sales pipeline imported as leads: the funnel's won, lost and open counts equal
the counts computed directly from the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "maven_crm_sales_opportunities"


# A deal's cohort is the day the file says it began (engage_date); a deal still prospecting has
# no date and begins on the import's day. Reports cover at most 366 days, so the file's two years
# and the import's day are read as three periods and added up.
PERIODS = [("2016-01-01", "2016-12-31"), ("2017-01-01", "2017-12-31"), ("2026-11-20", "2026-11-20")]


@pytest.mark.timeout(1500)
def test_the_funnel_of_the_imported_maven_pipeline_matches_the_csv(api, monkeypatch):
    monkeypatch.setenv("TAWASUL_NOW", "2026-11-20T08:00:00Z")
    monkeypatch.setenv("TAWASUL_IMPORT_INLINE_SECONDS", "3000")  # the whole file in the request
    raw = (DATA / "sales_pipeline.csv").read_bytes()
    stages = [row["deal_stage"] for row in csv.DictReader(io.StringIO(raw.decode("utf-8")))]
    expected = {"won": stages.count("Won"), "lost": stages.count("Lost")}
    expected["open"] = len(stages) - expected["won"] - expected["lost"]
    assert api.call("PUT", "/settings", {"default_country": "US"}, role="admin").status == 200
    r = api.call("POST", "/imports?type=leads", raw=raw, headers={"Content-Type": "text/csv"}, role="admin")
    assert r.status == 202 and r.json["status"] == "completed", r.raw
    totals = {"won": 0, "lost": 0, "open": 0, "leads": 0}
    for first, last in PERIODS:
        funnel = api.call("GET", f"/reports/funnel?from={first}&to={last}", role="admin").json
        for key in totals:
            totals[key] += funnel[key]
    assert {k: totals[k] for k in ("won", "lost", "open")} == expected
    assert totals["leads"] == len(stages)
