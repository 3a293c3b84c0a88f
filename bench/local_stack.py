"""`make bench-local-stack`: does the local stack hold real data? Accounts created over HTTP against
the real `make run` stack (``python -m scripts.local_stack run`` in a subprocess, moto in-process).

    python -m bench.local_stack [--accounts 20000] [--clients 4] [--out bench/results.json]

Every ``POST /accounts`` is one GetItem (the organisation's settings) and one TransactWriteItems
(profile, phone claim, name-search keys). The stack process's resident memory (VmRSS) is read after
every thousand accounts, and each thousand is timed. Two ratios are the verdict:

- ``local_stack_rss_ratio_20k_2k``: RSS after the last thousand over RSS after the second (flat
  memory: the stack must not grow with every write beyond the data it stores),
- ``local_stack_last_first_1k_ratio``: seconds for the last thousand over the first (a write must
  not get slower as the table fills).

The keys are merged into the results file; keys written by other benchmarks are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 1000
SECRET = "bench-local-stack-secret-0123456789abcdef"
FIRST = ["Mohammed", "Sara", "Omar", "Fatima", "Ali", "Layla", "Youssef", "Noor", "محمد", "فاطمة", "خالد", "هدى"]
LAST = ["Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "الأحمد", "العلي", "القحطاني", "Farouk", "Hamdan"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def account(n: int) -> dict[str, Any]:
    """A distinct customer: a two-word name and a unique Saudi mobile number."""
    name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"
    return {"name": name, "phones": [f"05{n:08d}"], "tags": ["bench"]}


def start_stack(log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TAWASUL_"))}
    env.update({"TAWASUL_JWT_SECRET": SECRET, "POWERTOOLS_LOG_LEVEL": "WARNING"})
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_stack", "run", "--port", str(port), "--moto-port", str(moto_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], base: str, seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the local stack did not start")


def create_accounts(base: str, start: int, count: int, clients: int, token: str) -> None:
    """POST ``count`` accounts from ``clients`` threads; any answer but 201 stops the benchmark."""
    import requests

    numbers = iter(range(start, start + count))
    lock = threading.Lock()
    failures: list[str] = []

    def work() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {token}"
            while not failures:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                reply = session.post(f"{base}/accounts", json=account(n), timeout=60)
                if reply.status_code != 201:
                    failures.append(f"account {n}: {reply.status_code} {reply.text[:300]}")

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])


def measure(accounts: int, clients: int) -> dict[str, Any]:
    import jwt

    token = jwt.encode(
        {"sub": "bench-rep", "org": "bench-local", "role": "admin", "exp": int(time.time()) + 24 * 3600},
        SECRET,
        algorithm="HS256",
    )
    batches: list[dict[str, float]] = []
    with tempfile.TemporaryFile() as log:
        process, base = start_stack(log)
        try:
            wait_ready(process, base)
            rss_start = rss_mb(process.pid)
            for start in range(0, accounts, BATCH):
                began = time.perf_counter()
                create_accounts(base, start, min(BATCH, accounts - start), clients, token)
                seconds = time.perf_counter() - began
                batches.append({"accounts": start + BATCH, "seconds": round(seconds, 2), "rss_mb": rss_mb(process.pid)})
                sys.stderr.write(f"{start + BATCH:>6} accounts  {seconds:6.1f} s/1k  RSS {batches[-1]['rss_mb']} MB\n")
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
            raise
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    first, last = batches[0], batches[-1]
    second = batches[1] if len(batches) > 1 else first
    return {
        "local_stack_accounts": accounts,
        "local_stack_clients": clients,
        "local_stack_rss_mb_start": rss_start,
        "local_stack_rss_mb_2k": second["rss_mb"],
        "local_stack_rss_mb_20k": last["rss_mb"],
        "local_stack_rss_ratio_20k_2k": round(last["rss_mb"] / second["rss_mb"], 2),
        "local_stack_first_1k_seconds": first["seconds"],
        "local_stack_last_1k_seconds": last["seconds"],
        "local_stack_last_first_1k_ratio": round(last["seconds"] / first["seconds"], 2),
        "local_stack_first_1k_ms_per_account": round(first["seconds"] * 1000 / BATCH, 1),
        "local_stack_last_1k_ms_per_account": round(last["seconds"] * 1000 / BATCH, 1),
        "local_stack_batches": batches,
    }


def merge_into(path: Path, figures: dict[str, Any]) -> None:
    """Add or replace these keys in the results file, keeping every other key."""
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    if args.accounts < 2 * BATCH:
        parser.error(f"--accounts must be at least {2 * BATCH}")
    figures = measure(args.accounts, args.clients)
    merge_into(Path(args.out), figures)
    for key, value in figures.items():
        if key != "local_stack_batches":
            sys.stdout.write(f"{key:40} {value}\n")
    sys.stdout.write(f"\nmerged into {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
