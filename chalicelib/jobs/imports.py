"""Import jobs: the queue worker entry point and the sweeper that resumes stalled imports.

The import service is imported inside each function: only these jobs need it, and every other
Lambda (and every HTTP cold start) would otherwise load it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.observability import logger
from chalicelib.persistence import keys


def imports_in_message(body: str) -> list[tuple[str, str]]:
    """The (organisation, import id) pairs one message of the import queue asks to work on: an S3
    ObjectCreated event for an upload, or a continuation the worker sent itself. Anything else
    (another prefix, S3's test event, junk) is logged and skipped."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        logger.warning("import queue: not JSON", extra={"body": body[:200]})
        return []
    if not isinstance(message, dict):
        return []
    targets: list[tuple[str, str]] = []
    if isinstance(message.get("tawasul_import"), dict):
        ref = message["tawasul_import"]
        targets.append((str(ref.get("org")), str(ref.get("id"))))
    records = message.get("Records")
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3")
        obj = s3.get("object") if isinstance(s3, dict) else None
        key = unquote_plus(str(obj.get("key", ""))) if isinstance(obj, dict) else ""
        parsed = keys.parse_upload_object(key)
        if parsed is None:
            logger.warning("import queue: object outside the uploads prefix", extra={"key": key})
            continue
        targets.append(parsed)
    return targets


def handle_message(body: str, remaining_ms: Callable[[], int] | None = None) -> list[str]:
    """One message of the import queue; returns the import ids it worked on."""
    from chalicelib.services import imports

    done = []
    for org_id, import_id in imports_in_message(body):
        imports.continue_import(org_id, import_id, remaining_ms)
        done.append(import_id)
    return done


def resume_stalled_imports() -> dict[str, Any]:
    """Queue a continuation for each running import with no progress for a while; fail old ones
    (scheduled in chalicelib/jobs/__init__.py)."""
    from chalicelib.services import imports

    return imports.resume_stalled_imports()
