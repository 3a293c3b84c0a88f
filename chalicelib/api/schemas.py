"""Response shapes of the API (documented in /openapi.json and used to serialise responses)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.accounts import AccountKind, JourneyStage, Risk
from chalicelib.domain.settings import OrgSettings


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: str
    updated_at: str
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


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class SettingsOut(OrgSettings):
    version: int
    updated_at: str | None


class Health(BaseModel):
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
    current_version: int | None = None


class ImportIssue(BaseModel):
    row: int
    field: str
    message: str


class ImportColumn(BaseModel):
    column: str
    field: str
    hint: str | None = Field(
        default=None, description='how the file writes it, decided from its first rows: "," or "." (decimal), day_first'
    )


class ImportOut(BaseModel):
    """A CSV import job. ``created`` counts accounts (type=accounts) or leads (type=leads);
    ``duplicates`` counts rows merged into another row or an existing account."""

    id: str
    type: str
    status: str
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
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    version: int


class ImportUploadOut(BaseModel):
    import_id: str
    upload_url: str
    method: str
    headers: dict[str, str]
    expires_in: int
    max_bytes: int
    job: ImportOut
