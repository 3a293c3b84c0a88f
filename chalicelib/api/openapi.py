"""The OpenAPI 3.1 document, generated from the registered routes and their pydantic models."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from chalicelib.api.http import (
    CSV_BODY,
    CSV_MEDIA_TYPES,
    FORM_BODY,
    IF_MATCH,
    JSON_BODY,
    LIST_PARAMS,
    MAX_IDEMPOTENCY_KEY,
    ROUTES,
    RouteSpec,
)
from chalicelib.api.schemas import Problem

REF = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "Malformed JSON, CSV or parameter",
    401: "Missing, invalid or expired token",
    403: "Not allowed for this role",
    404: "Not found, or not visible to you",
    409: "Conflict: stale version, duplicate, illegal state change or reused Idempotency-Key",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Valid JSON that breaks a rule",
    410: "The confirmation link expired",
    503: "A dependency or a secret is not available",
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    for q in (*spec.query, *(LIST_PARAMS if spec.paginated else ())):
        params.append(
            {"name": q.name, "in": "query", "required": q.required, "description": q.description, "schema": q.schema}
        )
    if spec.method == "POST" and not spec.public:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "repeat a POST safely: same key and body return the first response",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY, "pattern": r"\S"},
            }
        )
    if spec.method == "PATCH":
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "the version the change is based on (alternative to the body's version)",
                "schema": {"type": "string", "pattern": f"^{IF_MATCH.pattern}$"},
            }
        )
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower()).strip('_') or 'root'}",
        "tags": list(spec.tags),
        "parameters": params,
    }
    if spec.body == CSV_BODY:
        csv = {"schema": {"type": "string", "contentMediaType": "text/csv", "minLength": 1}}
        op["requestBody"] = {"required": True, "content": dict.fromkeys(CSV_MEDIA_TYPES, csv)}
    elif spec.body == FORM_BODY:
        form = {
            "type": "object",
            "required": ["token", "action"],
            "properties": {"token": {"type": "string"}, "action": {"type": "string", "enum": ["confirm", "cancel"]}},
        }
        op["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}, "application/json": {"schema": form}},
        }
    elif spec.body == JSON_BODY:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    elif isinstance(spec.body, type):
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(spec.body, components, "validation")}},
        }
    ok: dict[str, Any] = {"description": "OK" if spec.status != 201 else "Created"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec.response, components, "serialization")}}
    responses: dict[str, Any] = {str(spec.status): ok}
    problem = {"application/problem+json": {"schema": _schema(Problem, components, "serialization")}}
    statuses = set(spec.errors)
    if not spec.public:
        statuses.add(401)
    if spec.body is not None:
        statuses |= {400, 413, 415, 422}
    if spec.paginated:
        statuses |= {400, 422}
    if spec.method == "PATCH":
        statuses.add(422)  # a malformed If-Match
    if "{" in spec.path:
        statuses.add(404)
    if spec.method == "POST" and not spec.public:
        statuses |= {409, 422}  # a reused or malformed Idempotency-Key
    for status in sorted(statuses):
        responses[str(status)] = {"description": _ERROR_TEXT.get(status, "Error"), "content": problem}
    op["responses"] = responses
    if not spec.public:
        op["security"] = [{"bearer": []}]
    return op


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tawasul sales CRM",
            "version": "1.0.0",
            "description": "Serverless sales-CRM backend. Errors are application/problem+json (RFC 9457).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
