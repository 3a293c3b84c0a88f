"""The OpenAPI 3.1 document, generated from the registered routes and their pydantic models."""

from __future__ import annotations

import json
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
from chalicelib.auth import LEEWAY_SECONDS

REF = "#/components/schemas/{model}"
BEARER = "bearer"
SERVERS = [
    {"url": "http://127.0.0.1:8000", "description": "the local stack (make run)"},
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "a deployed stage (infra/)",
        "variables": {
            "api_id": {"default": "abcdefghij", "description": "the REST API's id (the stack's outputs)"},
            "region": {"default": "me-south-1", "description": "the AWS region the stack was deployed to"},
            "stage": {"default": "api", "description": "API Gateway's stage name"},
        },
    },
]
PATCH_VERSION = {
    "type": "integer",
    "minimum": 0,
    "description": "the version you edited (a stale one is 409 with current_version); clients that send it "
    "as If-Match instead may leave it out",
}
# What a page route (the confirmation page) answers a browser.
PAGE = {"text/html": {"schema": {"type": "string"}}}
_ERROR_TEXT = {
    400: "Malformed JSON, CSV or parameter",
    401: f"Missing, invalid or expired token (accepted up to {LEEWAY_SECONDS} s past its exp, no longer)",
    403: "Not allowed for this role",
    404: "Not found, or not visible to you",
    409: "Conflict: stale version, duplicate, illegal state change or reused Idempotency-Key",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Valid JSON that breaks a rule",
    410: "The confirmation link expired",
    503: "The store is throttled or failing, or a secret is not available: retry after Retry-After seconds",
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, _without_defaults(definition))
    components.setdefault(model.__name__, _without_defaults(schema))
    return {"$ref": REF.format(model=model.__name__)}


def _without_defaults(schema: Any) -> Any:
    """Moves every property's ``default`` into its description.

    A default is the server's business (it applies it to what a client leaves out), but
    openapi-typescript types a property with a default as required, so a generated TypeScript
    client would have to send ``note: ""`` and ``version: null`` with every request. Response
    fields are all required anyway (``schemas.Out``), so nothing is lost there.
    """
    if isinstance(schema, list):
        return [_without_defaults(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _without_defaults(value) for key, value in schema.items()}
    for name, prop in out.get("properties", {}).items():
        if isinstance(prop, dict) and "default" in prop:
            default = prop.pop("default")
            if default is not None and default != [] and default != {}:
                text = f"Default: {json.dumps(default, ensure_ascii=False)}."
                prop["description"] = f"{prop['description']} {text}" if prop.get("description") else text
            out["properties"][name] = prop
    return out


def _require_version(name: str, components: dict[str, Any]) -> None:
    """A PATCH body's ``version`` (http.py takes it from the body or, failing that, If-Match):
    documented as required, so a generated client always sends the version it edited."""
    schema = components[name]
    if "version" in schema.get("properties", {}):
        schema["properties"]["version"] = PATCH_VERSION
        schema["required"] = sorted({*schema.get("required", []), "version"})


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    for q in (*spec.query, *(LIST_PARAMS if spec.paginated else ())):
        schema = dict(q.schema)
        if schema.get("type") == "string" and "enum" not in schema:
            schema.setdefault("minLength", 1)  # an empty value is a 422, never read as absent
        params.append(
            {"name": q.name, "in": "query", "required": q.required, "description": q.description, "schema": schema}
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
        # The file's bytes as they are (any encoding; the server detects it): a binary string,
        # which generators turn into a file/bytes/Blob argument (openapi-python-client reads only
        # the application/octet-stream entry; the others are what browsers and Excel label a .csv).
        csv = {"schema": {"type": "string", "format": "binary", "contentMediaType": "text/csv", "minLength": 1}}
        op["requestBody"] = {
            "required": True,
            "description": "the CSV file (UTF-8 with or without BOM, UTF-16, Windows-1256/1252 ...)",
            "content": dict.fromkeys(CSV_MEDIA_TYPES, csv),
        }
    elif spec.body == FORM_BODY:
        form = {
            "type": "object",
            "required": ["token", "action"],
            "properties": {"token": {"type": "string"}, "action": {"type": "string", "enum": ["confirm", "cancel"]}},
        }
        # The page's HTML form sends this; the same fields as a JSON object are accepted too (not
        # listed as a second content type: openapi-python-client 0.29 generates a client that does
        # not import for a body with two content types).
        op["requestBody"] = {
            "required": True,
            "description": "an HTML form (application/x-www-form-urlencoded); the same fields as JSON work too",
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        }
    elif spec.body == JSON_BODY:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    elif isinstance(spec.body, type):
        schema = _schema(spec.body, components, "validation")
        if spec.method == "PATCH":
            _require_version(spec.body.__name__, components)
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    ok: dict[str, Any] = {"description": "OK" if spec.status != 201 else "Created"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec.response, components, "serialization")}}
    if spec.page:
        ok["content"] = {**PAGE, "application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    problem = {"application/problem+json": {"schema": _schema(Problem, components, "serialization")}}
    statuses = set(spec.errors)
    if not spec.public:
        statuses.add(401)
    if spec.body is not None:
        statuses |= {400, 413, 415, 422}
    if spec.paginated:
        statuses |= {400, 422}
    if spec.query:
        statuses.add(422)  # an empty or invalid query value
    if spec.method == "PATCH":
        statuses.add(422)  # a malformed If-Match
    if "{" in spec.path:
        statuses.add(404)
    if spec.method == "POST" and not spec.public:
        statuses |= {409, 422}  # a reused or malformed Idempotency-Key
    if not spec.public:
        statuses.add(503)  # the store throttled or failed: retry after the Retry-After seconds
    # A page's own errors are pages too (problem+json to a request that accepts only JSON); the
    # request pipeline's 400/413/415 are problem+json whatever was asked for.
    page_errors = set(spec.errors) | {422} if spec.page else set()
    for status in sorted(statuses):
        content = {**problem, **PAGE} if status in page_errors else problem
        responses[str(status)] = {"description": _ERROR_TEXT.get(status, "Error"), "content": content}
        if status == 503:
            responses[str(status)]["headers"] = {
                "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
            }
    op["responses"] = responses
    if spec.public:
        op["security"] = []  # the root requirement (a bearer JWT) does not apply
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
            "description": (
                "Serverless sales-CRM backend. Errors are application/problem+json (RFC 9457). "
                "A query parameter sent with an empty value (?stage=) is a 422 naming it: leave it out instead."
            ),
            "license": {"name": "Proprietary: all rights reserved"},
        },
        "servers": SERVERS,
        "security": [{BEARER: []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        f"A JWT naming sub, org (each 1-128 of A-Z a-z 0-9 _ . : -) and role; accepted up to "
                        f"{LEEWAY_SECONDS} s past its exp (clock leeway), never later."
                    ),
                }
            },
        },
    }
