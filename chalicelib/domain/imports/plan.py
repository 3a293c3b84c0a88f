"""What one chunk of an import does, decided without touching the store.

- Identity: an account created by an import gets ``sha256(org | first claim)`` as id (its first
  e-mail or phone), or, without either, ``org | ext:<external id>`` (accounts files) /
  ``org | name:<folded name>`` (leads files: a pipeline lists many deals per company) /
  ``org | row:<file checksum>:<row>``. A lead gets ``org | lead | <external id>`` or
  ``org | lead | <file checksum> | <row>``. Re-running a file therefore creates nothing.
- Planning: rows that share an identity key form one group (one account); a group that matches
  an existing account merges into it (if the importing rep may), otherwise it becomes a new
  account; every row of a leads file adds its deal unless that deal exists already.

The service reads what exists (``Existing``) for the keys ``identity_keys`` gives, calls
``plan_chunk`` and writes the plan. Claim keys are the store's business: the caller passes
``claim`` to turn an (e-mail|phone, value) pair into the key it looks up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import FieldError
from chalicelib.domain.imports.columns import ColumnMap
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.imports.leads import imported_lead
from chalicelib.domain.imports.merge import merge_account
from chalicelib.domain.imports.reading import Record
from chalicelib.domain.imports.records import ImportRow, RowRejected, build_row
from chalicelib.domain.pipeline import Lead, StageMove
from chalicelib.domain.principal import Principal

ClaimKey = Callable[[str, str], str]  # (kind, value) -> the key the store claims it under


def deterministic_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:26]


def identity_keys(job: ImportJob, row: ImportRow, claim: ClaimKey) -> list[str]:
    """The keys that identify the row's customer, strongest first (its claims, if any)."""
    claims = [claim(kind, value) for kind, value in row.claim_values()]
    if claims:
        return claims
    if job.import_type == "leads":
        return [f"name:{row.group_name}"]
    if row.external_id:
        return [f"ext:{row.external_id}"]
    return [f"row:{job.checksum}:{row.row}"]


def account_id_for(job: ImportJob, first_key: str) -> str:
    return deterministic_id(job.org_id, first_key)


def lead_id_for(job: ImportJob, row: ImportRow) -> str:
    if row.lead is not None and row.lead.external_id:
        return deterministic_id(job.org_id, "lead", row.lead.external_id)
    return deterministic_id(job.org_id, "lead", job.checksum, str(row.row))


Identified = tuple[ImportRow, list[str]]


def group_rows(identities: list[Identified]) -> list[list[Identified]]:
    """Rows that share an identity key (e-mail, phone, ...) with each other, in file order."""
    parent = list(range(len(identities)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, (_, idents) in enumerate(identities):
        for key in idents:
            if key in owner:
                a, b = find(owner[key]), find(index)
                parent[max(a, b)] = min(a, b)
            else:
                owner[key] = index
    grouped: dict[int, list[Identified]] = {}
    for index, entry in enumerate(identities):
        grouped.setdefault(find(index), []).append(entry)
    return list(grouped.values())


def validate_rows(
    job: ImportJob,
    batch: list[tuple[int, Record]],
    columns: ColumnMap,
    *,
    default_country: str,
    now: datetime,
) -> list[ImportRow]:
    """The chunk's valid rows; rejections and field warnings are noted on the job."""
    rows: list[ImportRow] = []
    for number, record in batch:
        if record.fields is None:
            job.reject(number, [FieldError("row", record.problem)])
            continue
        built = build_row(
            number,
            record.fields,
            columns,
            import_type=job.import_type,
            default_country=default_country,
            now=now,
        )
        if isinstance(built, RowRejected):
            job.reject(number, built.errors)
        else:
            if built.warnings:
                job.warn(number, built.warnings)
            rows.append(built)
    return rows


@dataclass
class Existing:
    """What the store holds for a chunk's keys."""

    claims: dict[str, str] = field(default_factory=dict)  # claim key -> account id
    accounts: dict[str, Account] = field(default_factory=dict)
    access: set[str] = field(default_factory=set)  # account ids the importing rep has an access link to
    access_reasons: dict[str, int] = field(default_factory=dict)  # account id -> that link's lead count
    leads: set[str] = field(default_factory=set)


@dataclass
class NewLead:
    lead: Lead
    history: list[StageMove]
    account_created_at: datetime


@dataclass
class Update:
    before: Account
    after: Account
    rows: list[ImportRow]


@dataclass
class ChunkPlan:
    creates: list[Account] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    new_leads: list[NewLead] = field(default_factory=list)


@dataclass
class Memory:
    """What a dry run remembers across chunks of one invocation (a real run finds it stored)."""

    seen: dict[str, str] = field(default_factory=dict)  # identity key -> account id
    seen_leads: set[str] = field(default_factory=set)


def plan_chunk(
    job: ImportJob,
    groups: list[list[Identified]],
    existing: Existing,
    *,
    principal: Principal,
    claim: ClaimKey,
    lead_ids: dict[int, str],
    memory: Memory,
    now: datetime,
) -> ChunkPlan:
    """Decide per group: merge into an existing account (if the rep may), or create one; and add
    each row's new deal. Counters and rejections are noted on the job."""
    plan = ChunkPlan()
    planned_leads: set[str] = memory.seen_leads if job.dry_run else set()
    for group in groups:
        candidate = account_id_for(job, group[0][1][0])
        keys_in_order = [k for _, idents in group for k in idents]
        matches = [existing.claims.get(k) or memory.seen.get(k) for k in keys_in_order]
        existing_ids = list(dict.fromkeys(m for m in matches if m))
        if not job.dry_run and candidate not in existing.accounts:
            # Claims naming this import's own id with no profile behind them: an earlier try of this
            # chunk wrote them and died before the profiles (written last); create the account again.
            existing_ids = [i for i in existing_ids if i != candidate]
        if candidate in existing.accounts and candidate not in existing_ids:
            existing_ids.append(candidate)
        group_rows_ = [row for row, _ in group]
        target: Account | None
        if existing_ids:
            target_id = existing_ids[0]
            before = existing.accounts.get(target_id)
            if before is not None and not (
                principal.sees_whole_org or before.owner_id == principal.user_id or target_id in existing.access
            ):
                for row in group_rows_:
                    job.reject(row.row, [FieldError("email/phone", "already belongs to another rep's customer")])
                continue
            job.count("duplicates", len(group_rows_))
            target = before
            if before is not None:
                for row in group_rows_:
                    target = merge_account(target, _claimable(row, target_id, existing.claims, claim), now=now)  # type: ignore[arg-type]
                if target is not None and target is not before:
                    plan.updates.append(Update(before, target, group_rows_))
        else:
            target = _new_account(job, group_rows_[0], candidate, now)
            for row in group_rows_[1:]:
                target = merge_account(target, row.account, now=now)
            plan.creates.append(target)
            job.count("duplicates", len(group_rows_) - 1)
            target_id = candidate
        if job.dry_run:
            for key in keys_in_order:
                memory.seen.setdefault(key, target_id)
        if job.import_type == "leads":
            created_at = target.created_at if target is not None else now
            for row in group_rows_:
                lead_id = lead_ids[row.row]
                if lead_id in existing.leads or lead_id in planned_leads:
                    job.count("leads_existing")
                    continue
                planned_leads.add(lead_id)
                lead, history = _new_lead(job, row, lead_id, target_id, now)
                plan.new_leads.append(NewLead(lead, history, created_at))
    return plan


def _claimable(row: ImportRow, target_id: str, claims: dict[str, str], claim: ClaimKey) -> Account:
    """The row's account without contacts that already belong to a different account."""
    account = row.account

    def free(kind: str, value: str) -> bool:
        return claims.get(claim(kind, value), target_id) == target_id

    return replace(
        account,
        emails=[e for e in account.emails if free("email", e)],
        phones=[p for p in account.phones if free("phone", p)],
    )


def _new_account(job: ImportJob, row: ImportRow, account_id: str, at: datetime) -> Account:
    return replace(row.account, id=account_id, org_id=job.org_id, owner_id=job.owner_id, created_at=at, updated_at=at)


def _new_lead(
    job: ImportJob, row: ImportRow, lead_id: str, account_id: str, at: datetime
) -> tuple[Lead, list[StageMove]]:
    draft = row.lead
    assert draft is not None
    extra: dict[str, Any] = {"import_id": job.id, "import_row": row.row}
    if draft.source_stage:
        extra["source_stage"] = draft.source_stage
    if draft.external_id:
        extra["external_id"] = draft.external_id
    return imported_lead(
        draft, lead_id=lead_id, org_id=job.org_id, account_id=account_id, owner_id=job.owner_id, extra=extra, now=at
    )
