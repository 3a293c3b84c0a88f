"""Every file of ../shared/data a CRM user would import, run through the import's domain with no
mapping, as into a fresh organisation. Expected figures are computed here from the CSV itself."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.imports.columns import ID_NAME
from chalicelib.domain.imports.records import CALL_OPT_OUT_TAG, EMAIL_OPT_OUT_TAG, UNASSIGNED
from tests.unit.import_sim import simulate

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_maven_pipeline_keeps_every_deal_with_the_files_stages_dates_and_values():
    path = DATA / "maven_crm_sales_opportunities" / "sales_pipeline.csv"
    source = rows(path)
    sim = simulate(path, "leads")
    steps = {"Won": ("follow_up", "won"), "Lost": ("approach", "lost"), "Engaging": ("approach", "open")}
    steps["Prospecting"] = ("prospecting", "open")
    assert sim.job.counters["rejected"] == 0 and sim.job.counters["created"] == len(source)
    assert sim.per_stage() == Counter(steps[r["deal_stage"]] for r in source)
    companies = {r["account"] for r in source if r["account"]}
    unassigned = [r for r in source if not r["account"]]
    assert {a.name for a in sim.accounts.values()} == companies | ({UNASSIGNED} if unassigned else set())
    leads = {lead.extra["external_id"]: (lead, history) for lead, history in sim.leads}
    won = next(r for r in source if r["deal_stage"] == "Won")
    lead, history = leads[won["opportunity_id"]]
    assert (lead.created_at, lead.closed_at) == (day(won["engage_date"]), day(won["close_date"]))
    assert [(m.to_stage, m.at) for m in history] == [
        ("prospecting", day(won["engage_date"])),
        ("approach", day(won["engage_date"])),
        ("closing", day(won["close_date"])),
        ("follow_up", day(won["close_date"])),
    ]
    assert lead.value == {"amount": f"{Decimal(won['close_value']):.2f}", "currency": "USD"}
    orphan = unassigned[0]
    lead, _ = leads[orphan["opportunity_id"]]
    assert lead.title == f"Deal {orphan['opportunity_id']}" and lead.custom_fields["product"] == orphan["product"]
    assert "dates read from engage_date (engaged_at), close_date (closed_at)" in sim.columns.notes


def test_maven_accounts():
    path = DATA / "maven_crm_sales_opportunities" / "accounts.csv"
    sim = simulate(path, "accounts")
    assert {a.name for a in sim.accounts.values()} == {r["account"] for r in rows(path)}
    assert sim.job.counters["rejected"] == 0


def test_x_education_leads_are_named_from_their_prospect_id_with_placeholders_empty_and_two_opt_outs():
    path = DATA / "x_education_lead_scoring" / "Leads.csv"
    source = rows(path)
    sim = simulate(path, "leads", country="IN")
    assert sim.job.counters["rejected"] == 0 and sim.job.counters["created"] == len(source)
    assert sim.columns.mapping == {"Prospect ID": ID_NAME}
    names = {a.name for a in sim.accounts.values()}
    assert names == {f"Prospect ID {r['Prospect ID']}" for r in source}
    accounts = list(sim.accounts.values())
    assert not any(a.address and a.address.get("city") == "Select" for a in accounts)
    assert not any("Select" in lead.custom_fields.values() for lead, _ in sim.leads)
    tags = Counter(tag for a in accounts for tag in a.tags)
    assert tags[EMAIL_OPT_OUT_TAG] == sum(r["Do Not Email"] == "Yes" for r in source)
    assert tags[CALL_OPT_OUT_TAG] == sum(r["Do Not Call"] == "Yes" for r in source)
    assert not any(a.contact_opt_out for a in accounts)


def test_olist_marketing_qualified_leads():
    path = DATA / "olist_marketing_funnel" / "olist_marketing_qualified_leads_dataset.csv"
    source = rows(path)
    sim = simulate(path, "leads", country="BR")
    assert sim.job.counters["created"] == len(source) and sim.job.counters["rejected"] == 0
    assert sim.columns.mapping == {"mql_id": ID_NAME}
    first = {lead.extra["external_id"]: lead for lead, _ in sim.leads}[source[0]["mql_id"]]
    assert first.created_at == day(source[0]["first_contact_date"]) and (first.stage, first.status) == (
        "prospecting",
        "open",
    )


def test_olist_closed_deals_are_won_when_they_were_won():
    path = DATA / "olist_marketing_funnel" / "olist_closed_deals_dataset.csv"
    source = rows(path)
    sim = simulate(path, "leads", country="BR")
    assert sim.job.counters["created"] == len(source) and sim.per_stage() == Counter(
        {("follow_up", "won"): len(source)}
    )
    first = {lead.extra["external_id"]: lead for lead, _ in sim.leads}[source[0]["mql_id"]]
    assert first.closed_at == day(source[0]["won_date"])


@pytest.mark.parametrize("folder", ["olist_marketing_funnel", "olist_ecommerce_sample"])
def test_olist_sellers_are_named_from_their_seller_id(folder):
    path = DATA / folder / "olist_sellers_dataset.csv"
    source = rows(path)
    sim = simulate(path, "accounts", country="BR")
    assert sim.columns.mapping == {"seller_id": ID_NAME}
    assert {a.name for a in sim.accounts.values()} == {f"seller_id {r['seller_id']}" for r in source}


ZOHO_LEAD_STATUS = {
    "Contacted": ("approach", "open"),
    "Attempted to Contact": ("approach", "open"),
    "Not Contacted": ("prospecting", "open"),
    "Pre Qualified": ("prospecting", "open"),
    "Contact in Future": ("prospecting", "open"),
    "Lost Lead": ("prospecting", "lost"),
    "Junk Lead": ("prospecting", "lost"),
}
ZOHO_STAGE = {
    "Closed Won": ("follow_up", "won"),
    "Closed Lost": ("prospecting", "lost"),
    "Qualification": ("prospecting", "open"),
    "Prospect": ("prospecting", "open"),
    "Needs Analysis": ("approach", "open"),
    "Initial Offer": ("presentation", "open"),
    "Proposal/Price Quote": ("presentation", "open"),
    "Negotiation/Review": ("objections", "open"),
}


def zoho_time(text: str) -> datetime:
    return datetime.strptime(text, "%d %b, %Y %H:%M:%S").replace(tzinfo=UTC)


def test_zoho_leads_per_status_with_their_created_time():
    path = DATA / "zoho_crm_analytics_sample" / "Leads.csv"
    source = rows(path)
    sim = simulate(path, "leads")
    assert sim.job.counters["created"] == len(source) and sim.job.counters["rejected"] == 0
    assert sim.per_stage() == Counter(ZOHO_LEAD_STATUS[r["Lead Status"]] for r in source)
    first = {lead.extra["external_id"]: lead for lead, _ in sim.leads}[source[0]["LEADID"]]
    assert first.created_at == zoho_time(source[0]["Created Time"])


def test_zoho_potentials_per_stage_with_amounts_and_dates():
    path = DATA / "zoho_crm_analytics_sample" / "Potentials.csv"
    source = rows(path)
    sim = simulate(path, "leads")
    assert sim.job.counters["created"] == len(source) and sim.job.counters["rejected"] == 0
    assert sim.per_stage() == Counter(ZOHO_STAGE[r["Stage"]] for r in source)
    by_id = {lead.extra["external_id"]: lead for lead, _ in sim.leads}
    won = next(r for r in source if r["Stage"] == "Closed Won")
    lead = by_id[won["LEADID"]]
    amount = Decimal(won["Amount"].replace("$", "").replace(",", ""))
    assert lead.value == {"amount": f"{amount:.2f}", "currency": "USD"}
    assert (lead.created_at, lead.closed_at) == (zoho_time(won["Created Time"]), zoho_time(won["Closing Date"]))
    open_ = by_id[next(r for r in source if r["Stage"] == "Qualification")["LEADID"]]
    assert open_.closed_at is None  # an open deal's closing date is a forecast


def test_zoho_accounts_and_contacts():
    accounts = rows(DATA / "zoho_crm_analytics_sample" / "Accounts.csv")
    sim = simulate(DATA / "zoho_crm_analytics_sample" / "Accounts.csv", "accounts")
    named = [r for r in accounts if r["Account Name"].strip()]
    assert sim.job.counters["rejected"] == len(accounts) - len(named)
    assert sim.job.counters["created"] + sim.job.counters["duplicates"] == len(named)
    contacts = rows(DATA / "zoho_crm_analytics_sample" / "Contacts.csv")
    sim = simulate(DATA / "zoho_crm_analytics_sample" / "Contacts.csv", "accounts")
    assert sim.job.counters["rejected"] == 0
    assert sim.job.counters["created"] == len({r["Email"].casefold() for r in contacts})


def test_salesforce_accounts_keep_customers_whose_phone_is_invalid():
    path = DATA / "salesforce_dataloader" / "accountData.csv"
    source = rows(path, "cp1252")
    sim = simulate(path, "accounts")
    assert sim.job.counters["rejected"] == 0
    assert sim.job.counters["created"] + sim.job.counters["duplicates"] == len(source)
    warned = {w["row"] for w in sim.job.warnings if w["field"] == "PHONE"}
    invalid = {n for n, r in enumerate(source, start=2) if r["PHONE"] in ("(555) 555-1212", "355-687-3262")}
    assert invalid and invalid <= warned
    non_ascii = {r["NAME"] for r in source if not r["NAME"].isascii() or not r["BILLINGSTREET"].isascii()}
    names = {" ".join(r["NAME"].split()) for r in source}
    assert non_ascii and names == {a.name for a in sim.accounts.values()}  # read as Windows-1252


def test_salesforce_opportunities_with_won_deals_closed_on_their_close_date():
    path = DATA / "salesforce_dataloader" / "opportunityData.csv"
    source = rows(path, "cp1252")
    sim = simulate(path, "leads")
    assert sim.job.counters["created"] == len(source)
    won = [lead for lead, _ in sim.leads if lead.status == "won"]
    assert len(won) == sum(r["ISWON"] == "true" for r in source)
    by_id = {r["ID"]: r for r in source}
    for lead in won:
        assert lead.closed_at == day(by_id[lead.extra["external_id"]]["CLOSEDATE"])


@pytest.mark.parametrize("name", ["csvtext_BOM_UTF8.csv", "csvtext_BOM_UTF16LE.csv", "csvSeparator.csv"])
def test_salesforce_samples_without_a_customer_are_refused_with_what_to_map(name):
    with pytest.raises(ValidationFailed) as refused:
        simulate(DATA / "salesforce_dataloader" / name, "accounts")
    assert refused.value.errors[0].field == "mapping"


def test_arabic_names_use_the_full_name_column():
    path = DATA / "arabic_names_akhateeb" / "200-Arabic-Names-UTF8.csv"
    source = rows(path)
    sim = simulate(path, "accounts", country="SA")
    assert sim.job.counters["rejected"] == 0
    assert sorted(a.name for a in sim.accounts.values()) == sorted(r["All Names"] for r in source)
