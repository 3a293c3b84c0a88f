"""A Python client generated from /openapi.json by openapi-python-client builds and round-trips
every operation, in process: an httpx transport hands each request to ``chalice.test.Client``
(moto behind it), so no server runs. The example requests live in ``tests/openapi/examples.py``
(one line per operation; a route without one fails ``test_every_operation_has_an_example``)."""

from __future__ import annotations

import enum
import importlib
import io
import json
import pkgutil
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator

from tests.openapi.examples import (
    EXAMPLES,
    ROLE,
    USER,
    missing_examples,
    operations,
    pick,
    substitute,
    success_status,
)

PACKAGE = "tawasul_client"
# The generator reads only the application/octet-stream entry of the CSV body; these other labels
# of a CSV file (what browsers and Excel send) are the only warnings it may give.
TOLERATED_WARNINGS = {
    f"Unsupported content type {t}" for t in ("text/csv", "application/csv", "application/vnd.ms-excel", "text/plain")
}


@pytest.fixture
def document(api) -> dict[str, Any]:
    reply = api.call("GET", "/openapi.json", auth=False)
    assert reply.status == 200
    return reply.json


def test_every_operation_has_an_example(document):
    assert missing_examples(document) == [], "add a line per operation to tests/openapi/examples.py"
    assert {op for op, _ in EXAMPLES} <= set(operations(document)), "an example names no operation"


def _generate(doc: dict[str, Any], where: Path) -> tuple[types.ModuleType, str]:
    (where / "openapi.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (where / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")  # no ruff formatting: faster
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run(
        [str(generator), "generate", "--path", "openapi.json", "--meta", "none", "--output-path", PACKAGE,
         "--config", "config.yaml"],
        cwd=where, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    sys.path.insert(0, str(where))
    try:
        package = importlib.import_module(PACKAGE)
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)  # every generated module imports: the client builds
    finally:
        sys.path.remove(str(where))
    return package, output


@pytest.fixture
def generated(document, tmp_path) -> Iterator[tuple[types.ModuleType, str]]:
    yield _generate(document, tmp_path)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_the_generator_reads_the_whole_document(generated):
    _, output = generated
    warnings = {line.strip() for line in output.splitlines() if line.startswith("Unsupported") or "WARNING" in line}
    unexpected = {w for w in warnings if not w.startswith("WARNING parsing POST /imports")} - TOLERATED_WARNINGS
    assert not unexpected, output


def _transport(api) -> httpx.MockTransport:
    def forward(request: httpx.Request) -> httpx.Response:
        reply = api.client.http.request(
            request.method, request.url.raw_path.decode("ascii"), headers=dict(request.headers), body=request.content
        )
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.body)

    return httpx.MockTransport(forward)


def _python_type(hint: Any) -> Any:
    """The non-Unset, non-None member of a parameter's type."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) else (hint,)
    return next(m for m in members if m is not type(None) and getattr(m, "__name__", "") != "Unset")


def _argument(hint: Any, value: Any, package: types.ModuleType) -> Any:
    kind = _python_type(hint)
    if kind is package.types.File:
        return package.types.File(payload=io.BytesIO(value), file_name="rows.csv", mime_type="text/csv")
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if hasattr(kind, "from_dict"):
        return kind.from_dict(value)
    if kind is date and isinstance(value, str):  # a format: date parameter (report periods)
        return date.fromisoformat(value)
    return value


def _same(parsed: Any, sent: Any) -> bool:
    """The generated model's to_dict() is the server's JSON (times compared as instants)."""
    if isinstance(parsed, dict) and isinstance(sent, dict):
        return parsed.keys() == sent.keys() and all(_same(parsed[k], sent[k]) for k in sent)
    if isinstance(parsed, list) and isinstance(sent, list):
        return len(parsed) == len(sent) and all(map(_same, parsed, sent))
    if isinstance(parsed, str) and isinstance(sent, str) and parsed != sent:
        try:
            return datetime.fromisoformat(parsed) == datetime.fromisoformat(sent)
        except ValueError:
            return False
    return bool(parsed == sent)


def _check_schema(doc: dict[str, Any], operation: dict[str, Any], status: int, body: Any) -> None:
    content = operation["responses"][str(status)].get("content")
    if content is None:
        assert body is None
        return
    schema = {**content["application/json"]["schema"], "components": doc["components"]}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(body)


def test_the_generated_client_round_trips_every_operation(api, document, generated):
    package, _ = generated
    ops = operations(document)
    modules = {
        m.name.rsplit(".", 1)[-1]: importlib.import_module(m.name)
        for m in pkgutil.walk_packages(package.api.__path__, f"{PACKAGE}.api.")
        if not m.ispkg
    }
    common = {"base_url": "http://tawasul.test", "httpx_args": {"transport": _transport(api)}}
    public = package.Client(**common)
    signed = package.AuthenticatedClient(token=api.token(USER, "org-roundtrip", ROLE), **common)
    saved: dict[str, Any] = {}
    for operation_id, example in EXAMPLES:
        method, path, operation = ops[operation_id]
        call = modules[operation_id].sync_detailed
        hints = typing.get_type_hints(call)
        names = {p["name"]: p["in"] for p in operation.get("parameters", [])}
        kwargs: dict[str, Any] = {"client": public if operation.get("security") == [] else signed}
        for name, where in names.items():
            python_name = name if name in hints else f"{name}_"
            if where == "path":
                kwargs[python_name] = substitute(example.path.get(name, f"{{{name}}}"), saved)
            elif where == "query" and name in example.query:
                kwargs[python_name] = _argument(hints[python_name], substitute(example.query[name], saved), package)
        if example.body is not None:
            kwargs["body"] = _argument(hints["body"], substitute(example.body, saved), package)
        response = call(**kwargs)
        expected = success_status(operation)
        label = f"{operation_id} ({method} {path})"
        assert response.status_code == expected, (label, response.content[:2000])
        body = json.loads(response.content) if response.content else None
        _check_schema(document, operation, expected, body)
        if body is not None:
            assert not isinstance(response.parsed, package.models.Problem), label
            assert response.parsed is not None, label
            parsed = response.parsed.to_dict() if hasattr(response.parsed, "to_dict") else response.parsed
            assert _same(parsed, body), (label, parsed, body)
        for name, dotted in example.save.items():
            saved[name] = pick(body, dotted)
