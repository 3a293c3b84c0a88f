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
- Identity: an account created by an import gets ``sha256(org | first claim)`` as id (its first
  e-mail or phone), or, without either, ``org | ext:<external id>`` (accounts files) /
  ``org | name:<folded name>`` (leads files: a pipeline lists many deals per company) /
  ``org | row:<file checksum>:<row>``. A lead gets ``org | lead | <external id>`` or
  ``org | lead | <file checksum> | <row>``. Re-running a file therefore creates nothing. The
  checksum is the body's MD5 inline and the S3 ETag of an upload, which is that MD5 for the
  single-part, SSE-S3 uploads a presigned PUT makes.
- Dry runs read but never write data; duplicates inside the file (accounts and deal ids) are
  remembered in memory for one invocation (a dry run that continues in another invocation may
  count fewer in-file duplicates).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from chalicelib import storage
from chalicelib.config import get_settings, now
from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from chalicelib.domain.imports.columns import IMPORT_TYPES, ColumnMap, ImportType, map_columns, parse_mapping
from chalicelib.domain.imports.job import ImportJob
from chalicelib.domain.imports.merge import merge_account
from chalicelib.domain.imports.reading import (
    SAMPLE_BYTES,
    CsvFormat,
    Record,
    detect_format,
    encoding_name,
    head_sample,
    read_records,
)
from chalicelib.domain.imports.records import ImportRow, RowRejected, build_row
from chalicelib.domain.pipeline import Lead
from chalicelib.domain.principal import Principal
from chalicelib.domain.reports import counters
from chalicelib.ids import new_id
from chalicelib.observability import logger
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


@dataclass(frozen=True)
class ImportOptions:
    import_type: ImportType
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    encoding: str = ""  # "" = detect


def options(
    import_type: str | None, mapping: str | None, dry_run: str | None, encoding: str | None = None
) -> ImportOptions:
    """The query options of POST /imports and /imports/uploads, validated (422)."""
    if import_type not in IMPORT_TYPES:
        raise ValidationFailed.single("type", f"must be one of {', '.join(IMPORT_TYPES)}")
    codec = ""
    if encoding:
        try:
            codec = encoding_name(encoding)
        except ValueError as error:
            raise ValidationFailed.single("encoding", str(error))
    parsed: dict[str, str] = {}
    if mapping:
        try:
            parsed = parse_mapping(json.loads(mapping))
        except json.JSONDecodeError:
            raise ValidationFailed.single("mapping", 'must be JSON, e.g. {"Mobile No": "phone"}')
    flag = (dry_run or "false").strip().lower()
    if flag not in ("true", "false", "1", "0", ""):
        raise ValidationFailed.single("dry_run", "must be true or false")
    return ImportOptions(import_type, parsed, flag in ("true", "1"), codec)  # type: ignore[arg-type]


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
    job = store.create_job(job)
    job = _run(job, _inline_source(body), Deadline(seconds=get_settings().import_inline_seconds))
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
    """One SQS message: an S3 ObjectCreated event for an upload, or a continuation request.
    Returns the import ids it worked on. Anything unexpected in the bucket is logged and ignored."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        logger.warning("import queue: not JSON", extra={"body": body[:200]})
        return []
    targets: list[tuple[str, str]] = []
    if isinstance(message, dict) and isinstance(message.get("tawasul_import"), dict):
        ref = message["tawasul_import"]
        targets.append((str(ref.get("org")), str(ref.get("id"))))
    for record in (message.get("Records") or []) if isinstance(message, dict) else []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(record.get("s3", {}).get("object", {}).get("key", ""))
        parsed = keys.parse_upload_object(key)
        if parsed is None:
            logger.warning("import queue: object outside the uploads prefix", extra={"key": key})
            continue
        targets.append(parsed)
    done = []
    for org_id, import_id in targets:
        resume(org_id, import_id, Deadline(remaining_ms=remaining_ms, seconds=None if remaining_ms else 600))
        done.append(import_id)
    return done


def resume(org_id: str, import_id: str, deadline: Deadline) -> ImportJob | None:
    """Run a job from where it stopped until it ends or the deadline nears; then enqueue a
    continuation. A job already finished (a repeated event) is left alone."""
    logger.append_keys(import_id=import_id)
    try:
        return _resume(org_id, import_id, deadline)
    finally:
        logger.remove_keys(["import_id"])


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
    except DomainError as error:  # the file itself is unusable: the job fails, visibly
        job.fail(error.detail, now())
        return store.save_job(job)
    if job.active:
        storage.enqueue_import(org_id, import_id)
    return job


def _refuse_oversized(job: ImportJob) -> None:
    """A presigned PUT cannot cap the size of what is uploaded, so the worker does: a file over
    the limit is deleted unread and the job fails, saying why."""
    limit = get_settings().max_upload_bytes
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


def _read_header(job: ImportJob, sample: bytes, *, complete: bool, source: Callable[[int], Iterable[bytes]]) -> None:
    fmt = detect_format(head_sample(sample, complete=complete), encoding=job.encoding or None)
    row = 1
    for record in read_records(source(0), fmt):
        if record.fields is not None and not record.blank:
            job.header = [h.strip() for h in record.fields]
            job.resume_offset, job.next_row = record.end_offset, row + 1
            break
        row += 1
    else:
        raise MalformedRequest("The CSV file has no header row.")
    columns = map_columns(job.header, job.import_type, job.mapping)
    job.csv_format = fmt.as_dict()
    job.columns = columns.as_list()
    if columns.custom_headers:
        job.warnings.append(
            {
                "row": 1,
                "field": "header",
                "message": "kept as custom fields: " + ", ".join(columns.custom_headers)[:250],
            }
        )


@dataclass
class _Context:
    principal: Principal
    columns: ColumnMap
    default_country: str
    seen: dict[str, str] = field(default_factory=dict)  # dry runs: identity key -> account id
    seen_leads: set[str] = field(default_factory=set)  # dry runs: lead ids of earlier chunks


def _run(job: ImportJob, source: Callable[[int], Iterable[bytes]], deadline: Deadline) -> ImportJob:
    fmt = CsvFormat.from_dict(job.csv_format)
    ctx = _Context(
        principal=Principal(job.owner_id, job.org_id, job.owner_role),  # type: ignore[arg-type]
        columns=map_columns(job.header, job.import_type, job.mapping),
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
            job = _commit(job, ctx, batch, end, row)
            batch = []
            deadline.chunk_done()
            if deadline.expired():
                return job
            deadline.chunk_started()
    job = _commit(job, ctx, batch, end, row, final=True)
    return job


def _commit(
    job: ImportJob, ctx: _Context, batch: list[tuple[int, Record]], end: int, next_row: int, final: bool = False
) -> ImportJob:
    _import_chunk(job, ctx, batch)
    job.processed_rows += len(batch)
    job.resume_offset, job.next_row = end, next_row
    job.updated_at = now()
    if final:
        job.status, job.total_rows, job.finished_at = "completed", job.processed_rows, job.updated_at
    saved = store.save_job(job)
    logger.info("import progress", extra={"processed_rows": saved.processed_rows, "status": saved.status})
    return saved


def _det_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:26]


def _identity(job: ImportJob, row: ImportRow) -> list[str]:
    claims = [claim_key(job.org_id, kind, value) for kind, value in row.claim_values()]
    if claims:
        return claims
    if job.import_type == "leads":
        return [f"name:{row.group_name}"]
    if row.external_id:
        return [f"ext:{row.external_id}"]
    return [f"row:{job.checksum}:{row.row}"]


def _lead_id(job: ImportJob, row: ImportRow) -> str:
    if row.lead is not None and row.lead.external_id:
        return _det_id(job.org_id, "lead", row.lead.external_id)
    return _det_id(job.org_id, "lead", job.checksum, str(row.row))


def _groups(identities: list[tuple[ImportRow, list[str]]]) -> list[list[tuple[ImportRow, list[str]]]]:
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
    grouped: dict[int, list[tuple[ImportRow, list[str]]]] = {}
    for index, entry in enumerate(identities):
        grouped.setdefault(find(index), []).append(entry)
    return list(grouped.values())


def _import_chunk(job: ImportJob, ctx: _Context, batch: list[tuple[int, Record]]) -> None:
    at = now()
    rows: list[ImportRow] = []
    for number, record in batch:
        if record.fields is None:
            job.reject(number, [FieldError("row", record.problem)])
            continue
        built = build_row(
            number,
            record.fields,
            ctx.columns,
            import_type=job.import_type,
            default_country=ctx.default_country,
            now=at,
        )
        if isinstance(built, RowRejected):
            job.reject(number, built.errors)
        else:
            if built.warnings:
                job.warn(number, built.warnings)
            rows.append(built)
    if not rows:
        return
    groups = _groups([(row, _identity(job, row)) for row in rows])
    candidates = [_det_id(job.org_id, group[0][1][0]) for group in groups]
    lead_ids = {row.row: _lead_id(job, row) for row in rows} if job.import_type == "leads" else {}
    principal = ctx.principal
    found = store.lookup(
        job.org_id,
        claim_keys=sorted(
            {k for row, idents in (e for g in groups for e in g) for k in idents if k.startswith("ORG#")}
        ),
        account_ids=candidates,
        lead_ids=list(lead_ids.values()),
        # The rep's links decide what they may merge into; the job owner's links get new leads.
        access_user=principal.user_id if not principal.sees_whole_org else (job.owner_id if lead_ids else None),
    )
    creates: list[Account] = []
    updates: list[tuple[Account, Account, list[ImportRow]]] = []
    new_leads: list[tuple[Lead, datetime]] = []
    planned_leads: set[str] = ctx.seen_leads if job.dry_run else set()  # a real run finds earlier chunks' leads
    for group, candidate in zip(groups, candidates, strict=True):
        keys_in_order = [k for _, idents in group for k in idents]
        matches = [found.claims.get(k) or ctx.seen.get(k) for k in keys_in_order]
        existing_ids = list(dict.fromkeys(m for m in matches if m))
        if candidate in found.accounts and candidate not in existing_ids:
            existing_ids.append(candidate)
        group_rows = [row for row, _ in group]
        if existing_ids:
            target_id = existing_ids[0]
            before = found.accounts.get(target_id)
            if before is not None and not (
                principal.sees_whole_org or before.owner_id == principal.user_id or target_id in found.access
            ):
                for row in group_rows:
                    job.reject(row.row, [FieldError("email/phone", "already belongs to another rep's customer")])
                continue
            job.count("duplicates", len(group_rows))
            target = before
            if before is not None:
                for row in group_rows:
                    target = merge_account(target, _claimable(job, row, target_id, found.claims), now=at)  # type: ignore[arg-type]
                if target is not None and target is not before:
                    updates.append((before, target, group_rows))
        else:
            target = _new_account(job, group_rows[0], candidate, at)
            for row in group_rows[1:]:
                target = merge_account(target, row.account, now=at)
            creates.append(target)
            job.count("duplicates", len(group_rows) - 1)
            target_id = candidate
        if job.dry_run:
            for key in keys_in_order:
                ctx.seen.setdefault(key, target_id)
        if job.import_type == "leads":
            created_at = target.created_at if target is not None else at
            for row in group_rows:
                lead_id = lead_ids[row.row]
                if lead_id in found.leads or lead_id in planned_leads:
                    job.count("leads_existing")
                    continue
                planned_leads.add(lead_id)
                new_leads.append((_new_lead(job, row, lead_id, target_id, at), created_at))
    _write(job, creates, updates, new_leads, found.access_reasons)


def _claimable(job: ImportJob, row: ImportRow, target_id: str, claims: dict[str, str]) -> Account:
    """The row's account without contacts that already belong to a different account."""
    account = row.account

    def free(kind: str, value: str) -> bool:
        return claims.get(claim_key(job.org_id, kind, value), target_id) == target_id

    return replace(
        account,
        emails=[e for e in account.emails if free("email", e)],
        phones=[p for p in account.phones if free("phone", p)],
    )


def _new_account(job: ImportJob, row: ImportRow, account_id: str, at: datetime) -> Account:
    return replace(
        row.account,
        id=account_id,
        org_id=job.org_id,
        owner_id=job.owner_id,
        created_at=at,
        updated_at=at,
    )


def _new_lead(job: ImportJob, row: ImportRow, lead_id: str, account_id: str, at: datetime) -> Lead:
    draft = row.lead
    assert draft is not None
    extra: dict[str, Any] = {"import_id": job.id, "import_row": row.row}
    if draft.source_stage:
        extra["source_stage"] = draft.source_stage
    if draft.external_id:
        extra["external_id"] = draft.external_id
    return Lead(
        id=lead_id,
        org_id=job.org_id,
        account_id=account_id,
        title=draft.title,
        owner_id=job.owner_id,
        created_at=at,
        updated_at=at,
        stage=draft.stage,
        status=draft.status,
        value=draft.value,
        source=draft.source,
        lost_reason=draft.lost_reason,
        stage_entered_at=at,
        closed_at=at if draft.status != "open" else None,
        custom_fields=draft.custom_fields,
        extra=extra,
    )


def _write(
    job: ImportJob,
    creates: list[Account],
    updates: list[tuple[Account, Account, list[ImportRow]]],
    new_leads: list[tuple[Lead, datetime]],
    access_reasons: dict[str, int],
) -> None:
    failed_accounts: set[str] = set()
    for before, after, rows in updates:
        if not job.dry_run:
            try:
                store.update_account(before, after)
            except Conflict as conflict:
                failed_accounts.add(before.id)
                job.count("duplicates", -len(rows))  # counted as duplicates when planned; now rejected
                for row in rows:
                    job.reject(row.row, [FieldError("row", f"{conflict.detail} Run the import again.")])
                continue
        job.count("updated")
    leads = [(lead, created_at) for lead, created_at in new_leads if lead.account_id not in failed_accounts]
    if not job.dry_run:
        store.write_new(creates, leads, access_reasons)
        # Report counters of the new leads (one UpdateItem per day and scope touched); a crash
        # between the two writes is what `make rebuild-reports` repairs.
        stats.apply(job.org_id, counters.combine(counters.lead_counts(lead) for lead, _ in leads))
    job.count("accounts_created", len(creates))
    job.count("leads_created", len(leads))
    job.count("created", len(creates) if job.import_type == "accounts" else len(leads))
