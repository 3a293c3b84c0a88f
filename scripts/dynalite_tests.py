"""`make test-dynalite`: the tests marked ``dynalite`` against a second DynamoDB implementation.

    python -m scripts.dynalite_tests [pytest arguments ...]

Starts dynalite (npm, pinned in ``tools/dynalite``, in memory) on a free loopback port in its own
process group, runs pytest on the marked tests with ``TAWASUL_TEST_DYNAMODB`` naming it (the test
setup points ``AWS_ENDPOINT_URL_DYNAMODB`` there and creates each test's tables from
``chalicelib/persistence/schema.py``), then stops the group. Exits with pytest's status.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / "tools" / "dynalite" / "node_modules" / "dynalite" / "cli.js"
# The files whose tests may carry the marker; pytest keeps only the marked ones (-m dynalite).
TEST_PATHS = ["tests/api"]
START_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(port: int) -> subprocess.Popen[bytes]:
    """dynalite in memory, tables ACTIVE (and gone) at once instead of after its default 500 ms."""
    if not DYNALITE.exists():
        raise SystemExit(f"{DYNALITE} is missing: run `make dynalite` (npm ci in tools/dynalite)")
    command = ["node", str(DYNALITE), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    """Until dynalite says it listens (a bare TCP probe could reach whatever else took the port)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            if selector.select(timeout=left):
                line = process.stdout.readline()
                if b"listening" in line.lower():
                    return
                if not line:  # it exited
                    process.wait()
                    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RuntimeError(f"dynalite exited with {process.returncode}: {error.strip()[-500:]}")
    raise RuntimeError(f"dynalite did not listen on port {port} within {START_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group, SIGKILL if it is still there after 5 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def start_on_free_port(attempts: int = 3) -> tuple[subprocess.Popen[bytes], int]:
    """A port found free may be taken before dynalite binds it; then try another."""
    for attempt in range(attempts):
        port = free_port()
        process = start(port)
        try:
            wait_ready(process, port)
            return process, port
        except RuntimeError:
            stop(process)
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def main(argv: list[str]) -> int:
    process, port = start_on_free_port()
    try:
        env = {**os.environ, "TAWASUL_TEST_DYNAMODB": f"http://127.0.0.1:{port}"}
        command = [sys.executable, "-m", "pytest", "-m", "dynalite", *(argv or TEST_PATHS)]
        print(f"dynalite on 127.0.0.1:{port}: {' '.join(command[1:])}", flush=True)
        return subprocess.call(command, cwd=ROOT, env=env)
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
