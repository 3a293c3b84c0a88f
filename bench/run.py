"""`make bench`: CSV import throughput, DynamoDB requests per row and memory, against moto server.

    python -m bench.run [--sizes 10000,100000] [--naive-rows 1000] [--out bench/results.json]

The parent process starts moto's ThreadedMotoServer on a free loopback port and creates the table,
the uploads bucket and the import queue. Every measured import runs in its own subprocess (so its
peak RSS is its own): the file is put in S3 and the worker is given the S3 event, exactly as the
queue would deliver it, so rows stream from a ranged GET. DynamoDB requests are counted by wrapping
botocore's ``BaseClient._make_api_call``; CPU per row is the user + system time of the importing
process (``getrusage``, all its threads) around the import only, also split into the part spent
inside botocore's DynamoDB calls (``thread_time`` around each call) and our own. The naive baseline imports rows
one by one the way a simple importer would: a GetItem per e-mail/phone to look for a duplicate,
then ``accounts.create`` (one transaction) per row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / ".." / "shared" / "data"

SHARED_CASES = [
    # (label, path under shared/data, type, default country, mapping)
    ("maven sales_pipeline (leads)", "maven_crm_sales_opportunities/sales_pipeline.csv", "leads", "US", None),
    ("zoho Leads (leads)", "zoho_crm_analytics_sample/Leads.csv", "leads", "US", None),
    ("zoho Contacts (accounts)", "zoho_crm_analytics_sample/Contacts.csv", "accounts", "US", None),
    ("salesforce accountData cp1252 (accounts)", "salesforce_dataloader/accountData.csv", "accounts", "US", None),
    (
        "x_education Leads + mapping (leads)",
        "x_education_lead_scoring/Leads.csv",
        "leads",
        "IN",
        {"Prospect ID": "name", "Lead Number": "external_id"},
    ),
]

FIRST = ["Mohammed", "Sara", "Omar", "Fatima", "Ali", "Layla", "Youssef", "Noor", "Khalid", "Huda", "محمد", "فاطمة"]
LAST = ["Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Aziz", "الأحمد", "العلي", "Farouk", "Hamdan"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic contact export: names, e-mail, mobile, company, city, notes; ~3% duplicates."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("First Name,Last Name,Email,Mobile,Company,City,Notes\r\n")
        for i in range(rows):
            n = rng.randrange(i) if i > 100 and rng.random() < 0.03 else i  # an earlier customer again
            first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
            notes = '"met at expo\nwants a demo"' if n % 50 == 0 else ""
            phone = f"+1 (212) {200 + (n // 10_000) % 800:03d}-{n % 10_000:04d}"
            out.write(f"{first},{last},customer{n}@example.com,{phone},Company {n % 997},City {n % 31},{notes}\r\n")


# -- the measured side (a subprocess per case) ----------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: that survives fork+exec, so a child
    of the process hosting moto would report moto's memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """User + system CPU of this process (all its threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Requests:
    """DynamoDB requests by operation, and the CPU the calling threads spent inside botocore for
    them (``time.thread_time`` around each call: signing, HTTP, parsing; not our code)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.sdk_cpu_seconds = 0.0
        self._lock = threading.Lock()

    def install(self) -> _Requests:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call

        def counting(client: Any, operation: str, params: Any) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            started = time.thread_time()
            try:
                return original(client, operation, params)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.counts[operation] = self.counts.get(operation, 0) + 1
                    self.sdk_cpu_seconds += spent

        botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
        return self


def _cpu_figures(cpu: float, sdk: float, rows: int, requests: int) -> dict[str, float]:
    """CPU per row, split into botocore's part (inside DynamoDB calls) and ours (the rest)."""
    rows = max(rows, 1)
    return {
        "cpu_ms_per_row": round(cpu * 1000 / rows, 3),
        "sdk_cpu_ms_per_row": round(sdk * 1000 / rows, 3),
        "own_cpu_ms_per_row": round((cpu - sdk) * 1000 / rows, 3),
        "sdk_cpu_ms_per_request": round(sdk * 1000 / max(requests, 1), 3),
    }


def _set_country(org: str, country: str) -> None:
    from chalicelib.config import now
    from chalicelib.domain.settings import OrgSettings
    from chalicelib.persistence import org as org_store

    current = org_store.get_settings(org)
    org_store.save_settings(org, current, OrgSettings(default_country=country), now())


def measure_import(
    file: str, import_type: str, org: str, country: str, mapping: dict[str, str] | None
) -> dict[str, Any]:
    import boto3

    from chalicelib.config import environment
    from chalicelib.domain.principal import Principal
    from chalicelib.services import imports

    _set_country(org, country)
    principal = Principal("bench-rep", org, "manager")
    job, _, _ = imports.create_upload(principal, imports.ImportOptions(import_type, mapping or {}))  # type: ignore[arg-type]
    boto3.client("s3").upload_file(file, environment().uploads_bucket, job.object_key)
    meter = _Requests().install()
    counts = meter.counts
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": job.object_key}}}]}
    imports.handle_queue_message(json.dumps(event))
    done = imports.store.get_job(org, job.id)
    while done.active:  # continuations (the queue would deliver them)
        imports.resume(org, job.id, imports.Deadline(seconds=600))
        done = imports.store.get_job(org, job.id)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    requests = sum(counts.values())
    return {
        "rows": done.processed_rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(done.processed_rows / seconds, 1),
        "dynamodb_requests": requests,
        "requests_per_row": round(requests / max(done.processed_rows, 1), 4),
        "requests_by_operation": counts,
        **_cpu_figures(cpu, meter.sdk_cpu_seconds, done.processed_rows, requests),
        "created": done.counters.get("created", 0),
        "duplicates": done.counters.get("duplicates", 0),
        "rejected": done.counters.get("rejected", 0),
        "status": done.status,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_naive(file: str, rows: int, org: str, country: str, mode: str) -> dict[str, Any]:
    """One save per row, as a simple importer would: a GetItem per e-mail/phone claim to find a
    duplicate, then ``accounts.create`` (one transaction; ``mode="transaction"``) or the same items
    saved one PutItem each (``mode="puts"``: moto copies its tables for every transaction, so this
    variant keeps the baseline from being slowed by the emulator rather than by the design)."""
    from chalicelib.config import now
    from chalicelib.domain.imports.columns import map_columns
    from chalicelib.domain.imports.reading import detect_format, read_records
    from chalicelib.domain.imports.records import ImportRow, build_row
    from chalicelib.ids import new_id
    from chalicelib.persistence import accounts, db, keys
    from chalicelib.persistence.models import ClaimItem

    _set_country(org, country)
    data = Path(file).read_bytes()
    fmt = detect_format(data[: 512 * 1024])
    records = read_records([data], fmt)
    header = next(records).fields or []
    columns = map_columns(header, "accounts")
    meter = _Requests().install()
    counts = meter.counts
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    done = 0
    for number, record in enumerate(records, start=2):
        if done >= rows:
            break
        done += 1
        row = build_row(
            number, record.fields or [], columns, import_type="accounts", default_country=country, now=now()
        )
        if not isinstance(row, ImportRow):
            continue
        account = row.account
        claims = [keys.email_claim(org, e) for e in account.emails] + [keys.phone_claim(org, p) for p in account.phones]
        duplicate = False
        for pk in claims:
            try:
                ClaimItem.get(pk, keys.CLAIM)
                duplicate = True
            except ClaimItem.DoesNotExist:
                pass
        if duplicate:
            continue
        account.id, account.org_id, account.owner_id = new_id(), org, "bench-rep"
        if mode == "transaction":
            with db.transaction() as tx:  # what POST /accounts writes: one transaction per account
                accounts.add(tx, account)
        else:
            for item in accounts.creation_items(account):
                item.save()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    requests = sum(counts.values())
    return {
        "rows": done,
        "seconds": round(seconds, 2),
        "rows_per_second": round(done / seconds, 1),
        "dynamodb_requests": requests,
        "requests_per_row": round(requests / max(done, 1), 4),
        **_cpu_figures(cpu, meter.sdk_cpu_seconds, done, requests),
        "peak_rss_mb": peak_rss_mb(),
    }


def _child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from chalicelib.persistence import db

    db.ready()
    mapping = json.loads(args.mapping) if args.mapping else None
    if args.child == "import":
        result = measure_import(args.file, args.type, args.org, args.country, mapping)
    else:
        result = measure_naive(args.file, args.rows, args.org, args.country, args.child.split("-", 1)[1])
    print("RESULT " + json.dumps(result))


# -- the orchestrating side -----------------------------------------------------------------


def _run_child(env: dict[str, str], *argv: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(f"bench child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--naive-rows", type=int, default=1000)
    parser.add_argument("--naive-transaction-rows", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--child", choices=["import", "naive-transaction", "naive-puts"])
    parser.add_argument("--file")
    parser.add_argument("--type", default="accounts")
    parser.add_argument("--org", default="bench")
    parser.add_argument("--country", default="US")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--mapping")
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    sys.path.insert(0, str(ROOT))
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TAWASUL_STAGE": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    from scripts.local_stack import provision

    provision()
    results: dict[str, Any] = {"moto_port": port, "cases": {}}
    table: list[tuple[str, dict[str, Any]]] = []
    sizes = [int(s) for s in args.sizes.split(",") if s]
    naive_label = "naive one-save-per-row"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for size in sizes:
                files[size] = Path(tmp) / f"generated_{size}.csv"
                generate(files[size], size)
            # Baselines first, on an empty table, from the same generated file as the first size.
            for mode, rows in (("transaction", args.naive_transaction_rows), ("puts", args.naive_rows)):
                outcome = _run_child(
                    env, f"naive-{mode}", "--file", str(files[sizes[0]]), "--rows", str(rows),
                    "--org", f"naive-{mode}",
                )  # fmt: skip
                label = f"naive one-save-per-row, {mode}"
                results["cases"][label] = outcome
                table.append((label, outcome))
            for size in sizes:
                outcome = _run_child(
                    env, "import", "--file", str(files[size]), "--type", "accounts", "--org", f"gen{size}"
                )
                outcome["file_mb"] = round(files[size].stat().st_size / 1e6, 2)
                results["cases"][f"generated {size} (accounts)"] = outcome
                table.append((f"generated {size} (accounts)", outcome))
            for index, (label, rel, import_type, country, mapping) in enumerate(SHARED_CASES):
                argv_ = ["import", "--file", str(SHARED / rel), "--type", import_type, "--org", f"shared{index}"]
                argv_ += ["--country", country] + (["--mapping", json.dumps(mapping)] if mapping else [])
                outcome = _run_child(env, *argv_)
                results["cases"][label] = outcome
                table.append((label, outcome))
    finally:
        server.stop()

    first = results["cases"][f"generated {sizes[0]} (accounts)"]
    results["import_requests_per_row"] = first["requests_per_row"]
    naive_tx = results["cases"][f"{naive_label}, transaction"]
    naive_puts = results["cases"][f"{naive_label}, puts"]
    # The headline baseline is the literal one-save-per-row importer, one accounts.create (a
    # transaction) per row, as issue 13 decided; the same items saved by one PutItem each is kept
    # beside it (moto copies tables on every transaction, which flatters the headline).
    results["import_speedup_vs_naive"] = round(first["rows_per_second"] / naive_tx["rows_per_second"], 1)
    results["import_speedup_vs_naive_transaction"] = results["import_speedup_vs_naive"]
    results["import_speedup_vs_naive_puts"] = round(first["rows_per_second"] / naive_puts["rows_per_second"], 1)
    results["import_cpu_ms_per_row"] = first["cpu_ms_per_row"]
    # The same CPU, split: inside botocore's DynamoDB calls, and our own code (the rest).
    results["import_cpu_ms_per_row_sdk"] = first["sdk_cpu_ms_per_row"]
    results["import_cpu_ms_per_row_own"] = first["own_cpu_ms_per_row"]
    results["import_sdk_cpu_ms_per_request"] = first["sdk_cpu_ms_per_request"]
    results["import_peak_rss_mb_10k"] = first["peak_rss_mb"]
    if len(sizes) > 1:
        results["import_peak_rss_mb_100k"] = results["cases"][f"generated {sizes[1]} (accounts)"]["peak_rss_mb"]
    shared_rows = sum(c["rows"] for label, c in table if not label.startswith(("generated", "naive")))
    shared_requests = sum(c["dynamodb_requests"] for label, c in table if not label.startswith(("generated", "naive")))
    results["shared_data_requests_per_row"] = round(shared_requests / max(shared_rows, 1), 4)
    from bench.local_stack import merge_into

    merge_into(Path(args.out), results)  # keeps the keys other benchmarks wrote

    header = f"{'case':44} {'rows':>7} {'sec':>8} {'rows/s':>8} {'req/row':>8} {'CPU ms/row':>10} {'own':>6}"
    header += f" {'RSS MB':>7}"
    header += f" {'created':>8} {'dups':>6} {'rej':>6}"
    lines = [header, "-" * len(header)]
    for label, c in table:
        lines.append(
            f"{label:44} {c['rows']:>7} {c['seconds']:>8} {c['rows_per_second']:>8} {c['requests_per_row']:>8} "
            f"{c.get('cpu_ms_per_row', ''):>10} {c.get('own_cpu_ms_per_row', ''):>6} {c.get('peak_rss_mb', ''):>7}"
            f" {c.get('created', ''):>8}"
            f" {c.get('duplicates', ''):>6} {c.get('rejected', ''):>6}"
        )
    lines.append("")
    for key in ("import_requests_per_row", "import_speedup_vs_naive", "import_speedup_vs_naive_puts",
                "import_cpu_ms_per_row", "import_cpu_ms_per_row_own", "import_cpu_ms_per_row_sdk",
                "import_sdk_cpu_ms_per_request", "import_peak_rss_mb_10k", "import_peak_rss_mb_100k",
                "shared_data_requests_per_row"):  # fmt: skip
        lines.append(f"{key:32} {results.get(key)}")
    sys.stdout.write("\n".join(lines) + f"\n\nwritten to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
