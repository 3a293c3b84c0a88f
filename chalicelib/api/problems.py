"""RFC 9457 problem details: the single place where errors become HTTP responses."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.domain import errors

PROBLEM_JSON = "application/problem+json"
JSON = "application/json; charset=utf-8"

# (status, slug, title) per domain error class; subclasses first.
_MAPPING: list[tuple[type[errors.DomainError], int, str, str]] = [
    (errors.InvalidTransition, 409, "invalid-transition", "Transition not allowed"),
    (errors.Conflict, 409, "conflict", "Conflict with the current state"),
    (errors.NotFound, 404, "not-found", "Not found"),
    (errors.ValidationFailed, 422, "validation-failed", "The request breaks validation rules"),
    (errors.MalformedRequest, 400, "malformed-request", "Malformed request"),
    (errors.Unauthenticated, 401, "unauthenticated", "Authentication required"),
    (errors.Forbidden, 403, "forbidden", "Not allowed for your role"),
    (errors.PayloadTooLarge, 413, "payload-too-large", "Request body too large"),
    (errors.UnsupportedMediaType, 415, "unsupported-media-type", "Unsupported media type"),
    (errors.Unavailable, 503, "unavailable", "Service unavailable"),
]

# Titles for statuses produced outside our views (Chalice's own 404/405/415, API Gateway ...).
_BY_STATUS = {status: (slug, title) for _, status, slug, title in reversed(_MAPPING)}
_BY_STATUS.update(
    {
        404: ("not-found", "Not found"),
        405: ("method-not-allowed", "Method not allowed"),
        500: ("internal-error", "Internal server error"),
        400: ("malformed-request", "Malformed request"),
    }
)


def problem_type(slug: str) -> str:
    return f"urn:tawasul:problem:{slug}"


def problem_response(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def from_error(error: errors.DomainError) -> Response:
    for cls, status, slug, title in _MAPPING:
        if isinstance(error, cls):
            extra = dict(error.extra)
            if isinstance(error, errors.ValidationFailed):
                extra["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
            headers = {"WWW-Authenticate": 'Bearer realm="tawasul"'} if status == 401 else None
            if isinstance(error, errors.Unavailable):
                headers = {"Retry-After": str(error.retry_after_seconds)}
            return problem_response(status, slug, title, error.detail, headers, **extra)
    raise TypeError(f"unmapped domain error {type(error).__name__}")  # a programming error


def from_status(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    slug, title = _BY_STATUS.get(status, ("error", "Error"))
    return problem_response(status, slug, title, detail, headers)
