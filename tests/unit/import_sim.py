"""Run a whole file through the import's domain (reading, column plan, rows, chunk plans) as a dry
run would, without a store: what a first import of the file into an empty organisation creates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.domain.imports import plan
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.imports.reading import SAMPLE_BYTES, detect_format, head_sample, read_records
from chalicelib.domain.imports.values import ColumnPlan, plan_columns
from chalicelib.domain.pipeline import Lead, StageMove
from chalicelib.domain.principal import Principal

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Simulated:
    job: ImportJob
    columns: ColumnPlan
    accounts: dict[str, object] = field(default_factory=dict)
    leads: list[tuple[Lead, list[StageMove]]] = field(default_factory=list)

    def per_stage(self) -> Counter[tuple[str, str]]:
        return Counter((lead.stage, lead.status) for lead, _ in self.leads)


def simulate(path: Path, import_type: str, *, country: str = "US", mapping: dict[str, str] | None = None) -> Simulated:
    data = path.read_bytes()
    fmt = detect_format(head_sample(data[:SAMPLE_BYTES], complete=len(data) <= SAMPLE_BYTES))
    job = ImportJob("j", "org", "rep-1", "manager", import_type, "inline", NOW, NOW, dry_run=True, checksum="c")  # type: ignore[arg-type]
    records = list(read_records([data], fmt))
    numbered, row, header = [], 1, None
    for record in records:
        if header is None:
            if record.fields is not None and not record.blank:
                header = [h.strip() for h in record.fields]
            row += 1
            continue
        if not record.blank:
            numbered.append((row, record))
        row += 1
    assert header is not None
    first = [r.fields for _, r in numbered[:200] if r.fields is not None]
    decided = plan_columns(header, job.import_type, mapping or {}, first)
    sim = Simulated(job, decided)
    memory = plan.Memory()
    principal = Principal("rep-1", "org", "manager")

    def claim(kind: str, value: str) -> str:
        return f"{kind}:{value}"

    for start in range(0, len(numbered), 500):
        rows = plan.validate_rows(job, numbered[start : start + 500], decided.columns, default_country=country, now=NOW)
        groups = plan.group_rows([(r, plan.identity_keys(job, r, claim)) for r in rows])
        lead_ids = {r.row: plan.lead_id_for(job, r) for r in rows} if import_type == "leads" else {}
        chunk = plan.plan_chunk(
            job, groups, plan.Existing(), principal=principal, claim=claim, lead_ids=lead_ids, memory=memory, now=NOW
        )
        job.processed_rows += len(numbered[start : start + 500])
        for account in chunk.creates:
            sim.accounts[account.id] = account
        sim.leads += [(new.lead, new.history) for new in chunk.new_leads]
        job.count("accounts_created", len(chunk.creates))
        job.count("leads_created", len(chunk.new_leads))
        job.count("created", len(chunk.creates) if import_type == "accounts" else len(chunk.new_leads))
    return sim
