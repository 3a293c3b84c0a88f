"""`make bench-routes` (jobs part): what each scheduled job reads per item of due work, and what every
report costs at 10 and at 5,000 leads.

    python -m bench.jobs [--due 100] [--not-due 50000] [--out bench/results.json]

Jobs: each job of ``chalicelib.jobs.JOBS`` runs once, in a fresh in-process moto, after its seeder
(``SEEDERS``: job name -> seeder) has written ``--due`` items of due work among ``--not-due`` items
that are not due, in bulk through the persistence layer (``db.batch_write``; the items the routes
would have written). The whole run is measured, its outbox pass included (a message the run queued
is sent in the same run). A read is an item DynamoDB read for the job: what a Query examined
(``ScannedCount``) or a batch read / GetItem returned. A job without a seeder is reported as such
(``null``), never skipped silently: add one line to ``SEEDERS``.

- ``job_reads_per_due_item``: ``{job: items read / due items the run acted on}`` (all of them, but
  for a job that takes a page per run) and ``job_reads_per_due_item_max``
  (target <= 3); ``job_costs``: per job the due and not-due counts, items read, read and write
  calls, what the run returned, seconds.
- ``resume_stalled_imports`` has no due work per item: its "due" items are running imports without
  progress for 30 minutes, among finished ones (which have no index entry it could read).
- ``report_calls_10`` / ``report_calls_5000``: ``{report route: calls}`` with the counters of 10 and
  of 5,000 leads (the seeding of ``tests/api/test_report_costs.py``); ``report_calls_equal``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.inproc import Meter

ROOT = Path(__file__).resolve().parent.parent
ORG = "bench-jobs"
# Sunday 22 November 2026, 09:00 UTC = 12:00 in Riyadh: inside the default sending hours.
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MAX_READS_PER_DUE_ITEM = 3


@dataclass(frozen=True)
class Seeded:
    due: int
    not_due: int
    run_at: datetime  # the clock the measured run sees (TAWASUL_NOW)
    # the keys of the run's result that count the due items it acted on (a job may take only a
    # page of its due work per run); none: every due item
    handled_keys: tuple[str, ...] = ()


Seeder = Callable[[int, int], Seeded]


def _write(items: list[Any]) -> None:
    from chalicelib.persistence import db

    db.ready()
    db.batch_write(items, concurrency=4)


def _order(i: int, *, payment: str, at: datetime) -> Any:
    from chalicelib.domain import order_risk
    from chalicelib.domain.ladder import decide_start
    from chalicelib.domain.orders import OrderCreate, new_order
    from chalicelib.domain.settings import ConfirmationLadder

    data = OrderCreate.model_validate(
        {
            "account_id": f"acc-{i}",
            "items": [{"sku": "C-1", "name": "دورة", "quantity": 1, "unit_price": {"amount": "99", "currency": "SAR"}}],
            "payment": payment,
            "delivery_address": {"line1": f"شارع {i}", "city": "الرياض", "country": "SA"},
            "phone": f"+96655{i:07d}",
            "email": f"c{i}@example.com",
        }
    )
    order = new_order(
        order_id=f"ord-{i:06d}",
        org_id=ORG,
        owner_id="rep-1",
        data=data,
        default_country="SA",
        language="ar",
        ladder=ConfirmationLadder().model_dump(),
        support_email="help@example.com",
        now=at,
    )
    order = decide_start(order, order_risk.assess({}))
    order.version = 1  # as POST /orders stored it
    return order


def _account(i: int, at: datetime) -> Any:
    from chalicelib.persistence import keys
    from chalicelib.persistence.models import AccountItem

    item = AccountItem(
        keys.account(ORG, f"acc-{i}"), keys.PROFILE, id=f"acc-{i}", org_id=ORG, name=f"عميل {i}",
        owner_id="rep-1", created_at=at, updated_at=at, phones=[f"+96655{i:07d}"], emails=[f"c{i}@example.com"],
    )  # fmt: skip
    item.version = 1
    return item


def seed_ladder(due: int, not_due: int) -> Seeded:
    """``due`` cod orders placed 5 minutes before the run (their SMS step is due), with their
    accounts, among the ladder entries of ``not_due`` orders placed at the run (due a minute later;
    their orders and accounts are left out: the job reaches an order only through its entry, and
    moto takes ~5 ms to store an order)."""
    from chalicelib.persistence import orders as store

    items: list[Any] = []
    template = _order(due, payment="cod", at=T0)
    for i in range(due + not_due):
        placed = T0 - timedelta(minutes=5) if i < due else T0
        order = _order(i, payment="cod", at=placed) if i < due else replace(template, id=f"ord-{i:06d}")
        items += (
            [store.to_item(order), store._due_item(order), _account(i, placed)] if i < due else [store._due_item(order)]
        )
    _write(items)
    return Seeded(due, not_due, T0)


def seed_follow_ups(due: int, not_due: int) -> Seeded:
    """Prepaid orders paid at the run's day 0: ``due`` bonus-material follow-ups due now (with their
    orders and accounts), among the due entries of ``not_due`` check-ins, review, referral and
    coupon follow-ups due on later days (five per order; only the due orders' items, orders and
    accounts are stored: the job reaches an item only through its entry)."""
    from chalicelib.domain import follow_ups
    from chalicelib.domain.settings import OrgSettings
    from chalicelib.persistence import follow_ups as follow_up_store
    from chalicelib.persistence import orders as order_store
    from chalicelib.persistence import org as org_store

    settings = OrgSettings()
    org_store.save_settings(
        ORG, org_store.get_settings(ORG), settings.model_copy(update={"support_email": "help@example.com"}), T0
    )
    items: list[Any] = []
    later_total, i = 0, 0
    template = _order(due, payment="prepaid", at=T0 - timedelta(hours=1))
    while i < due or later_total < not_due:
        order = (
            _order(i, payment="prepaid", at=T0 - timedelta(hours=1))
            if i < due
            else replace(template, id=f"ord-{i:06d}")
        )
        order.status = "paid"
        plan = follow_ups.plan_follow_ups(order, settings, T0)
        now_due = [p for p in plan if p.due_at <= T0]
        later = [p for p in plan if p.due_at > T0][: max(0, not_due - later_total)]
        chosen = (now_due[:1] if i < due else []) + later
        if not chosen:
            break
        later_total += len(later)
        if i < due:
            items += [order_store.to_item(order), _account(i, T0)]
        for planned in chosen:
            planned.version = 1  # as the day-0 event's transaction stored it
            items.append(follow_up_store._due_item(planned, version=1))
            if i < due:
                items.append(follow_up_store.to_item(planned))
        i += 1
    _write(items)
    return Seeded(min(due, i), later_total, T0 + timedelta(minutes=1))


def seed_stalled_imports(due: int, not_due: int) -> Seeded:
    """``due`` running imports (uploaded files) without progress for 30 minutes among ``not_due``
    completed ones."""
    from chalicelib.domain.imports.job import ImportJob
    from chalicelib.persistence import imports as store

    items: list[Any] = []
    for i in range(due + not_due):
        stalled = i < due
        at = T0 - timedelta(minutes=30) if stalled else T0 - timedelta(days=1, minutes=i % 1000)
        job = ImportJob(
            id=f"imp-{i:06d}", org_id=ORG, owner_id="rep-1", owner_role="rep", import_type="accounts",
            origin="upload", created_at=at, updated_at=at, status="running" if stalled else "completed",
            object_key=f"uploads/{ORG}/imp-{i:06d}.csv", processed_rows=500, total_rows=None if stalled else 500,
            counters={"created": 500},
        )  # fmt: skip
        items.append(store._to_item(job))
    _write(items)
    return Seeded(due, not_due, T0, handled_keys=("resumed", "failed"))


def seed_scorecards(due: int, not_due: int) -> Seeded:
    """``due`` reps whose weekly scorecard e-mail is due (Monday 10:00 in Riyadh, their week's
    first working day once the ISO week is over) among ``not_due`` reps who already had theirs
    (bench/seed_scorecards.py)."""
    from bench import seed_scorecards

    at = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    seed_scorecards.seed(due, not_due, at)
    return Seeded(due, not_due, at)


def seed_erasures(due: int, not_due: int) -> Seeded:
    """``due`` erasure requests the worker has not finished by their moment (a lost message) among
    ``not_due`` requested moments ago (the worker is still on them)."""
    from chalicelib.persistence import accounts as store

    items = [
        store._erasure_entry(ORG, f"acc-{i:06d}", T0 - timedelta(minutes=1) if i < due else T0 + timedelta(minutes=2))
        for i in range(due + not_due)
    ]
    _write(items)
    return Seeded(due, not_due, T0, handled_keys=("queued", "not_queued"))


# The one table: a new job adds its seeder here (a job without one is reported, not measured).
SEEDERS: dict[str, Seeder] = {
    "confirmation_ladder": seed_ladder,
    "follow_ups": seed_follow_ups,
    "resume_erasures": seed_erasures,
    "resume_stalled_imports": seed_stalled_imports,
    "weekly_scorecards": seed_scorecards,
}


def measure_job(name: str, seeder: Seeder, due: int, not_due: int, meter: Meter) -> dict[str, Any]:
    import os

    from bench.inproc import tables
    from chalicelib.domain.timeutil import format_rfc3339
    from chalicelib.jobs import JOBS

    with tables(streams=False):
        started = time.perf_counter()
        seeded = seeder(due, not_due)
        seed_seconds = time.perf_counter() - started
        os.environ["TAWASUL_NOW"] = format_rfc3339(seeded.run_at)
        try:
            started = time.perf_counter()
            with meter.measure() as measured:
                result = JOBS[name].run()
            seconds = time.perf_counter() - started
        finally:
            os.environ.pop("TAWASUL_NOW", None)
    writes = [c for c in measured.calls if c.operation not in ("Query", "Scan", "GetItem", "BatchGetItem")]
    handled = sum(int(result.get(k, 0)) for k in seeded.handled_keys) if seeded.handled_keys else seeded.due
    return {
        "due": seeded.due,
        "not_due": seeded.not_due,
        "handled": handled,
        "items_read": measured.items_read,
        "read_calls": measured.read_calls,
        "write_calls": len(writes),
        "reads_per_due_item": round(measured.items_read / max(handled, 1), 2),
        "read_calls_per_due_item": round(measured.read_calls / max(handled, 1), 3),
        "reads_by_operation": _by_operation(measured.calls),
        "result": result,
        "seconds": round(seconds, 2),
        "seed_seconds": round(seed_seconds, 1),
    }


def _by_operation(calls: list[Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for call in calls:
        if call.items_read:
            totals[call.operation] = totals.get(call.operation, 0) + call.items_read
    return totals


def measure_jobs(due: int, not_due: int, only: list[str] | None = None) -> dict[str, Any]:
    from chalicelib.jobs import JOBS

    meter = Meter().install()
    costs: dict[str, Any] = {}
    per_item: dict[str, float | None] = {}
    for name in JOBS:
        if only and name not in only:
            continue
        seeder = SEEDERS.get(name)
        if seeder is None:
            costs[name] = {"error": "no seeder in bench/jobs.py SEEDERS: not measured"}
            per_item[name] = None
            continue
        sys.stderr.write(f"{name}: seeding {due} due among {not_due} not due ...\n")
        costs[name] = measure_job(name, seeder, due, not_due, meter)
        per_item[name] = costs[name]["reads_per_due_item"]
    if only:  # a partial run keeps the other jobs' figures
        import json

        path = ROOT / "bench" / "results.json"
        earlier = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        per_item = {**earlier.get("job_reads_per_due_item", {}), **per_item}
        costs = {**earlier.get("job_costs", {}), **costs}
    measured = [v for v in per_item.values() if v is not None]
    return {
        "job_reads_per_due_item": per_item,
        "job_reads_per_due_item_max": max(measured) if measured else None,
        "job_costs": costs,
    }


def measure_reports() -> dict[str, Any]:
    """Each report route's calls with the counters of 10 and of 5,000 leads (the seeding and the
    routes of tests/api/test_report_costs.py)."""
    from chalice.test import Client

    from app import app
    from bench.inproc import Caller, tables
    from tests.api.test_report_costs import ROUTES, seed

    meter = Meter().install()
    calls: dict[int, dict[str, int]] = {}
    with tables(), Client(app, stage_name="local") as client:
        caller = Caller(client)
        for size in (10, 5000):
            org = f"reports-{size}"
            for rep in ("rep-0", "rep-1"):
                body = {"timezone": "Asia/Riyadh", "team": "north"}
                reply = caller.call("PUT", f"/reps/{rep}", body, org=org, role="manager", user="boss")
                assert reply.status == 200, reply.raw
            seed(org, size)
            for path, who, _ in ROUTES:
                role = str(who.get("role", "rep"))
                with meter.measure() as measured:
                    reply = caller.call("GET", path, org=org, role=role, user=str(who["user"]))
                if reply.status != 200:
                    raise RuntimeError(f"{path}: {reply.status} {reply.raw[:300]!r}")
                label = f"GET {path.split('?')[0]}" + (
                    f" ({'&'.join(path.split('?')[1].split('&')[2:])})" if "?" in path and path.count("&") > 1 else ""
                )
                label += f" as {role}"
                calls.setdefault(size, {})[label] = len(measured.calls)
    return {
        "report_calls_10": calls[10],
        "report_calls_5000": calls[5000],
        "report_calls_equal": calls[10] == calls[5000],
        "report_calls_max": max(calls[5000].values()),
    }


def render(figures: dict[str, Any]) -> str:
    lines = []
    if "job_costs" in figures:
        header = f"{'job':26} {'due':>5} {'not due':>8} {'handled':>7} {'items read':>10} {'reads/item':>10}"
        header += f" {'read calls':>10} {'writes':>7} {'sec':>6}"
        lines += [header, "-" * len(header)]
        for name, c in figures["job_costs"].items():
            if "error" in c:
                lines.append(f"{name:26} {c['error']}")
                continue
            lines.append(
                f"{name:26} {c['due']:>5} {c['not_due']:>8} {c.get('handled', c['due']):>7} {c['items_read']:>10} "
                f"{c['reads_per_due_item']:>10} "
                f"{c['read_calls']:>10} {c['write_calls']:>7} {c['seconds']:>6}   {c['reads_by_operation']}"
            )
        lines.append(f"\njob_reads_per_due_item_max       {figures['job_reads_per_due_item_max']}\n")
    if "report_calls_10" in figures:
        header = f"{'report':52} {'10 leads':>8} {'5,000':>6}"
        lines += [header, "-" * len(header)]
        for label, n in figures["report_calls_10"].items():
            lines.append(f"{label:52} {n:>8} {figures['report_calls_5000'][label]:>6}")
        lines.append(f"\nreport_calls_equal               {figures['report_calls_equal']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--not-due", type=int, default=50_000)
    parser.add_argument("--jobs", help="comma-separated job names (default: every job)")
    parser.add_argument("--skip-reports", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    from bench.inproc import environment

    environment()
    sys.path.insert(0, str(ROOT))
    figures: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):  # the jobs' and routes' EMF metric lines
        figures.update(measure_jobs(args.due, args.not_due, args.jobs.split(",") if args.jobs else None))
        if not args.skip_reports:
            figures.update(measure_reports())
    from bench.local_stack import merge_into

    merge_into(Path(args.out), figures)
    sys.stdout.write(render(figures) + f"\nmerged into {args.out}\n")
    worst = figures.get("job_reads_per_due_item_max")
    ok = (worst is None or worst <= MAX_READS_PER_DUE_ITEM) and figures.get("report_calls_equal", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
