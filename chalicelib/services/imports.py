"""CSV import use cases: inline imports, presigned uploads, the queue worker and the resume job.

How a job runs
- Rows are read as a stream and handled in chunks of ``CHUNK_ROWS``. Per chunk: validate rows,
  group rows that share an e-mail or phone, two batched reads (claims, then matched profiles),
  then ``BatchWriteItem`` for everything new and one version-conditioned transaction per existing
  account that gains data. Progress (byte offset, next row number, counters, errors) is saved after
  every chunk, conditioned on the job's version, so two workers never both advance one job.
- Before each chunk the worker checks its deadline (Lambda's remaining time minus a reserve, or
  a time budget for the API request). When time runs out it stops at a chunk boundary and asks
  for a continuation: the API request stores the body in S3 under the upload key, whose
  ObjectCreated event reaches the queue; the queue worker sends itself a continuation message.
  A replayed chunk (crash between writing and saving progress) rewrites the same deterministic
  keys; only its counters may then read "duplicate" for rows that were created the first time.
- Identity and the plan of each chunk (which rows merge, which accounts and deals are new) are
  pure functions in ``chalicelib/domain/imports/plan.py``; ids are deterministic, so re-running a
  file creates nothing. The checksum that names contact-less rows is the body's MD5 inline and the
  S3 ETag of an upload, which is that MD5 for the single-part, SSE-S3 uploads a presigned PUT makes.
- Dry runs read but never write data; duplicates inside the file (accounts and deal ids) are
  remembered in memory for one invocation (a dry run that continues in another invocation may
  count fewer in-file duplicates).
"""

from __future__ import annotations

import copy
import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib import storage
from chalicelib.config import environment, now
from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)
from chalicelib.domain.imports import plan
from chalicelib.domain.imports.columns import ColumnMap, map_columns
from chalicelib.domain.imports.job import ImportJob, ImportOptions
from chalicelib.domain.imports.reading import SAMPLE_BYTES, CsvFormat, Record, detect_format, head_sample, read_records
from chalicelib.domain.imports.values import plan_columns
from chalicelib.domain.principal import Principal
from chalicelib.domain.reports import counters
from chalicelib.ids import new_id
from chalicelib.observability import log_keys, logger
from chalicelib.persistence import imports as store
from chalicelib.persistence import keys, stats
from chalicelib.persistence import org as org_store
from chalicelib.persistence.accounts import claim_key

CHUNK_ROWS = 500
INLINE_CHUNK_BYTES = 256 * 1024
LAMBDA_RESERVE_MS = 15_000  # stop this long before Lambda would kill us
UPLOAD_URL_SECONDS = 900
STALLED_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=6)


@dataclass
class Deadline:
    """When a worker must stop taking new chunks: when the next one, if it takes as long as the
    slowest so far, would end past the time budget or inside Lambda's reserve."""

    seconds: float | None = None
    remaining_ms: Callable[[], int] | None = None
    reserve_ms: int = LAMBDA_RESERVE_MS
    started: float = field(default_factory=time.monotonic)
    slowest_chunk: float = 0.0
    _chunk_started: float | None = None

    def chunk_started(self) -> None:
        self._chunk_started = time.monotonic()

    def chunk_done(self) -> None:
        if self._chunk_started is not None:
            self.slowest_chunk = max(self.slowest_chunk, time.monotonic() - self._chunk_started)

    def expired(self) -> bool:
        ahead_ms = self.slowest_chunk * 1000
        if self.remaining_ms is not None and self.remaining_ms() - ahead_ms < self.reserve_ms:
            return True
        return self.seconds is not None and time.monotonic() - self.started + self.slowest_chunk >= self.seconds


# -- requests -------------------------------------------------------------------------------


def _new_job(principal: Principal, opts: ImportOptions, origin: str) -> ImportJob:
    at = now()
    return ImportJob(
        id=new_id(),
        org_id=principal.org_id,
        owner_id=principal.user_id,
        owner_role=principal.role,
        import_type=opts.import_type,
        origin=origin,  # type: ignore[arg-type]
        created_at=at,
        updated_at=at,
        dry_run=opts.dry_run,
        mapping=opts.mapping,
        encoding=opts.encoding,
    )


def start_inline(principal: Principal, body: bytes, opts: ImportOptions) -> ImportJob:
    """Import a CSV sent in the request: as much as fits in the request's time budget now, the
    rest by the queue worker (the body is then stored in S3 and its event continues the job)."""
    if not body.strip():
        raise MalformedRequest("The CSV body is empty.")
    job = _new_job(principal, opts, "inline")
    # The same digest S3 reports as the ETag of a single-part upload (SSE-S3), so a file sent once
    # inline and once by upload gives its contact-less rows the same ids.
    job.checksum = hashlib.md5(body, usedforsecurity=False).hexdigest()
    job.size_bytes = len(body)
    _read_header(job, body[:SAMPLE_BYTES], complete=len(body) <= SAMPLE_BYTES, source=_inline_source(body))
    job.status, job.started_at = "running", job.created_at
    # The job is stored with its first chunk (``_commit``): a file of one small chunk is then one
    # write, rows and finished job together.
    job = _run(job, _inline_source(body), Deadline(seconds=environment().import_inline_seconds), stored=False)
    if job.active:
        job.object_key = keys.upload_object(job.org_id, job.id)
        job = store.save_job(job)
        storage.put_object(job.object_key, body)  # its ObjectCreated event continues the job
    return job


def create_upload(principal: Principal, opts: ImportOptions) -> tuple[ImportJob, str, int]:
    job = _new_job(principal, opts, "upload")
    job.object_key = keys.upload_object(job.org_id, job.id)
    job = store.create_job(job)
    url = storage.presigned_put(job.object_key, content_type="text/csv", expires_in=UPLOAD_URL_SECONDS)
    return job, url, UPLOAD_URL_SECONDS


def get_import(principal: Principal, import_id: str) -> ImportJob:
    job = store.get_job(principal.org_id, import_id)
    if not principal.may_see_owned(job.owner_id):
        raise NotFound("No such import.")
    return job


# -- the worker -----------------------------------------------------------------------------


def handle_queue_message(body: str, remaining_ms: Callable[[], int] | None = None) -> list[str]:
    """One SQS message of the import queue (see ``chalicelib.jobs.imports``, which parses it)."""
    from chalicelib.jobs.imports import handle_message

    return handle_message(body, remaining_ms)


def continue_import(org_id: str, import_id: str, remaining_ms: Callable[[], int] | None = None) -> ImportJob | None:
    """Work on one import for the queue worker: until Lambda's remaining time runs low (or ten
    minutes where there is no Lambda clock)."""
    return resume(org_id, import_id, Deadline(remaining_ms=remaining_ms, seconds=None if remaining_ms else 600))


def resume(org_id: str, import_id: str, deadline: Deadline) -> ImportJob | None:
    """Run a job from where it stopped until it ends or the deadline nears; then enqueue a
    continuation. A job already finished (a repeated event) is left alone."""
    with log_keys(import_id=import_id):
        return _resume(org_id, import_id, deadline)


def _resume(org_id: str, import_id: str, deadline: Deadline) -> ImportJob | None:
    try:
        job = store.get_job(org_id, import_id)
    except NotFound:
        logger.warning("import queue: no such import", extra={"org": org_id})
        return None
    if not job.active:
        return job
    try:
        if job.status == "queued":
            meta = storage.head_object(job.object_key)
            if meta is None:
                return job  # the upload has not arrived yet; its own event will start the job
            job.size_bytes = int(meta.get("ContentLength", 0))
            _refuse_oversized(job)
            job.checksum = str(meta.get("ETag", "")).strip('"') or job.id
            sample = b"".join(storage.read_range(job.object_key, 0, SAMPLE_BYTES))
            _read_header(
                job,
                sample,
                complete=len(sample) >= job.size_bytes,
                source=lambda s: storage.read_range(job.object_key, s),
            )
            job.status, job.started_at = "running", now()
            job = store.save_job(job)
        job = _run(job, lambda start: storage.read_range(job.object_key, start), deadline)
    except Conflict:
        logger.info("import advanced by another worker")
        return None
    except Unavailable:
        # The store is busy or failing for now, not the file: leave the job running from its last
        # saved chunk and fail this delivery, so SQS delivers the message again (and, should that
        # run out, resume_stalled_imports queues a continuation).
        logger.warning("import paused: the store is unavailable")
        raise
    except DomainError as error:  # the file itself is unusable: the job fails, visibly
        job.fail(error.detail, now())
        return store.save_job(job)
    if job.active:
        storage.enqueue_import(org_id, import_id)
    return job


def _refuse_oversized(job: ImportJob) -> None:
    """A presigned PUT cannot cap the size of what is uploaded, so the worker does: a file over
    the limit is deleted unread and the job fails, saying why."""
    limit = environment().max_upload_bytes
    if (job.size_bytes or 0) > limit:
        storage.delete_object(job.object_key)
        raise PayloadTooLarge(
            f"The file is {_size(job.size_bytes or 0)}; uploads of up to {_size(limit)} are imported. "
            "Split it into smaller files."
        )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


def resume_stalled_imports() -> dict[str, Any]:
    """Imports whose worker died without a continuation (DLQ, lost message): queue a continuation
    for the worker (the job itself never imports: a schedule's Lambda is short-lived and one
    stalled file could take all of it); after six hours without progress, mark them failed."""
    current = now()
    resumed, failed = 0, 0
    for job in store.stalled_jobs(current - STALLED_AFTER):
        if current - job.updated_at > GIVE_UP_AFTER:
            failed += _fail(job, "stopped making progress")
            continue
        if job.object_key:
            storage.enqueue_import(job.org_id, job.id)
            resumed += 1
        elif _fail(job, "The request that carried the file ended before the import finished; send the file again."):
            failed += 1  # an inline body whose request died: nothing is left to resume from
    return {"resumed": resumed, "failed": failed}


def _fail(job: ImportJob, reason: str) -> bool:
    job.fail(reason, now())
    try:
        store.save_job(job)
    except Conflict:
        return False  # a worker advanced it meanwhile
    return True


# -- reading ---------------------------------------------------------------------------------


def _inline_source(body: bytes) -> Callable[[int], Iterable[bytes]]:
    def source(start: int) -> Iterator[bytes]:
        view = memoryview(body)
        for offset in range(start, len(body), INLINE_CHUNK_BYTES):
            yield bytes(view[offset : offset + INLINE_CHUNK_BYTES])

    return source


SAMPLE_ROWS = 200  # rows after the header that decide per column how the file writes values


def _read_header(job: ImportJob, sample: bytes, *, complete: bool, source: Callable[[int], Iterable[bytes]]) -> None:
    fmt = detect_format(head_sample(sample, complete=complete), encoding=job.encoding or None)
    row = 1
    first_rows: list[list[str]] = []
    for record in read_records(source(0), fmt):
        if not job.header:
            if record.fields is not None and not record.blank:
                job.header = [h.strip() for h in record.fields]
                job.resume_offset, job.next_row = record.end_offset, row + 1
            row += 1
            continue
        if record.fields is not None and not record.blank:
            first_rows.append(record.fields)
        if len(first_rows) >= SAMPLE_ROWS or record.end_offset >= SAMPLE_BYTES:
            break
    if not job.header:
        raise MalformedRequest("The CSV file has no header row.")
    decided = plan_columns(job.header, job.import_type, job.mapping, first_rows)
    job.mapping = decided.mapping
    job.csv_format = {**fmt.as_dict(), "column_hints": {str(i): h for i, h in decided.columns.hints.items()}}
    job.columns = decided.columns.as_list()
    for note in decided.notes:
        job.warnings.append({"row": 1, "field": "header", "message": note[:300]})
    if decided.columns.custom_headers:
        job.warnings.append(
            {
                "row": 1,
                "field": "header",
                "message": "kept as custom fields: " + ", ".join(decided.columns.custom_headers)[:250],
            }
        )


def _columns(job: ImportJob) -> ColumnMap:
    hints = job.csv_format.get("column_hints") or {}
    return map_columns(job.header, job.import_type, job.mapping).with_hints({int(k): str(v) for k, v in hints.items()})


@dataclass
class _Context:
    principal: Principal
    columns: ColumnMap
    default_country: str
    memory: plan.Memory = field(default_factory=plan.Memory)  # dry runs: what earlier chunks planned


def _run(
    job: ImportJob, source: Callable[[int], Iterable[bytes]], deadline: Deadline, *, stored: bool = True
) -> ImportJob:
    """Import chunk after chunk from the job's resume point until the file ends or the deadline
    nears. ``stored=False``: the job is not saved yet (an inline request's), and is with its first chunk."""
    with _collector_skips_loaded_libraries():
        return _run_chunks(job, source, deadline, stored=stored)


@contextmanager
def _collector_skips_loaded_libraries() -> Iterator[None]:
    """While rows are imported, full garbage collections leave alone what the process held before:
    botocore's service models alone are ~85,000 objects, scanned again by every full collection a
    chunk's allocations trigger (setting them aside measured ~6% less CPU per imported row).
    ``gc.freeze`` frees and keeps nothing by itself; what it set aside is handed back to the
    collector when the run ends, however it ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_chunks(
    job: ImportJob, source: Callable[[int], Iterable[bytes]], deadline: Deadline, *, stored: bool
) -> ImportJob:
    fmt = CsvFormat.from_dict(job.csv_format)
    ctx = _Context(
        principal=Principal(job.owner_id, job.org_id, job.owner_role),  # type: ignore[arg-type]
        columns=_columns(job),
        default_country=org_store.get_settings(job.org_id).settings.default_country,
    )
    batch: list[tuple[int, Record]] = []
    end = job.resume_offset
    row = job.next_row
    deadline.chunk_started()
    for record in read_records(source(job.resume_offset), fmt, start=job.resume_offset):
        if not record.blank:
            batch.append((row, record))
        row, end = row + 1, record.end_offset
        if len(batch) >= CHUNK_ROWS:
            job = _commit(job, ctx, batch, end, row, stored=stored)
            batch, stored = [], True
            deadline.chunk_done()
            if deadline.expired():
                return job
            deadline.chunk_started()
    job = _commit(job, ctx, batch, end, row, final=True, stored=stored)
    return job


def _commit(
    job: ImportJob,
    ctx: _Context,
    batch: list[tuple[int, Record]],
    end: int,
    next_row: int,
    final: bool = False,
    *,
    stored: bool = True,
) -> ImportJob:
    """Import one chunk and save the job's progress. A job not stored yet is stored before any of
    its rows are written (so a request that dies leaves a job that says so), or, for a whole file
    of new accounts that fits, together with them in one transaction."""
    planned = _plan_chunk(job, ctx, batch)
    if not stored and final and (planned is None or job.dry_run or _only_new_accounts(planned[0])):
        finished = copy.deepcopy(job)  # left unused if the one write does not fit
        if planned is not None:
            if job.dry_run:
                _write(finished, *planned)  # counts only
            else:
                _count_new(finished, planned[0], planned[0].new_leads)
        accounts = [] if job.dry_run or planned is None else planned[0].creates
        saved = store.create_finished(_advance(finished, batch, end, next_row, final), accounts)
        if saved is not None:
            logger.info("import progress", extra={"processed_rows": saved.processed_rows, "status": saved.status})
            return saved
    if not stored:
        job = store.create_job(job)
    if planned is not None:
        _write(job, *planned)
    saved = store.save_job(_advance(job, batch, end, next_row, final))
    logger.info("import progress", extra={"processed_rows": saved.processed_rows, "status": saved.status})
    return saved


def _advance(job: ImportJob, batch: list[tuple[int, Record]], end: int, next_row: int, final: bool) -> ImportJob:
    """The job past this chunk."""
    job.processed_rows += len(batch)
    job.resume_offset, job.next_row = end, next_row
    job.updated_at = now()
    if final:
        job.status, job.total_rows, job.finished_at = "completed", job.processed_rows, job.updated_at
    return job


def _only_new_accounts(chunk: plan.ChunkPlan) -> bool:
    """Nothing to merge into existing accounts and no leads (their report counters are separate writes)."""
    return not chunk.updates and not chunk.new_leads


def _claim(org_id: str) -> plan.ClaimKey:
    return lambda kind, value: claim_key(org_id, kind, value)


def _plan_chunk(
    job: ImportJob, ctx: _Context, batch: list[tuple[int, Record]]
) -> tuple[plan.ChunkPlan, dict[str, int]] | None:
    """What one chunk of rows does (the rows validated and their existing records read, nothing
    written), with the access-link counts the writes need; None when no row is valid."""
    at = now()
    rows = plan.validate_rows(job, batch, ctx.columns, default_country=ctx.default_country, now=at)
    if not rows:
        return None
    claim = _claim(job.org_id)
    groups = plan.group_rows([(row, plan.identity_keys(job, row, claim)) for row in rows])
    lead_ids = {row.row: plan.lead_id_for(job, row) for row in rows} if job.import_type == "leads" else {}
    principal = ctx.principal
    existing = store.lookup(
        job.org_id,
        claim_keys=sorted({k for group in groups for _, idents in group for k in idents if k.startswith("ORG#")}),
        account_ids=[plan.account_id_for(job, group[0][1][0]) for group in groups],
        lead_ids=list(lead_ids.values()),
        # The rep's links decide what they may merge into; the job owner's links get new leads.
        access_user=principal.user_id if not principal.sees_whole_org else (job.owner_id if lead_ids else None),
    )
    chunk = plan.plan_chunk(
        job, groups, existing, principal=principal, claim=claim, lead_ids=lead_ids, memory=ctx.memory, now=at
    )
    return chunk, existing.access_reasons


def _write(job: ImportJob, chunk: plan.ChunkPlan, access_reasons: dict[str, int]) -> None:
    failed_accounts: set[str] = set()
    for update in chunk.updates:
        if not job.dry_run:
            try:
                store.update_account(update.before, update.after)
            except Conflict as conflict:
                failed_accounts.add(update.before.id)
                job.count("duplicates", -len(update.rows))  # counted as duplicates when planned; now rejected
                for row in update.rows:
                    job.reject(row.row, [FieldError("row", f"{conflict.detail} Run the import again.")])
                continue
        job.count("updated")
    leads = [new for new in chunk.new_leads if new.lead.account_id not in failed_accounts]
    if not job.dry_run:
        store.write_new(chunk.creates, leads, access_reasons)
        # Report counters of the new leads, from the steps their history reached (one UpdateItem per
        # day and scope touched); a crash between the two writes is what `make rebuild-reports` repairs.
        stats.apply(
            job.org_id,
            counters.combine(counters.lead_counts(new.lead, [move.to_stage for move in new.history]) for new in leads),
        )
    _count_new(job, chunk, leads)


def _count_new(job: ImportJob, chunk: plan.ChunkPlan, leads: list[plan.NewLead]) -> None:
    job.count("accounts_created", len(chunk.creates))
    job.count("leads_created", len(leads))
    job.count("created", len(chunk.creates) if job.import_type == "accounts" else len(leads))
