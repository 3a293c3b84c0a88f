"""/imports: CSV imports of accounts and leads (inline up to 4.5 MB, or a presigned S3 upload)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import CSV_BODY, Call, QueryParam, Result, endpoint
from chalicelib.api.presenters import import_out
from chalicelib.api.schemas import ImportOut, ImportUploadOut
from chalicelib.config import environment
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.imports.columns import IMPORT_TYPES, parse_mapping
from chalicelib.domain.imports.job import ImportOptions
from chalicelib.domain.imports.reading import encoding_name
from chalicelib.domain.jsontext import parse_json

if TYPE_CHECKING:  # the routes import the service when called: it pulls in CSV reading, charset
    # detection and the import persistence, which no other route needs at cold start
    pass

bp = Blueprint(__name__)
TAGS = ["imports"]

OPTIONS = (
    QueryParam(
        "type",
        "what each row describes: accounts, or leads (a deal plus its account)",
        {"type": "string", "enum": ["accounts", "leads"]},
        required=True,
    ),
    QueryParam(
        "mapping",
        'JSON object overriding column recognition, e.g. {"Mobile No": "phone", "Ref": "custom", "Junk": "ignore"}; '
        "also accepted as the X-Import-Mapping header",
        {"type": "string"},
    ),
    QueryParam("dry_run", "validate and report without writing anything", {"type": "boolean", "default": False}),
    QueryParam(
        "encoding",
        "the file's encoding when detection cannot tell (e.g. windows-1250 for a Czech file that also reads "
        "as Windows-1252); detected by default",
        {"type": "string", "examples": ["utf-8", "utf-16", "windows-1256", "windows-1252", "windows-1250"]},
    ),
)


def _options(call: Call) -> ImportOptions:
    mapping = call.query.get("mapping") or call.headers.get("x-import-mapping")
    return options(call.query.get("type"), mapping, call.query.get("dry_run"), call.query.get("encoding"))


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
            parsed = parse_mapping(parse_json(mapping))
        except ValueError:
            raise ValidationFailed.single("mapping", 'must be JSON, e.g. {"Mobile No": "phone"}')
    flag = (dry_run or "false").strip().lower()
    if flag not in ("true", "false", "1", "0", ""):
        raise ValidationFailed.single("dry_run", "must be true or false")
    return ImportOptions(import_type, parsed, flag in ("true", "1"), codec)  # type: ignore[arg-type]


@endpoint(
    bp,
    "/imports",
    "POST",
    summary="Import a CSV file sent as the body (text/csv, at most 4.5 MB); 202 with the job, often already completed",
    tags=TAGS,
    body=CSV_BODY,
    response=ImportOut,
    status=202,
    query=OPTIONS,
)
def post_import(call: Call) -> Result:
    from chalicelib.services import imports

    job = imports.start_inline(call.principal, call.raw_body, _options(call))
    return Result(import_out(job), 202, {"Location": f"/imports/{job.id}"})


@endpoint(
    bp,
    "/imports/uploads",
    "POST",
    summary="Start an import of a large file (up to max_bytes, 100 MB by default): PUT the file to upload_url; "
    "the upload starts the job",
    tags=TAGS,
    response=ImportUploadOut,
    status=201,
    query=OPTIONS,
)
def post_upload(call: Call) -> Result:
    from chalicelib.services import imports

    job, url, expires_in = imports.create_upload(call.principal, _options(call))
    body = ImportUploadOut(
        import_id=job.id,
        upload_url=url,
        method="PUT",
        headers={"Content-Type": "text/csv"},
        expires_in=expires_in,
        max_bytes=environment().max_upload_bytes,
        job=import_out(job),
    )
    return Result(body, 201, {"Location": f"/imports/{job.id}"})


@endpoint(bp, "/imports/{import_id}", summary="Progress and report of an import", tags=TAGS, response=ImportOut)
def get_import(call: Call) -> ImportOut:
    from chalicelib.services import imports

    return import_out(imports.get_import(call.principal, call.path["import_id"]))
