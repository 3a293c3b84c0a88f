"""Account erasure in the background: the work-queue messages that carry it and the sweeper that
queues again what was not finished (``DELETE /accounts/{id}`` only records the request).

The account service is imported inside each function, as for the import jobs."""

from __future__ import annotations

import json
from typing import Any


def erasure_in_message(body: str) -> tuple[str, str, str] | None:
    """(organisation, account id, due entry) of an erasure message of the work queue; None for
    any other message (an import's, junk: the import handler logs those)."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        return None
    ref = message.get("tawasul_erasure") if isinstance(message, dict) else None
    if not isinstance(ref, dict) or not all(isinstance(ref.get(k), str) for k in ("org", "id", "entry")):
        return None
    return ref["org"], ref["id"], ref["entry"]


def handle_message(body: str) -> bool:
    """One message of the work queue: True if it asked for an erasure (done now, or already)."""
    target = erasure_in_message(body)
    if target is None:
        return False
    from chalicelib.services import accounts

    accounts.finish_erasure(*target)
    return True


def resume_erasures() -> dict[str, Any]:
    """Queue again the erasures not finished by their moment (scheduled in chalicelib/jobs/__init__.py)."""
    from chalicelib.services import accounts

    return accounts.resume_erasures()
