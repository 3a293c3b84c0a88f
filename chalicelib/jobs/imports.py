"""Import jobs: the queue worker entry point and the sweeper that resumes stalled imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.jobs import register
from chalicelib.services import imports


def handle_message(body: str, remaining_ms: Callable[[], int] | None = None) -> list[str]:
    """One message of the import queue (S3 ObjectCreated event or continuation)."""
    return imports.handle_queue_message(body, remaining_ms)


@register("resume_stalled_imports", rate_minutes=5, sends_to_import_queue=True)
def resume_stalled_imports() -> dict[str, Any]:
    return imports.resume_stalled_imports()
