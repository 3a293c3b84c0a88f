"""Import jobs: the queue worker entry point and the sweeper that resumes stalled imports.

The import service is imported inside each function: only these jobs need it, and every other
Lambda (and every HTTP cold start) would otherwise load it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def handle_message(body: str, remaining_ms: Callable[[], int] | None = None) -> list[str]:
    """One message of the import queue (S3 ObjectCreated event or continuation)."""
    from chalicelib.services import imports

    return imports.handle_queue_message(body, remaining_ms)


def resume_stalled_imports() -> dict[str, Any]:
    """Queue a continuation for each running import with no progress for a while; fail old ones
    (scheduled in chalicelib/jobs/__init__.py)."""
    from chalicelib.services import imports

    return imports.resume_stalled_imports()
