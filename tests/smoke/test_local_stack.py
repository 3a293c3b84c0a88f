"""Real HTTP against the real local stack (`python -m scripts.local_stack run`) in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.local_stack_process import ROOT, free_port, running_stack

SECRET = "smoke-secret-0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    with running_stack(jwt_secret=SECRET, table="tawasul-smoke") as base:
        yield base


def _auth(role: str = "rep", user: str = "smoke-rep") -> dict[str, str]:
    token = jwt.encode({"sub": user, "org": "smoke", "role": role, "exp": int(time.time()) + 600}, SECRET, "HS256")
    return {"Authorization": f"Bearer {token}"}


def test_health_and_openapi_are_public(stack):
    assert requests.get(f"{stack}/health", timeout=5).json() == {"status": "ok"}
    doc = requests.get(f"{stack}/openapi.json", timeout=5).json()
    assert doc["openapi"].startswith("3.")
    assert "/accounts/{account_id}" in doc["paths"]


def test_a_browser_preflight_is_answered_without_a_token(stack):
    r = requests.options(
        f"{stack}/accounts",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,idempotency-key,content-type",
        },
        timeout=5,
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in r.headers["Access-Control-Allow-Headers"]


def test_account_lifecycle_over_http(stack):
    name = "نورة القحطاني"
    created = requests.post(
        f"{stack}/accounts",
        json={"name": name, "phones": ["٠٥٠٥٥٥١٢٣٤"]},
        headers={**_auth(), "Idempotency-Key": "smoke-1"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["phones"] == ["+966505551234"]
    replay = requests.post(
        f"{stack}/accounts",
        json={"name": name, "phones": ["٠٥٠٥٥٥١٢٣٤"]},
        headers={**_auth(), "Idempotency-Key": "smoke-1"},
        timeout=10,
    )
    assert replay.json()["id"] == account["id"]
    found = requests.get(f"{stack}/accounts", params={"q": "نوره"}, headers=_auth(), timeout=10).json()
    assert [a["id"] for a in found["items"]] == [account["id"]]
    assert found["items"][0]["name"] == name
    patched = requests.patch(
        f"{stack}/accounts/{account['id']}", json={"version": 1, "tags": ["vip"]}, headers=_auth(), timeout=10
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = requests.patch(
        f"{stack}/accounts/{account['id']}", json={"version": 1, "tags": ["x"]}, headers=_auth(), timeout=10
    )
    assert stale.status_code == 409
    assert stale.headers["Content-Type"].startswith("application/problem+json")
    other_rep = requests.get(f"{stack}/accounts/{account['id']}", headers=_auth(user="someone-else"), timeout=10)
    assert other_rep.status_code == 404
    lead = requests.post(
        f"{stack}/leads", json={"account_id": account["id"], "title": "smoke"}, headers=_auth(), timeout=10
    ).json()
    erased = requests.delete(f"{stack}/accounts/{account['id']}", headers=_auth(), timeout=10)
    assert erased.status_code == 202 and erased.json() == {"account_id": account["id"], "status": "erasing"}
    assert requests.get(f"{stack}/accounts/{account['id']}", headers=_auth(), timeout=10).status_code == 404
    # The stack's worker takes the rest from the work queue within seconds: the lead goes too.
    deadline = time.monotonic() + 30
    while requests.get(f"{stack}/leads/{lead['id']}", headers=_auth(), timeout=10).status_code != 404:
        assert time.monotonic() < deadline, "the erasure worker did not erase the account's lead"
        time.sleep(0.5)


def test_errors_are_problem_json_over_http(stack):
    r = requests.get(f"{stack}/accounts", timeout=5)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("application/problem+json")
    r = requests.post(
        f"{stack}/accounts", data=b"{oops", headers={**_auth(), "Content-Type": "application/json"}, timeout=5
    )
    assert r.status_code == 400 and r.json()["status"] == 400
    r = requests.put(f"{stack}/health", timeout=5)
    assert r.status_code == 405 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.headers.get("X-Correlation-Id")
    for path in ["/nope", "/accounts//x"]:  # was 403 {"message": "Missing Authentication Token"}
        r = requests.get(f"{stack}{path}", headers=_auth(), timeout=5)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json"), r.text
        assert r.json()["status"] == 404


def test_pipeline_and_import_over_http(stack):
    csv = "الاسم,الجوال,البريد الإلكتروني\nسارة محمود,0551234567,sara@example.com\n".encode("cp1256")
    job = requests.post(
        f"{stack}/imports?type=accounts", data=csv, headers={**_auth(), "Content-Type": "text/csv"}, timeout=30
    )
    assert job.status_code == 202, job.text
    report = requests.get(f"{stack}/imports/{job.json()['id']}", headers=_auth(), timeout=10).json()
    assert report["status"] == "completed" and report["created"] == 1 and report["errors"] == []
    (account,) = requests.get(f"{stack}/accounts", params={"q": "ساره"}, headers=_auth(), timeout=10).json()["items"]
    assert account["phones"] == ["+966551234567"]
    lead = requests.post(
        f"{stack}/leads", json={"account_id": account["id"], "title": "Annual plan"}, headers=_auth(), timeout=10
    )
    assert lead.status_code == 201, lead.text
    moved = requests.post(
        f"{stack}/leads/{lead.json()['id']}/stage", json={"stage": "presentation"}, headers=_auth(), timeout=10
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "presentation"
    skipped_back = requests.post(
        f"{stack}/leads/{lead.json()['id']}/stage", json={"stage": "approach"}, headers=_auth(), timeout=10
    )
    assert skipped_back.status_code == 409
    timeline = requests.get(f"{stack}/accounts/{account['id']}/timeline", headers=_auth(), timeout=10).json()
    assert [entry["kind"] for entry in timeline["items"]][:2] == ["stage_move", "lead_created"]


def _start_stack(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TAWASUL_"))}
    env["TAWASUL_JWT_SECRET"] = SECRET
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.local_stack", "run", "--port", str(port), "--moto-port", str(moto_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}"


def _wait_for(condition: Any, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError(f"local stack: no {what}")
        time.sleep(0.1)


def _ready(base: str) -> Any:
    def check() -> bool:
        try:
            return requests.get(f"{base}/health", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    return check


def _stopped_cleanly(process: subprocess.Popen[bytes], log_path: Path) -> tuple[int | None, str]:
    """SIGTERM to the stack process alone (not its group), once; its exit code and stderr."""
    os.kill(process.pid, signal.SIGTERM)
    try:
        code: int | None = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        code = None  # still running after one signal
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return code, log_path.read_text(errors="replace")


def test_one_sigterm_stops_a_serving_stack_cleanly(tmp_path):
    log_path = tmp_path / "stack.log"
    process, base = _start_stack(log_path)
    _wait_for(_ready(base), process, "answer to /health")
    token = jwt.encode({"sub": "r", "org": "sig", "role": "admin", "exp": int(time.time()) + 600}, SECRET, "HS256")
    assert (
        requests.post(
            f"{base}/accounts", json={"name": "Sig Term"}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).status_code
        == 201
    )

    code, stderr = _stopped_cleanly(process, log_path)

    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "stopping (SIGTERM)" in stderr and stderr.rstrip().endswith("stopped")


def test_one_sigterm_while_the_stack_is_starting_stops_it_cleanly(tmp_path):
    log_path = tmp_path / "stack.log"
    process, _ = _start_stack(log_path)
    # moto is up and the tables are being created: the API is not serving yet
    _wait_for(lambda: "moto server" in log_path.read_text(errors="replace"), process, "moto server line")

    code, stderr = _stopped_cleanly(process, log_path)

    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Tawasul API on" not in stderr  # it stopped before serving
