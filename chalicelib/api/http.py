"""The request pipeline every route shares, in one place.

``endpoint`` registers a view on a blueprint and wraps it: authenticate, enforce the body limit
and content type, parse JSON (400) and validate it (422), run POSTs through the idempotency store
when an ``Idempotency-Key`` is sent, translate domain errors to problem+json, and record the
route for the OpenAPI document.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from chalice import Blueprint, Response
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from chalicelib.api import idempotency, problems
from chalicelib.auth import principal_from_header
from chalicelib.config import environment
from chalicelib.domain.errors import (
    DomainError,
    FieldError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from chalicelib.domain.jsontext import parse_json
from chalicelib.domain.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from chalicelib.domain.principal import IDENTIFIER, Principal
from chalicelib.domain.validation import parse_model

# Server-chosen ids (and coupon codes) never hold anything else; a path value that does cannot
# name a stored record, and an oversized one would break DynamoDB's key limits.
PATH_VALUE = IDENTIFIER
# ASCII digits only, and few of them: str.isdigit() also accepts "²", which int() refuses, and
# int() refuses strings of more than 4300 digits.
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
# A version as an entity tag: 3, "3" or W/"3" (the OpenAPI document states the same pattern).
IF_MATCH = re.compile(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*')
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
MAX_LIMIT = MAX_PAGE_SIZE
MAX_IDEMPOTENCY_KEY = 255

JSON_BODY = "json"
CSV_BODY = "csv"
FORM_BODY = "form"  # an HTML form (application/x-www-form-urlencoded) or the same fields as JSON
# What a CSV upload may be labelled (browsers send Excel's type for .csv on Windows). Every one is
# registered as a binary type in app.py, so API Gateway hands the bytes over untouched
# (Windows-1256, UTF-16); a body of any other type, or of none, would arrive re-encoded as text.
CSV_MEDIA_TYPES = ("text/csv", "application/csv", "application/vnd.ms-excel", "application/octet-stream", "text/plain")


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


LIST_PARAMS = (
    QueryParam(
        "limit",
        f"page size (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    ),
    QueryParam("cursor", "the next_cursor of the previous page", {"type": "string"}),
)


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | str | None
    response: type[BaseModel] | None
    status: int
    public: bool
    query: tuple[QueryParam, ...]
    paginated: bool
    errors: tuple[int, ...]
    page: bool = False  # answers an HTML page (its errors too), or JSON to a request that accepts only JSON


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """What a view receives: the verified caller and the parsed request."""

    principal: Principal
    path: dict[str, str]
    query: dict[str, str]
    headers: Any
    body: Any
    raw_body: bytes
    content_type: str

    def page_args(self) -> tuple[int, str | None]:
        raw = self.query.get("limit")
        limit = DEFAULT_LIMIT
        if raw is not None:
            if not WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
                raise ValidationFailed.single("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
            limit = int(raw)
        return limit, self.query.get("cursor") or None


@dataclass
class Result:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


View = Callable[[Call], Any]


def endpoint(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    summary: str,
    tags: Sequence[str] = (),
    body: type[BaseModel] | str | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    public: bool = False,
    query: Sequence[QueryParam] = (),
    paginated: bool = False,
    errors: Sequence[int] = (),
    page: bool = False,
) -> Callable[[View], View]:
    spec = RouteSpec(
        path, method, summary, tuple(tags), body, response, status, public, tuple(query), paginated, tuple(errors), page
    )

    def register(view: View) -> View:
        def handler(**path_params: str) -> Response:
            try:
                return _handle(bp, spec, view, path_params)
            except DomainError as error:
                return problems.from_error(error)

        handler.__name__ = view.__name__
        bp.route(path, methods=[method], content_types=["*/*"])(handler)
        ROUTES.append(spec)
        return view

    return register


def _handle(bp: Blueprint, spec: RouteSpec, view: View, path_params: dict[str, str]) -> Response:
    request = bp.current_request
    headers = request.headers
    settings = environment()
    principal = None if spec.public else principal_from_header(headers.get("authorization"), settings)
    if not all(PATH_VALUE.fullmatch(value) for value in path_params.values()):
        raise NotFound("Not found.")
    raw = _raw_body(request)
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    parsed: Any = None
    if spec.body is not None:
        if len(raw) > settings.max_body_bytes:
            raise PayloadTooLarge(
                f"The body is {len(raw)} bytes; at most {settings.max_body_bytes} are accepted here."
                + (" Use POST /imports/uploads for larger files." if spec.body == CSV_BODY else "")
            )
        parsed = _parse_body(spec.body, raw, content_type)
        if spec.method == "PATCH" and isinstance(parsed, BaseModel) and "version" in type(parsed).model_fields:
            # Every PATCH is based on a version: the body's, or else the If-Match header's.
            parsed.version = _expected_version(headers, parsed.version)  # type: ignore[attr-defined]
    call = Call(
        principal=principal,  # type: ignore[arg-type]  # public views never read it
        path=path_params,
        query=_query(request.query_params),
        headers=headers,
        body=parsed,
        raw_body=raw,
        content_type=content_type,
    )
    key = headers.get("idempotency-key")
    if spec.method == "POST" and key is not None and principal is not None:
        if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
            raise ValidationFailed.single("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        stored = idempotency.run_once(
            {
                "org": principal.org_id,
                "user": principal.user_id,
                "route": f"{spec.method} {spec.path.format(**path_params)}",
                "key": key,
                "request_hash": _request_hash(raw, call.query, call.headers),
            },
            lambda: _stored(view(call), spec.status),
            bp.lambda_context,
        )
    else:
        stored = _stored(view(call), spec.status)
    return _response(stored)


def _query(params: Any) -> dict[str, str]:
    """The query options, each once. An option sent empty (``?stage=``, ``?dry_run=``) is refused,
    never read as absent: a client that meant a value must not get a default silently."""
    if not params:
        return {}
    empty = [name for name in params if any(not value.strip() for value in params.getlist(name))]
    if empty:
        raise ValidationFailed(
            [FieldError(name, "must not be empty; leave the parameter out instead") for name in empty],
            detail=f"Empty query parameter: {', '.join(empty)}.",
        )
    return dict(params)


# Headers that change what a request does, like query options (the import mapping may come as either).
OPTION_HEADERS = ("x-import-mapping",)


def _request_hash(raw: bytes, query: dict[str, str], headers: Any) -> str:
    """What a repeat must match: the body and the options (``?type=`` picks what a POST creates,
    so another query or mapping under the same key is another request, a 409)."""
    options = sorted(query.items()) + [(name, headers.get(name)) for name in OPTION_HEADERS if headers.get(name)]
    digest = hashlib.sha256(raw)
    digest.update(b"\0" + json.dumps(options, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _expected_version(headers: Any, from_body: int | None) -> int | None:
    """The version a change was based on: the body's ``version`` or the If-Match header."""
    if from_body is not None:
        return from_body
    header = headers.get("if-match")
    if header is None:
        return None
    match = IF_MATCH.fullmatch(header)
    if match is None:
        raise ValidationFailed.single("If-Match", 'must carry the integer version, e.g. "3"')
    return int(match.group(1))


def _raw_body(request: Any) -> bytes:
    try:
        raw = request.raw_body
    except Exception:  # noqa: BLE001  Chalice raises bare errors on a body it cannot decode
        raise MalformedRequest("The request body could not be read.")
    return raw or b""


def _parse_form(raw: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequest("The form could not be read.")
    return dict(pairs)


def _parse_body(body_spec: type[BaseModel] | str, raw: bytes, content_type: str) -> Any:
    if body_spec == FORM_BODY and content_type == "application/x-www-form-urlencoded":
        return _parse_form(raw)
    if body_spec == FORM_BODY:
        body_spec = JSON_BODY
    if body_spec == CSV_BODY:
        if content_type not in CSV_MEDIA_TYPES:
            label = content_type or "without a Content-Type"
            raise UnsupportedMediaType(f"Send the CSV file as text/csv, not {label}.")
        return raw
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send JSON (application/json), not {content_type}.")
    if not raw.strip():
        raise MalformedRequest("The request needs a JSON body.")
    try:
        data = parse_json(raw)
    except ValueError as error:
        raise MalformedRequest(f"The body is not valid UTF-8 JSON: {error}.")
    if body_spec == JSON_BODY:
        if not isinstance(data, dict):
            raise ValidationFailed.single("body", "must be a JSON object")
        return data
    if not isinstance(data, dict):
        raise ValidationFailed.single("body", "must be a JSON object")
    assert isinstance(body_spec, type)
    return parse_model(body_spec, data)


def _stored(result: Any, default_status: int) -> dict[str, Any]:
    """A JSON-serialisable form of a view's result (what the idempotency store keeps)."""
    if not isinstance(result, Result):
        result = Result(result, default_status)
    return {"status": result.status, "body": to_jsonable_python(result.body), "headers": result.headers}


def _response(stored: dict[str, Any]) -> Response:
    body = stored["body"]
    headers = {"Content-Type": problems.JSON, **stored.get("headers", {})}
    if isinstance(body, str) and headers["Content-Type"].startswith("text/"):
        return Response(body=body, status_code=stored["status"], headers=headers)  # a page, as is
    if stored["status"] == 204:
        return Response(body="", status_code=204, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=stored["status"], headers=headers)


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
