"""Monthly AWS cost of one Tawasul stage for a team of reps: ``python infra/cost_model.py``.

Every figure is an input stated below; docs/deploy.md prints the output. DynamoDB calls per
operation come from the 'Access patterns' table in docs/data-model.md (the counts the API tests
assert); request units assume items of about 1 KB and eventually consistent reads, as PynamoDB
issues them. Prices: us-east-1, on demand, as published by AWS in 2025; free tiers are ignored.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from chalicelib.jobs import JOBS as SCHEDULED  # noqa: E402  (the jobs and their rates, defined once)

WORKING_DAYS = 22
# --- prices (USD) -------------------------------------------------------------------------------
DDB_WRITE_PER_MILLION = 0.625  # write request units
DDB_READ_PER_MILLION = 0.125  # read request units
DDB_STORAGE_GB = 0.25
DDB_PITR_GB = 0.20
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667  # x86
API_GATEWAY_REST_PER_MILLION = 3.50
SQS_PER_MILLION = 0.40
S3_PUT_PER_THOUSAND = 0.005
S3_GET_PER_THOUSAND = 0.0004
CLOUDWATCH_ALARM = 0.10
CLOUDWATCH_LOGS_INGEST_GB = 0.50
XRAY_TRACE_PER_MILLION = 5.00
COGNITO_LITE_MAU_FREE = 10_000  # Lite plan: the first 10,000 monthly active users are free

FUNCTION_MEMORY_GB = 1.0  # lambda_memory_size 1024 in .chalice/config.json
API_DURATION_S = 0.12  # warm request with 1-3 DynamoDB calls
JOB_DURATION_S = 0.5
JOBS = len(SCHEDULED)  # scheduled jobs, each at its own rate (chalicelib/jobs JOBS)
JOB_RUNS_PER_MONTH = sum(30 * 24 * 60 // job.rate_minutes for job in SCHEDULED.values())
ALARMS_FIXED = 3 + JOBS  # API 5xx, import queue age, import DLQ, a DLQ per job
ALARMS_PER_FUNCTION = 2  # errors and throttles
FUNCTIONS = 1 + JOBS + 1  # API handler, jobs, import worker
LOG_BYTES_PER_REQUEST = 1_500  # one structured request line plus the platform lines
XRAY_SAMPLED = 0.05  # default sampling: 1 request/s reservoir + 5 %


@dataclass(frozen=True)
class Operation:
    """One user action: how often a rep does it, and what it costs DynamoDB."""

    name: str
    per_rep_day: float
    calls: int  # DynamoDB calls (docs/data-model.md, asserted by tests/api)
    read_units: float
    write_units: float


# Read units: GetItem/BatchGetItem of 1 KB items = 0.5 each; a Query page of 50 x 1 KB = 6.5.
# Write units: 1 per KB per item, x2 inside a transaction, +1 per index whose entry changes, and
# the idempotency record (conditional put + update of ~2 KB = 3) on every first POST.
OPERATIONS = (
    Operation("read an account or lead", 40, 1, 1.0, 0),
    Operation("list page (accounts, leads, mine, by stage)", 15, 1, 6.5, 0),
    Operation("find accounts by name prefix", 10, 2, 5.5, 0),
    Operation("customer timeline page", 10, 1, 6.5, 0),
    Operation("create an account (idempotent POST)", 5, 4, 0.5, 12 + 2 + 3),
    Operation("change an account (PATCH)", 5, 3, 1.0, 10 + 2),
    Operation("move a lead", 10, 2, 0.5, 6 + 4),
    Operation("log an interaction (idempotent POST)", 10, 3, 0.5, 2 + 3),
)
IMPORT_ROWS_PER_REP_MONTH = 500  # one CSV a month; per row: claim lookup + one transaction
IMPORT_ROW = Operation("import a CSV row", 0, 2, 0.5, 10)
STORAGE_GB_PER_REP = 0.05  # ~50,000 items of 1 KB incl. index copies


def monthly_cost(reps: int) -> dict[str, float]:
    requests = reps * WORKING_DAYS * sum(op.per_rep_day for op in OPERATIONS)
    rows = reps * IMPORT_ROWS_PER_REP_MONTH
    reads = reps * WORKING_DAYS * sum(op.per_rep_day * op.read_units for op in OPERATIONS)
    writes = reps * WORKING_DAYS * sum(op.per_rep_day * op.write_units for op in OPERATIONS)
    reads += rows * IMPORT_ROW.read_units
    writes += rows * IMPORT_ROW.write_units
    job_runs = JOB_RUNS_PER_MONTH
    reads += job_runs * 2 * 6.5  # each run queries its due-work partition (two pages)
    storage = reps * STORAGE_GB_PER_REP
    imports = reps  # files a month
    invocations = requests + job_runs + imports
    return {
        "API Gateway (REST)": requests * API_GATEWAY_REST_PER_MILLION / 1e6,
        "Lambda": invocations * LAMBDA_REQUEST_PER_MILLION / 1e6
        + (requests * API_DURATION_S + job_runs * JOB_DURATION_S + rows * 0.02) * FUNCTION_MEMORY_GB * LAMBDA_GB_SECOND,
        "DynamoDB requests": reads * DDB_READ_PER_MILLION / 1e6 + writes * DDB_WRITE_PER_MILLION / 1e6,
        "DynamoDB storage + PITR": storage * (DDB_STORAGE_GB + DDB_PITR_GB),
        "S3 + SQS (imports)": imports * (S3_PUT_PER_THOUSAND + S3_GET_PER_THOUSAND) / 1e3
        + imports * 3 * SQS_PER_MILLION / 1e6,
        "CloudWatch alarms + logs": (ALARMS_FIXED + ALARMS_PER_FUNCTION * FUNCTIONS) * CLOUDWATCH_ALARM
        + invocations * LOG_BYTES_PER_REQUEST / 1e9 * CLOUDWATCH_LOGS_INGEST_GB,
        "X-Ray": requests * XRAY_SAMPLED * XRAY_TRACE_PER_MILLION / 1e6,
        "Cognito (Lite)": 0.0 if reps <= COGNITO_LITE_MAU_FREE else (reps - COGNITO_LITE_MAU_FREE) * 0.0055,
        "_requests": requests,
        "_ddb_calls": reps * WORKING_DAYS * sum(op.per_rep_day * op.calls for op in OPERATIONS)
        + rows * IMPORT_ROW.calls
        + job_runs * 2,
    }


def table(teams: tuple[int, ...] = (10, 100, 1000)) -> str:
    costs = {reps: monthly_cost(reps) for reps in teams}
    lines = ["| | " + " | ".join(f"{r:,} reps" for r in teams) + " |", "|---|" + "---:|" * len(teams)]
    lines.append("| API requests / month | " + " | ".join(f"{costs[r]['_requests']:,.0f}" for r in teams) + " |")
    lines.append("| DynamoDB calls / month | " + " | ".join(f"{costs[r]['_ddb_calls']:,.0f}" for r in teams) + " |")
    for item in (k for k in costs[teams[0]] if not k.startswith("_")):
        lines.append(f"| {item} | " + " | ".join(f"${costs[r][item]:,.2f}" for r in teams) + " |")
    totals = {r: sum(v for k, v in costs[r].items() if not k.startswith("_")) for r in teams}
    lines.append("| **total / month** | " + " | ".join(f"**${totals[r]:,.2f}**" for r in teams) + " |")
    lines.append("| **per rep / month** | " + " | ".join(f"**${totals[r] / r:,.2f}**" for r in teams) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
