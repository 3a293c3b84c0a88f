"""The import job: what was asked, how far it got, and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.errors import FieldError
from chalicelib.domain.imports.columns import ImportType

JobStatus = Literal["queued", "running", "completed", "failed"]
Origin = Literal["inline", "upload"]

MAX_STORED_ERRORS = 500  # the job item stays far below DynamoDB's 400 KB
MAX_MESSAGE = 300

COUNTERS = ("created", "updated", "duplicates", "rejected", "accounts_created", "leads_created", "leads_existing")


@dataclass(frozen=True)
class ImportOptions:
    """What the caller asked of an import (the query options of POST /imports and /imports/uploads)."""

    import_type: ImportType
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    encoding: str = ""  # "" = detect


@dataclass
class ImportJob:
    id: str
    org_id: str
    owner_id: str
    owner_role: str
    import_type: ImportType
    origin: Origin
    created_at: datetime
    updated_at: datetime
    status: JobStatus = "queued"
    dry_run: bool = False
    object_key: str = ""
    checksum: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    encoding: str = ""  # the file's encoding as the importer named it; "" = detect
    csv_format: dict[str, Any] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    resume_offset: int = 0  # byte offset of the next unread record
    next_row: int = 2  # spreadsheet row number of that record (the header is row 1)
    processed_rows: int = 0
    total_rows: int | None = None
    size_bytes: int | None = None
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    failure: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: int = 0

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def fail(self, reason: str, at: datetime) -> None:
        self.status, self.failure, self.finished_at, self.updated_at = "failed", reason, at, at

    def count(self, name: str, by: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by

    def reject(self, row: int, errors: list[FieldError]) -> None:
        self.count("rejected")
        self._note(self.errors, row, errors)

    def warn(self, row: int, warnings: list[FieldError]) -> None:
        self._note(self.warnings, row, warnings)

    @staticmethod
    def _note(target: list[dict[str, Any]], row: int, errors: list[FieldError]) -> None:
        for error in errors:
            if len(target) >= MAX_STORED_ERRORS:
                return
            target.append({"row": row, "field": error.field, "message": error.message[:MAX_MESSAGE]})
