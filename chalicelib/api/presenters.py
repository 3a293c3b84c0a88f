"""Domain objects to API shapes."""

from __future__ import annotations

from datetime import datetime

from chalicelib.api.schemas import AccountOut, ImportColumn, ImportIssue, ImportOut, SettingsOut
from chalicelib.domain.accounts import Account, Risk
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.settings import StoredSettings
from chalicelib.domain.timeutil import format_rfc3339


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        created_at=format_rfc3339(account.created_at),
        updated_at=format_rfc3339(account.updated_at),
        version=account.version,
        name=account.name,
        kind=account.kind,
        company=account.company,
        title=account.title,
        emails=account.emails,
        phones=account.phones,
        address=account.address,
        tags=account.tags,
        owner_id=account.owner_id,
        journey_stage=account.journey_stage,
        risk=Risk.model_validate(account.risk),
        contact_opt_out=account.contact_opt_out,
        notes=account.notes,
        custom_fields=account.custom_fields,
        source=account.source,
        referred_by_account_id=account.referred_by_account_id,
        language=account.language,
    )


def settings_out(stored: StoredSettings) -> SettingsOut:
    return SettingsOut(
        **stored.settings.model_dump(),
        version=stored.version,
        updated_at=format_rfc3339(stored.updated_at) if stored.updated_at else None,
    )


def import_out(job: ImportJob) -> ImportOut:
    def at(value: datetime | None) -> str | None:
        return format_rfc3339(value) if value else None

    return ImportOut(
        id=job.id,
        type=job.import_type,
        status=job.status,
        dry_run=job.dry_run,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created=job.counters.get("created", 0),
        updated=job.counters.get("updated", 0),
        duplicates=job.counters.get("duplicates", 0),
        rejected=job.counters.get("rejected", 0),
        accounts_created=job.counters.get("accounts_created", 0),
        leads_created=job.counters.get("leads_created", 0),
        leads_existing=job.counters.get("leads_existing", 0),
        errors=[ImportIssue.model_validate(e) for e in job.errors],
        errors_truncated=job.counters.get("rejected", 0) > len(job.errors),
        warnings=[ImportIssue.model_validate(w) for w in job.warnings],
        columns=[ImportColumn.model_validate(c) for c in job.columns],
        mapping={str(c["column"]): str(c["field"]) for c in job.columns if c.get("column")},
        size_bytes=job.size_bytes,
        processed_bytes=job.resume_offset,
        failure=job.failure or None,
        created_at=at(job.created_at) or "",
        updated_at=at(job.updated_at) or "",
        started_at=at(job.started_at),
        finished_at=at(job.finished_at),
        version=job.version,
    )
