"""schemathesis against ``/openapi.json`` of the running local stack (``scripts.local_stack`` in a
subprocess, its own moto), as part of ``make test``.

It runs the ``st`` CLI of the pinned schemathesis as a subprocess. The pytest integration is not
used: its lazy loader (``schemathesis.pytest.from_fixture``, the only one that can wait for a
stack a fixture starts) sets ``request.node._nodeid``, which pytest 9.2 no longer has, and the
eager one reads the document at collection time, before any stack runs.

What it checks, for every operation of the document, with a fixed seed and bounded examples:
- no 5xx (``not_a_server_error``);
- every status code, Content-Type, header and body is the one the document states
  (``status_code_conformance``, ``content_type_conformance``, ``response_headers_conformance``,
  ``response_schema_conformance``);
- every 4xx/5xx is problem+json with its own status (``problem_json_on_errors`` in
  ``schemathesis_hooks.py``; the confirmation page may answer an HTML page instead).
Phases: ``examples`` and ``fuzzing`` (``MAX_EXAMPLES`` random cases per operation, positive and
negative): about 700 requests, 2 minutes on a busy 2-core machine. ``coverage`` (schemathesis'
systematic boundary, type-violation and unsupported-method cases, about 1,200 requests with the
seeded ids, 4-5 minutes) is left to a deliberate run: ``TAWASUL_FUZZ_PHASES=examples,coverage,fuzzing
.venv/bin/python -m pytest tests/fuzz`` (it passed on this code; it found the TRACE and HTML-page
findings of tests/api/test_fuzz_findings.py). The ``stateful`` phase is off: it chains operations
through OpenAPI links, which the document does not declare; instead the records seeded below lend
their real ids to every other request (``schemathesis_hooks.before_call``).

Every operation of the document is tested; none is excluded (``EXCLUDED`` would name one with its
reason). Checks left out, with the reason:
- ``negative_data_rejection`` / ``positive_data_acceptance``: they judge a status by whether the
  generated data fits the schema, but the server rightly rejects schema-valid data that breaks a
  rule (a cod order without an address, an illegal stage move: 409/422) and the schema cannot say
  every rule;
- ``use_after_free``, ``ensure_resource_availability``: need the OpenAPI links of the stateful phase;
- ``ignored_auth``, ``missing_required_header``: the access matrix (tests/api/test_access_matrix.py)
  proves every route refuses a missing, expired, forged or oversized token, per operation;
- ``unsupported_method``, ``allow_header_conformance``: a method no route has is a 405/404 problem
  (``scripts/local_gateway.py``, tests/api/test_fuzz_findings.py) without an Allow header;
- ``object_level_authorization``: the access matrix again (other tenant, other rep).
Bugs it found are fixed with a regression test each in tests/api/test_fuzz_findings.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.local_stack_process import ROOT, running_stack
from tests.openapi.examples import EXAMPLES, operations, pick, substitute

pytestmark = pytest.mark.smoke

SECRET = "fuzz-secret-0123456789abcdef0123456789"
USER = "fuzz-admin"
SEED = 20261202
MAX_EXAMPLES = 15
PHASES = os.environ.get("TAWASUL_FUZZ_PHASES") or "examples,fuzzing"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "problem_json_on_errors",
]
# operationId -> why schemathesis leaves it out (each one is passed as --exclude-operation-id).
EXCLUDED: dict[str, str] = {}


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    with running_stack(jwt_secret=SECRET, table="tawasul-fuzz") as base:
        yield base


def _headers() -> dict[str, str]:
    token = jwt.encode({"sub": USER, "org": "fuzz", "role": "admin", "exp": int(time.time()) + 3600}, SECRET)
    return {"Authorization": f"Bearer {token}"}


def _seed(base: str) -> dict[str, Any]:
    """Walk tests/openapi/examples.py against the stack (every example but the DELETE) and keep the
    ids it made; add a pending order (its confirmation link) and an account for the DELETE."""
    doc = requests.get(f"{base}/openapi.json", timeout=30).json()
    ops = operations(doc)
    saved: dict[str, Any] = {"rep_id": USER}
    session = requests.Session()
    session.headers.update(_headers())

    def call(operation_id: str, body: Any = None, query: dict[str, Any] | None = None, **path: str) -> Any:
        method, template, _ = ops[operation_id]
        url = base + template.format(**{**saved, **path})
        kwargs: dict[str, Any] = {"params": query or {}, "timeout": 60}
        if isinstance(body, bytes):
            kwargs.update(data=body, headers={"Content-Type": "text/csv"})
        elif body is not None:
            kwargs["json"] = body
        r = session.request(method, url, **kwargs)
        assert r.status_code < 300, (operation_id, r.status_code, r.text[:500])
        return r.json() if r.content else None

    order_body: Any = None
    for operation_id, example in EXAMPLES:
        if operation_id == "delete_accounts_account_id":
            continue
        body = substitute(example.body, saved)
        path = {name: substitute(value, saved) for name, value in example.path.items()}
        reply = call(operation_id, body, substitute(example.query, saved), **path)
        for name, field in example.save.items():
            saved[name] = pick(reply, field)
        if operation_id == "post_orders":
            order_body = body
    pending = call("post_orders", order_body)
    link = call("get_orders_order_id", order_id=pending["id"])["confirmation"]["url"]
    doomed = call("post_accounts", {"name": "حساب للحذف"})
    ids = {name: saved[name] for name in ("account_id", "lead_id", "objection_id", "request_id", "order_id",
                                          "interaction_id", "import_id", "rep_id")}  # fmt: skip
    return {
        "ids": ids,
        "by_operation": {
            "DELETE /accounts/{account_id}": {"account_id": doomed["id"]},
            "GET /orders/{order_id}/confirm": {"order_id": pending["id"]},
            "POST /orders/{order_id}/confirm": {"order_id": pending["id"]},
        },
        "confirmation_token": link.split("token=", 1)[1],
    }


@pytest.mark.timeout(900)  # about 2.5 minutes; the coverage phase, when asked for, 5 more
def test_schemathesis_finds_nothing_against_the_running_stack(stack, tmp_path):
    seeded = _seed(stack)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks",
        "TAWASUL_FUZZ_IDS": json.dumps(seeded),
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT),
    }
    authorization = _headers()["Authorization"]
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{stack}/openapi.json",
        "--url", stack,
        "--header", f"Authorization: {authorization}",
        "--phases", PHASES,
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--checks", ",".join(CHECKS),
        "--workers", "1",
        "--request-timeout", "60",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(tmp_path),
        *[arg for operation_id in EXCLUDED for arg in ("--exclude-operation-id", operation_id)],
    ]  # fmt: skip
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    output = run.stdout + run.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    print(f"schemathesis: {time.monotonic() - started:.0f} s\n{summary}")
    assert run.returncode == 0, output[-20000:]
    assert "Operations:" in output and "0 selected" not in output
