"""The shared data sets over HTTP, as a new user would import them (issue 14): slices of the large
files, expected figures computed from the CSV here."""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal

import pytest

from tests.api.test_imports import DATA, job_of, post_csv, set_country, table_items

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`


def test_maven_deals_without_a_company_are_kept_with_the_files_stages_and_dates(api):
    set_country(api, "US")
    lines = (DATA / "maven_crm_sales_opportunities" / "sales_pipeline.csv").read_bytes().splitlines(keepends=True)[:201]
    source = list(csv.DictReader(io.StringIO(b"".join(lines).decode())))
    job = post_csv(api, b"".join(lines), "type=leads", role="manager").json
    assert (job["created"], job["rejected"]) == (len(source), 0), job
    assert [c for c in job["columns"] if c["field"] in ("engaged_at", "closed_at")] == [
        {"column": "engage_date", "field": "engaged_at", "hint": None},
        {"column": "close_date", "field": "closed_at", "hint": None},
    ]
    assert "dates read from engage_date (engaged_at), close_date (closed_at)" in [w["message"] for w in job["warnings"]]
    steps = {"Won": ("follow_up", "won"), "Lost": ("approach", "lost"), "Engaging": ("approach", "open")}
    steps["Prospecting"] = ("prospecting", "open")
    stored = Counter((lead["stage"]["S"], lead["status"]["S"]) for lead in table_items("lead"))
    assert stored == Counter(steps[r["deal_stage"]] for r in source)
    engaging = sum(r["deal_stage"] == "Engaging" for r in source)
    page = api.call("GET", "/leads?stage=approach&status=open&limit=200", role="manager").json
    assert len(page["items"]) == engaging
    won = next(r for r in source if r["deal_stage"] == "Won")
    [lead_id] = [
        lead["id"]["S"]
        for lead in table_items("lead")
        if lead["extra"]["M"]["external_id"]["S"] == won["opportunity_id"]
    ]
    full = api.call("GET", f"/leads/{lead_id}", role="manager").json
    assert full["created_at"].startswith(won["engage_date"]) and full["closed_at"].startswith(won["close_date"])
    assert [(m["to_stage"], m["at"][:10]) for m in full["stage_history"]] == [
        ("prospecting", won["engage_date"]),
        ("approach", won["engage_date"]),
        ("closing", won["close_date"]),
        ("follow_up", won["close_date"]),
    ]


def test_x_education_dry_run_proposes_the_mapping_and_the_import_uses_it(api):
    lines = (DATA / "x_education_lead_scoring" / "Leads.csv").read_bytes().splitlines(keepends=True)[:121]
    dry = post_csv(api, b"".join(lines), "type=leads&dry_run=true").json
    assert (dry["created"], dry["rejected"]) == (120, 0)
    assert dry["mapping"]["Prospect ID"] == "id_name" and dry["mapping"]["Lead Source"] == "lead_source"
    assert dry["mapping"]["Do Not Email"] == "email_opt_out" and dry["mapping"]["Do Not Call"] == "call_opt_out"
    assert any("Prospect ID" in w["message"] for w in dry["warnings"] if w["row"] == 1)
    assert table_items("lead") == []
    job = post_csv(api, b"".join(lines), "type=leads").json
    assert job["created"] == 120 and job_of(api, job["id"])["mapping"] == dry["mapping"]
    first = next(csv.DictReader(io.StringIO(b"".join(lines[:2]).decode())))
    assert first["City"] == "Select"  # the export's placeholder for "no city"
    [account] = [a for a in table_items("account") if a["name"]["S"] == f"Prospect ID {first['Prospect ID']}"]
    [lead] = [lead for lead in table_items("lead") if lead["account_id"]["S"] == account["id"]["S"]]
    assert "Select" not in str(account) and "Select" not in str(lead)


def test_a_file_whose_rows_name_no_customer_is_refused_with_what_to_map(api):
    r = post_csv(api, (DATA / "salesforce_dataloader" / "csvtext_BOM_UTF8.csv").read_bytes())
    assert r.is_problem(422), r.raw
    [error] = r.json["errors"]
    assert error["field"] == "mapping" and "column1" in error["message"]
    mapped = post_csv(api, (DATA / "salesforce_dataloader" / "csvtext_BOM_UTF8.csv").read_bytes(),
                      'type=accounts&mapping={"column1":"name"}').json  # fmt: skip
    assert (mapped["created"], mapped["rejected"]) == (2, 0)


def test_a_decimal_comma_file_in_a_german_organisation(api):
    set_country(api, "DE")
    csv_body = b"Deal Name;Company;Amount\nA;Acme;12.000\nB;Beta;1.234,56\n"
    job = post_csv(api, csv_body, "type=leads").json
    assert job["created"] == 2 and {"column": "Amount", "field": "value", "hint": ","} in job["columns"]
    values = {lead["title"]["S"]: lead["value"]["M"] for lead in table_items("lead")}
    assert values["A"] == {"amount": {"S": "12000.00"}, "currency": {"S": "EUR"}}
    assert Decimal(values["B"]["amount"]["S"]) == Decimal("1234.56")


def test_an_invalid_phone_costs_the_value_not_the_customer(api):
    set_country(api, "US")
    job = post_csv(api, b"Name,Email,Phone\nAli,ali@x.com,(555) 555-1212\n").json
    assert (job["created"], job["rejected"]) == (1, 0)
    assert job["warnings"] == [
        {"row": 2, "field": "Phone", "message": "'(555) 555-1212' is not a valid phone number; left out"}
    ]
