"""Response shapes of the API (documented in /openapi.json and used to serialise responses)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.accounts import AccountKind, JourneyStage, Risk
from chalicelib.domain.imports.job import JobStatus
from chalicelib.domain.model import Model
from chalicelib.domain.settings import OrgSettings
from chalicelib.domain.validation import Omittable

# An RFC 3339 UTC time as the API writes it (``format_rfc3339``).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-11-22T09:30:00Z"])]
ImportType = Literal["accounts", "leads"]


class Out(Model):
    """A response shape. Every field is always sent (null where the type allows it), so the
    document marks them all required, including those with a Python default."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Resource(Out):
    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class AccountOut(Resource):
    name: str
    kind: AccountKind
    company: str
    title: str
    emails: list[str]
    phones: list[str]
    address: dict[str, str]
    tags: list[str]
    owner_id: str
    journey_stage: JourneyStage
    risk: Risk
    contact_opt_out: bool
    notes: str
    custom_fields: dict[str, str]
    source: str
    referred_by_account_id: str | None
    language: str | None = None


class AccountPage(Out):
    items: list[AccountOut]
    next_cursor: str | None


class SettingsOut(OrgSettings):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    version: int = Field(description="0 until the settings are first saved (defaults apply)")
    updated_at: Timestamp | None


class Health(Out):
    status: Literal["ok"]


class OpenApiDocument(Model):
    """An OpenAPI 3.1 document (this one)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


class FieldProblem(Model):
    field: str = Field(description="dotted path of the field, e.g. emails[0] or follow_up.coupon.percent_off")
    message: str


class Problem(Model):
    """RFC 9457 problem details; some errors add members (``current_version`` on a stale version)."""

    type: str
    title: str
    status: int
    detail: str
    errors: Omittable[list[FieldProblem]] = Field(default=None, description="on 422: one entry per field")
    current_version: Omittable[int] = Field(default=None, description="on a stale version (409)")


class ImportIssue(Out):
    row: int
    field: str
    message: str


class ImportColumn(Out):
    column: str
    field: str
    hint: str | None = Field(
        default=None, description='how the file writes it, decided from its first rows: "," or "." (decimal), day_first'
    )


class ImportOut(Out):
    """A CSV import job. ``created`` counts accounts (type=accounts) or leads (type=leads);
    ``duplicates`` counts rows merged into another row or an existing account."""

    id: str
    type: ImportType
    status: JobStatus
    dry_run: bool
    total_rows: int | None
    processed_rows: int
    created: int
    updated: int
    duplicates: int
    rejected: int
    accounts_created: int
    leads_created: int
    leads_existing: int
    errors: list[ImportIssue]
    errors_truncated: bool
    warnings: list[ImportIssue]
    columns: list[ImportColumn]
    mapping: dict[str, str] = Field(
        description="the mapping used, one entry per column: send it back as ?mapping= to import the file the same way"
    )
    size_bytes: int | None
    processed_bytes: int
    failure: str | None
    created_at: Timestamp
    updated_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    version: int


class ErasureOut(Out):
    """An accepted erasure: the account is gone from every read at once; what hangs off it follows
    within minutes (the background worker)."""

    account_id: str
    status: Literal["erasing"]


class ImportUploadOut(Out):
    import_id: str
    upload_url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_in: int
    max_bytes: int
    job: ImportOut
