"""The real local stack (`python -m scripts.local_stack run`) in a subprocess on free ports, for the
tests that talk HTTP to it (tests/smoke, tests/browser)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_stack(*, jwt_secret: str, table: str) -> Iterator[str]:
    """Start the stack with its own moto, wait for /health, yield its base URL; stop its process
    group afterwards (SIGTERM, then SIGKILL after 15 s).

    The stack's log goes to a temporary file, never to a pipe: nobody reads a pipe while the tests
    run, and once its 64 KB buffer is full every request thread blocks writing its log line (a
    few hundred fuzzed requests hung the stack that way)."""
    port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TAWASUL_"))}
    env["TAWASUL_JWT_SECRET"] = jwt_secret
    env["TAWASUL_TABLE"] = table
    env["TAWASUL_IDEMPOTENCY_TABLE"] = f"{table}-idempotency"
    env["TAWASUL_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # closed below, once the process is gone
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_stack", "run", "--port", str(port), "--moto-port", str(moto_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,  # its own process group, stopped as a whole below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers late
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"local stack did not start: {log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
