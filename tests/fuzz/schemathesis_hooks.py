"""Loaded by the schemathesis CLI (``SCHEMATHESIS_HOOKS=tests.fuzz.schemathesis_hooks``) that
tests/fuzz/test_schemathesis.py runs against the local stack: one more check, and real ids.

- ``problem_json_on_errors``: every 4xx and 5xx is ``application/problem+json`` with the RFC 9457
  members and its own status (the confirmation page may answer its errors as an HTML page instead).
- Every other request of an operation with path parameters (or the confirmation token) gets the
  ids of the records the test seeded (``TAWASUL_FUZZ_IDS``): generated ids alone only ever reach
  the 404 of a record that does not exist, never the validation of a change to one that does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import schemathesis

PAGE_OPERATIONS = {"GET /orders/{order_id}/confirm", "POST /orders/{order_id}/confirm"}
_calls: Counter[str] = Counter()


def _seeded() -> dict[str, Any]:
    return dict(json.loads(os.environ.get("TAWASUL_FUZZ_IDS") or "{}"))


@schemathesis.check
def problem_json_on_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    status = response.status_code
    if status < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if case.operation.label in PAGE_OPERATIONS and content_type.startswith("text/html"):
        return None
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"A {status} answered {content_type or 'no Content-Type'}, not application/problem+json")
    body = response.json()
    missing = {"type", "title", "status", "detail"} - set(body if isinstance(body, dict) else ())
    if missing:
        raise AssertionError(f"The problem lacks {sorted(missing)}")
    if body["status"] != status:
        raise AssertionError(f"The problem says status {body['status']} on a {status} response")
    return None


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    label = case.operation.label
    _calls[label] += 1
    if _calls[label] % 2:  # the odd calls keep what was generated
        return
    seeded = _seeded()
    ids = seeded.get("ids", {})
    if case.path_parameters:
        by_operation = seeded.get("by_operation", {}).get(label, {})
        for name in case.path_parameters:
            if name in by_operation or name in ids:
                case.path_parameters[name] = by_operation.get(name, ids.get(name))
    token = seeded.get("confirmation_token")
    if token and label == "GET /orders/{order_id}/confirm" and isinstance(case.query, dict):
        case.query["token"] = token
    if token and label == "POST /orders/{order_id}/confirm" and isinstance(case.body, dict):
        case.body["token"] = token
