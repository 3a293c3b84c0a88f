"""Import jobs and the bulk reads/writes a CSV import needs.

Per chunk of rows the import makes two ``BatchGetItem`` rounds (100 keys per call): the e-mail and
phone claims plus the profiles its deterministic ids would use, then the profiles (and the
importing rep's access links) of the accounts those claims point at. New accounts and leads are
written with ``db.batch_write`` (25 per call, ``UnprocessedItems`` retried with backoff). Every
key is deterministic, so a replayed chunk overwrites what it wrote before instead of duplicating.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import partial
from typing import Any

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.imports.plan import Existing, NewLead
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys, raw
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence.models import AccessItem, AccountItem, ClaimItem, ImportItem, Item, LeadItem

STALE = "The import job was advanced by another worker."
WRITE_CONCURRENCY = 4  # BatchWriteItem calls in flight per chunk


def _to_item(job: ImportJob) -> ImportItem:
    item = ImportItem(
        keys.import_job(job.org_id, job.id),
        keys.PROFILE,
        gsi1pk=keys.imports_list(job.org_id),
        gsi1sk=keys.sortable(job.created_at, job.id),
        id=job.id,
        org_id=job.org_id,
        owner_id=job.owner_id,
        owner_role=job.owner_role,
        import_type=job.import_type,
        origin=job.origin,
        status=job.status,
        dry_run=job.dry_run,
        object_key=job.object_key or None,
        checksum=job.checksum or None,
        mapping=job.mapping or None,
        encoding=job.encoding or None,
        csv_format=job.csv_format or None,
        header=job.header or None,
        columns=job.columns or None,
        resume_offset=job.resume_offset,
        next_row=job.next_row,
        processed_rows=job.processed_rows,
        total_rows=job.total_rows,
        size_bytes=job.size_bytes,
        counters=job.counters,
        errors=job.errors or None,
        warnings=job.warnings or None,
        failure=job.failure or None,
        started_at=job.started_at,
        finished_at=job.finished_at,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )
    if job.status == "running":
        # Listed for the resume job while it runs; the sort key is the last progress time.
        item.gsi3pk = keys.ACTIVE_IMPORTS
        item.gsi3sk = keys.active_import(job.updated_at, job.org_id, job.id)
    if job.version:
        item.version = job.version
    return item


def _plain_list(values: Any) -> list[dict[str, Any]]:
    return [db.plain(v) if not isinstance(v, dict) else v for v in values or []]


def to_domain(item: ImportItem) -> ImportJob:
    return ImportJob(
        id=item.id,
        org_id=item.org_id,
        owner_id=item.owner_id,
        owner_role=item.owner_role,
        import_type=item.import_type,  # type: ignore[arg-type]
        origin=item.origin,  # type: ignore[arg-type]
        created_at=item.created_at,
        updated_at=item.updated_at,
        status=item.status,  # type: ignore[arg-type]
        dry_run=bool(item.dry_run),
        object_key=item.object_key or "",
        checksum=item.checksum or "",
        mapping=db.plain(item.mapping),
        encoding=item.encoding or "",
        csv_format=db.plain(item.csv_format),
        header=[str(h) for h in item.header or []],
        columns=_plain_list(item.columns),
        resume_offset=int(item.resume_offset or 0),
        next_row=int(item.next_row or 2),
        processed_rows=int(item.processed_rows or 0),
        total_rows=int(item.total_rows) if item.total_rows is not None else None,
        size_bytes=int(item.size_bytes) if item.size_bytes is not None else None,
        counters={k: int(v) for k, v in db.plain(item.counters).items()},
        errors=_plain_list(item.errors),
        warnings=_plain_list(item.warnings),
        failure=item.failure or "",
        started_at=item.started_at,
        finished_at=item.finished_at,
        version=int(item.version or 0),
    )


@db.bound
def create_job(job: ImportJob) -> ImportJob:
    item = _to_item(job)
    db.save_versioned(item, conflict="This import already exists.")
    return to_domain(item)


@db.bound
def save_job(job: ImportJob) -> ImportJob:
    """Save progress if nobody else advanced the job since it was read (Conflict otherwise)."""
    item = _to_item(job)
    db.save_versioned(item, conflict=STALE)
    return to_domain(item)


@db.bound
def get_job(org_id: str, import_id: str) -> ImportJob:
    try:
        item = ImportItem.get(keys.import_job(org_id, import_id), keys.PROFILE, consistent_read=True)
    except ImportItem.DoesNotExist:
        raise NotFound("No such import.")
    return to_domain(item)


STALLED_PER_RUN = 500  # far above what a healthy system ever has stalled at once


@db.bound
def stalled_jobs(updated_before: datetime, limit: int = STALLED_PER_RUN) -> list[ImportJob]:
    """Running jobs whose last progress is older than ``updated_before``, oldest first: one Query
    on gsi3 per 100. All of them, not a first page: queuing a continuation does not move a job
    on the index, so a page would hand the sweeper the same jobs on every run and never the rest."""
    result = Item.gsi3.query(
        keys.ACTIVE_IMPORTS,
        Item.gsi3sk < keys.moment(updated_before),
        limit=limit,
        page_size=100,
        consistent_read=False,
    )
    return [to_domain(row) for row in result if isinstance(row, ImportItem)]


Lookup = Existing  # what ``lookup`` returns: the domain's view of what is stored


@db.bound
def lookup(
    org_id: str,
    *,
    claim_keys: list[str],
    account_ids: list[str],
    lead_ids: list[str],
    access_user: str | None,
) -> Lookup:
    """What already exists for one chunk of rows, in two batched reads."""
    found = Lookup()
    first = [(pk, keys.CLAIM) for pk in claim_keys]
    first += [(keys.account(org_id, a), keys.PROFILE) for a in account_ids]
    first += [(keys.lead(org_id, lead_id), keys.PROFILE) for lead_id in lead_ids]
    for item in db.batch_get(first) if first else []:
        _note(found, item)
    claimed = [a for a in dict.fromkeys(found.claims.values()) if a not in found.accounts]
    second = [(keys.account(org_id, a), keys.PROFILE) for a in claimed]
    if access_user:
        wanted = list(dict.fromkeys([*found.claims.values(), *found.accounts]))
        second += [(keys.account(org_id, a), keys.access(access_user)) for a in wanted]
    for item in db.batch_get(second) if second else []:
        _note(found, item)
    return found


def _note(found: Lookup, item: Item) -> None:
    if isinstance(item, ClaimItem):
        found.claims[item.pk] = item.account_id
    elif isinstance(item, AccountItem):
        found.accounts[item.id] = account_store.to_domain(item)
    elif isinstance(item, AccessItem):
        found.access.add(item.account_id)
        found.access_reasons[item.account_id] = int(item.reasons or 1)
    elif isinstance(item, LeadItem):
        found.leads.add(item.id)


@db.bound
def write_new(accounts: list[Account], leads: list[NewLead], access_reasons: dict[str, int] | None = None) -> int:
    """Batch-write new accounts (exactly the items ``accounts.create`` writes) and new leads with
    their attachment links; returns the BatchWriteItem calls made.

    A rep's access link to an account counts the leads that need it (the API adds and removes one
    per lead); a batch cannot ADD, so the link is written with the count it had (``access_reasons``,
    read in ``lookup``) plus this batch's new leads on that account.
    """
    first, last = _new_items(accounts, leads, access_reasons)
    calls = db.batch_write(raw_puts=first, concurrency=WRITE_CONCURRENCY) if first else 0
    return calls + (db.batch_write(raw_puts=last, concurrency=WRITE_CONCURRENCY) if last else 0)


def _new_items(
    accounts: list[Account], leads: list[NewLead], access_reasons: dict[str, int] | None
) -> tuple[list[raw.Raw], list[raw.Raw]]:
    """What ``write_new`` writes: everything but the profiles, then the profiles."""
    items: dict[tuple[str, str], raw.Raw] = {}
    for account in accounts:
        for item in account_store.creation_raw(account):
            items[raw.key_of(item)] = item
    new_per_link: dict[tuple[str, str], int] = {}
    for new in leads:
        lead = new.lead
        lead_items = [*lead_store.new_lead_items(lead), *lead_store.attachment_items(lead, new.account_created_at)]
        lead_items += lead_store.history_records(lead, new.history, partial(_entry_id, lead.id))
        for lead_item in lead_items:
            if isinstance(lead_item, AccessItem):
                link = (lead_item.pk, lead_item.sk)
                new_per_link[link] = new_per_link.get(link, 0) + 1
                lead_item.reasons = (access_reasons or {}).get(lead.account_id, 0) + new_per_link[link]
            _start_versioning(lead_item)
            # one access link per rep and account, however many leads
            items[(lead_item.pk, lead_item.sk)] = lead_item.serialize()
    # The profiles last: a chunk replayed after a crash takes an account or lead whose profile it
    # finds as written, so everything else of it (claims, name keys, history, links) must be there.
    first = [item for key, item in items.items() if key[1] != keys.PROFILE]
    last = [item for key, item in items.items() if key[1] == keys.PROFILE]
    return first, last


@db.bound
def create_finished(job: ImportJob, accounts: list[Account]) -> ImportJob | None:
    """A small import whole, in one TransactWriteItems: its new accounts (what ``write_new``
    writes; all at once, so no order to keep) and the job, finished, put only while no job has
    its id. None, and nothing written, when they do not fit one transaction."""
    first, last = _new_items(accounts, [], None)
    items = [*first, *last]
    if len(items) + 1 > db.MAX_TRANSACTION_ITEMS:
        return None
    item = _to_item(job)
    item.version = 1  # as a conditioned first save sets it
    db.transact_raw_puts(items, item.serialize(), conflict="This import already exists.")
    return to_domain(item)


def _entry_id(lead_id: str, seq: int) -> str:
    return hashlib.sha256(f"{lead_id}|history|{seq}".encode()).hexdigest()[:26]


def _start_versioning(item: Item) -> None:
    """A batch put does not do what a conditioned save does for a new item: set version 1. Without
    it the first PATCH (based on version 1, as the API reports) would never match."""
    name = getattr(type(item), "_version_attribute_name", None)
    if name and getattr(item, name) is None:
        setattr(item, name, 1)


def update_account(before: Account, after: Account) -> Account:
    """A merge into an existing account: version-conditioned, new claims conditional (Conflict)."""
    return account_store.update(before, after)


__all__ = ["Conflict", "Lookup", "create_job", "get_job", "lookup", "save_job", "stalled_jobs", "write_new"]
