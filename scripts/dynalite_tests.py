"""`make test-dynalite`: the tests marked ``dynalite`` against a second DynamoDB implementation.

    python -m scripts.dynalite_tests [pytest arguments ...]

Starts dynalite (npm, pinned in ``tools/dynalite``, in memory) on a free loopback port in its own
process group, runs pytest on the marked tests with ``TAWASUL_TEST_DYNAMODB`` naming it (the test
setup points ``AWS_ENDPOINT_URL_DYNAMODB`` there and creates each test's tables from
``chalicelib/persistence/schema.py``), then stops the group. Exits with pytest's status.
"""

from __future__ import annotations

import os
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
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"dynalite exited with {process.returncode}: {error.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
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


def main(argv: list[str]) -> int:
    port = free_port()
    process = start(port)
    try:
        wait_ready(process, port)
        env = {**os.environ, "TAWASUL_TEST_DYNAMODB": f"http://127.0.0.1:{port}"}
        command = [sys.executable, "-m", "pytest", "-m", "dynalite", *(argv or TEST_PATHS)]
        print(f"dynalite on 127.0.0.1:{port}: {' '.join(command[1:])}", flush=True)
        return subprocess.call(command, cwd=ROOT, env=env)
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
