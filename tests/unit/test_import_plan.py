"""Import identity and chunk planning: pure functions, no store."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.imports import plan
from chalicelib.domain.imports.columns import map_columns
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.imports.reading import Record
from chalicelib.domain.imports.records import ImportRow
from chalicelib.domain.principal import Principal

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REP = Principal("rep-1", "org-a", "rep")


def claim(kind: str, value: str) -> str:
    return f"CLAIM#{kind}#{value}"


def job(import_type: str = "accounts", dry_run: bool = False) -> ImportJob:
    return ImportJob(
        id="job-1",
        org_id="org-a",
        owner_id="rep-1",
        owner_role="rep",
        import_type=import_type,  # type: ignore[arg-type]
        origin="inline",
        created_at=NOW,
        updated_at=NOW,
        dry_run=dry_run,
        checksum="sum",
    )


def rows(the_job: ImportJob, text: str) -> list[ImportRow]:
    lines = [line.split(",") for line in text.strip().splitlines()]
    columns = map_columns(lines[0], the_job.import_type)
    batch = [(n, Record(fields=values, end_offset=0)) for n, values in enumerate(lines[1:], start=2)]
    return plan.validate_rows(the_job, batch, columns, default_country="SA", now=NOW)


def planned(the_job: ImportJob, text: str, existing: plan.Existing | None = None, memory: plan.Memory | None = None):
    valid = rows(the_job, text)
    groups = plan.group_rows([(row, plan.identity_keys(the_job, row, claim)) for row in valid])
    lead_ids = {row.row: plan.lead_id_for(the_job, row) for row in valid} if the_job.import_type == "leads" else {}
    return plan.plan_chunk(
        the_job,
        groups,
        existing or plan.Existing(),
        principal=REP,
        claim=claim,
        lead_ids=lead_ids,
        memory=memory or plan.Memory(),
        now=NOW,
    )


def test_identity_is_the_claims_then_the_external_id_then_the_row():
    the_job = job()
    [with_email, with_ext, bare] = rows(the_job, "Name,Email,ID\nA,a@x.com,7\nB,,8\nC,,\n")
    assert plan.identity_keys(the_job, with_email, claim) == ["CLAIM#email#a@x.com"]
    assert plan.identity_keys(the_job, with_ext, claim) == ["ext:8"]
    assert plan.identity_keys(the_job, bare, claim) == ["row:sum:4"]


def test_a_contactless_deal_is_identified_by_its_company_name():
    the_job = job("leads")
    [row] = rows(the_job, "Company,Deal Name\nAcme Ltd,Big deal\n")
    assert plan.identity_keys(the_job, row, claim) == [f"name:{row.group_name}"]


def test_ids_are_deterministic_per_org_and_key():
    a, b = job(), job()
    assert plan.account_id_for(a, "k") == plan.account_id_for(b, "k") != plan.account_id_for(a, "k2")
    other_org = job()
    other_org.org_id = "org-b"
    assert plan.account_id_for(other_org, "k") != plan.account_id_for(a, "k")


def test_rows_sharing_any_key_form_one_group_transitively():
    the_job = job()
    valid = rows(the_job, "Name,Email,Phone\nA,a@x.com,\nB,b@x.com,0501234567\nC,a@x.com,0501234567\nD,d@x.com,\n")
    groups = plan.group_rows([(row, plan.identity_keys(the_job, row, claim)) for row in valid])
    assert [[row.row for row, _ in group] for group in groups] == [[2, 3, 4], [5]]


def test_a_new_group_is_one_created_account_and_counts_the_rest_as_duplicates():
    the_job = job()
    chunk = planned(the_job, "Name,Email,Phone\nA,a@x.com,\nA again,a@x.com,0501234567\n")
    [account] = chunk.creates
    assert account.name == "A" and account.phones == ["+966501234567"] and account.owner_id == "rep-1"
    assert account.id == plan.account_id_for(the_job, "CLAIM#email#a@x.com")
    assert the_job.counters["duplicates"] == 1 and not chunk.updates


def test_a_group_matching_another_reps_customer_is_rejected():
    the_job = job()
    first = planned(job(), "Name,Email\nTheirs,t@x.com\n").creates[0]
    theirs = type(first)(**{**first.__dict__, "owner_id": "rep-2"})
    existing = plan.Existing(claims={"CLAIM#email#t@x.com": theirs.id}, accounts={theirs.id: theirs})
    chunk = planned(the_job, "Name,Email,Company\nMine,t@x.com,Acme\n", existing)
    assert not chunk.creates and not chunk.updates
    assert the_job.counters["rejected"] == 1 and the_job.errors[0]["field"] == "email/phone"


def test_a_group_matching_the_reps_own_customer_merges_into_it():
    mine = planned(job(), "Name,Email\nMine,m@x.com\n").creates[0]
    existing = plan.Existing(claims={"CLAIM#email#m@x.com": mine.id}, accounts={mine.id: mine})
    the_job = job()
    chunk = planned(the_job, "Name,Email,Company\nMine,m@x.com,Acme\n", existing)
    [update] = chunk.updates
    assert update.before is mine and update.after.company == "Acme" and not chunk.creates


def test_existing_deals_are_not_planned_again_and_dry_runs_remember_across_chunks():
    text = "Company,Deal Name,Deal ID\nAcme,One,D1\nAcme,Two,D2\n"
    the_job = job("leads")
    lead_one = plan.deterministic_id("org-a", "lead", "D1")
    chunk = planned(the_job, text, plan.Existing(leads={lead_one}))
    assert [new.lead.title for new in chunk.new_leads] == ["Two"]
    assert the_job.counters["leads_existing"] == 1
    memory = plan.Memory()
    dry = job("leads", dry_run=True)
    assert len(planned(dry, text, memory=memory).new_leads) == 2
    again = planned(dry, text, memory=memory)
    assert not again.new_leads and not again.creates and dry.counters["leads_existing"] == 2


# -- an imported deal's lead and history -------------------------------------------------------


def draft(stage: str = "prospecting", status: str = "open", **dates: datetime):
    from chalicelib.domain.imports.records import LeadDraft

    return LeadDraft(
        title="Deal",
        stage=stage,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        value={"amount": "10.00", "currency": "USD"},
        source="Web",
        lost_reason="imported as Lost" if status == "lost" else "",
        source_stage=stage,
        external_id="",
        **dates,
    )


def imported(the_draft):
    from chalicelib.domain.imports.leads import imported_lead

    return imported_lead(
        the_draft, lead_id="L1", org_id="org-a", account_id="A1", owner_id="rep-1", extra={"import_id": "j"}, now=NOW
    )


def at(day: int) -> datetime:
    return datetime(2025, 3, day, tzinfo=UTC)


def path(history) -> list[tuple[str | None, str, str, datetime]]:
    return [(m.from_stage, m.to_stage, m.status, m.at) for m in history]


def test_a_new_deal_without_dates_is_what_the_api_creates_at_import_time():
    lead, history = imported(draft())
    assert path(history) == [(None, "prospecting", "open", NOW)]
    assert (lead.created_at, lead.stage, lead.status, lead.closed_at) == (NOW, "prospecting", "open", None)
    assert lead.source == "Web" and lead.extra == {"import_id": "j"} and lead.value["amount"] == "10.00"


def test_a_won_deal_walks_created_engaged_closing_won_at_the_files_times():
    lead, history = imported(draft("follow_up", "won", created_at=at(1), engaged_at=at(3), closed_at=at(9)))
    assert path(history) == [
        (None, "prospecting", "open", at(1)),
        ("prospecting", "approach", "open", at(3)),
        ("approach", "closing", "open", at(9)),
        ("closing", "follow_up", "won", at(9)),
    ]
    assert (lead.created_at, lead.closed_at, lead.stage_entered_at, lead.updated_at) == (at(1), at(9), at(9), NOW)
    assert (lead.stage, lead.status) == ("follow_up", "won")


def test_an_engaged_deal_lost_is_lost_from_approach_when_it_closed():
    lead, history = imported(draft("prospecting", "lost", engaged_at=at(3), closed_at=at(5)))
    assert path(history) == [
        (None, "prospecting", "open", at(3)),
        ("prospecting", "approach", "open", at(3)),
        ("approach", "approach", "lost", at(5)),
    ]
    assert (lead.stage, lead.status, lead.lost_reason, lead.closed_at) == (
        "approach",
        "lost",
        "imported as Lost",
        at(5),
    )


def test_an_open_deal_further_on_enters_its_stage_when_engaged_and_dates_never_run_backwards():
    lead, history = imported(draft("objections", created_at=at(4), engaged_at=at(2)))
    assert [m.at for m in history] == [at(2), at(2), at(2)]  # engaged before it was entered: began then
    assert [m.to_stage for m in history] == ["prospecting", "approach", "objections"]
    won, won_history = imported(draft("follow_up", "won", created_at=at(4)))
    assert won_history[-1].at == NOW and won.closed_at == NOW  # closed: unknown -> the import
    late, late_history = imported(draft("follow_up", "won", created_at=at(9), closed_at=at(5)))
    assert (late.created_at, late.closed_at) == (at(5), at(5)) and late_history[0].at == at(5)
