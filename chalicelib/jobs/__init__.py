"""Scheduled jobs: one explicit list, each job with its rate and the AWS rights it needs.

``JOBS`` below is the only registry: app.py gives each job a schedule, ``make jobs``
(scripts/local_stack.py) runs each once (on the local stack ``TAWASUL_NOW`` sets the clock the run
sees), and infra/ turns each job's ``rights`` into IAM statements on that job's role (every function
may already use the main table; a right is anything beyond it). Adding a job is one line here.

``run_job`` runs a job the way the HTTP middleware in app.py serves a request: the run gets an id
that every log line carries as ``correlation_id`` (with the job's name as ``job``), one summary
line is logged, and the run's metrics are flushed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from chalicelib.jobs import erasures as erasure_jobs
from chalicelib.jobs import follow_ups as follow_up_jobs
from chalicelib.jobs import imports as import_jobs
from chalicelib.jobs import orders as order_jobs
from chalicelib.jobs import scorecards as scorecard_jobs


class Right(StrEnum):
    """An AWS permission a job may need beyond the main table; infra/tawasul_infra/rights.py maps
    every member to its IAM statements (a test fails if one is missing)."""

    SEND_IMPORT_QUEUE = "send_import_queue"  # sqs:SendMessage on the work queue (import continuations, erasures)
    SEND_EMAIL = "send_email"  # ses:SendEmail / SendRawEmail from the account's verified identities
    PUBLISH_SMS = "publish_sms"  # sns:Publish (SMS to a phone number)
    SEND_WHATSAPP = "send_whatsapp"  # social-messaging:SendWhatsAppMessage (AWS End User Messaging)
    READ_MESSAGING_SECRET = "read_messaging_secret"  # secretsmanager:GetSecretValue of the stage's messaging secret


# Delivering the outbox: every channel's sender, and the key that signs confirmation links.
SENDS_MESSAGES = frozenset({Right.SEND_EMAIL, Right.PUBLISH_SMS, Right.SEND_WHATSAPP, Right.READ_MESSAGING_SECRET})


@dataclass(frozen=True)
class Job:
    name: str  # also the Lambda function's name suffix: snake_case, unique
    rate_minutes: int
    run: Callable[[], dict[str, Any]]
    rights: frozenset[Right] = frozenset()


def _by_name(jobs: Iterable[Job]) -> Mapping[str, Job]:
    registry: dict[str, Job] = {}
    for job in jobs:
        if job.name in registry:
            raise ValueError(f"two jobs are named {job.name}")
        registry[job.name] = job
    return MappingProxyType(registry)


JOBS: Mapping[str, Job] = _by_name(
    [
        Job(
            "resume_stalled_imports",
            rate_minutes=5,
            run=import_jobs.resume_stalled_imports,
            rights=frozenset({Right.SEND_IMPORT_QUEUE}),
        ),
        Job(
            "confirmation_ladder",
            rate_minutes=1,
            run=order_jobs.confirmation_ladder,
            rights=SENDS_MESSAGES,
        ),
        Job("follow_ups", rate_minutes=5, run=follow_up_jobs.send_follow_ups, rights=SENDS_MESSAGES),
        Job("weekly_scorecards", rate_minutes=15, run=scorecard_jobs.weekly_scorecards, rights=SENDS_MESSAGES),
        Job(
            "resume_erasures",
            rate_minutes=5,
            run=erasure_jobs.resume_erasures,
            rights=frozenset({Right.SEND_IMPORT_QUEUE}),
        ),
    ]
)


def run_job(job: Job) -> dict[str, Any]:
    """One run of ``job`` with the logging keys and metric flushing of an HTTP request."""
    from chalicelib.ids import new_id
    from chalicelib.observability import log_keys, logger, metrics

    started = time.perf_counter()
    outcome = "failed"
    with log_keys(correlation_id=new_id(), job=job.name):  # this thread's lines only
        try:
            result = job.run()
            outcome = "completed"
            return result
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("job", extra={"outcome": outcome, "duration_ms": round(elapsed_ms, 1)})
            metrics.add_dimension(name="job", value=job.name)
            metrics.add_metric(name="JobRuns", unit="Count", value=1)
            metrics.add_metric(name="JobDuration", unit="Milliseconds", value=elapsed_ms)
            if outcome == "failed":
                metrics.add_metric(name="JobFailures", unit="Count", value=1)
            metrics.flush_metrics()


def handle_work_message(body: str, remaining_ms: Callable[[], int] | None = None) -> None:
    """One message of the work queue (the import queue): an account erasure, or an import to
    start or continue (an upload's S3 event, a continuation)."""
    if not erasure_jobs.handle_message(body):
        import_jobs.handle_message(body, remaining_ms)
