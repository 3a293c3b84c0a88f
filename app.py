"""Tawasul: wiring only. Routes live in chalicelib/api, jobs in chalicelib/jobs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from chalice import Chalice, CORSConfig, Rate, Response

from chalicelib.api import (
    accounts,
    confirm,
    coupons,
    imports,
    leads,
    messages,
    orders,
    problems,
    reports,
    reps,
    settings,
    system,
    timeline,
)
from chalicelib.api.http import CSV_MEDIA_TYPES
from chalicelib.config import request_scope
from chalicelib.ids import new_id
from chalicelib.jobs import JOBS, Job, handle_work_message, run_job
from chalicelib.observability import logger, metrics, tracer

app = Chalice(app_name="tawasul")
app.log = logger  # type: ignore[assignment]
# CSV bodies arrive as bytes (Windows-1256 and UTF-16 files survive API Gateway untouched).
app.api.binary_types.extend(t for t in CSV_MEDIA_TYPES if t not in app.api.binary_types)

# The web front end calls from another origin: preflights and CORS headers on every route (set
# before the blueprints register; infra/ sets the origin per stage, "*" suits bearer tokens).
app.api.cors = CORSConfig(
    allow_origin=os.environ.get("TAWASUL_CORS_ORIGIN", "*"),
    allow_headers=[
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "If-Match",
        "X-Import-Mapping",
        "X-Correlation-Id",
    ],  # fmt: skip
    expose_headers=["Location", "ETag", "Retry-After", "X-Correlation-Id"],
    max_age=600,
)

app.register_blueprint(system.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(settings.bp)
app.register_blueprint(leads.bp)
app.register_blueprint(timeline.bp)
app.register_blueprint(reps.bp)
app.register_blueprint(imports.bp)
app.register_blueprint(orders.bp)
app.register_blueprint(messages.bp)
app.register_blueprint(confirm.bp)
app.register_blueprint(coupons.bp)
app.register_blueprint(reports.bp)


# The work queue: S3 upload events reach it through SQS (infra/ wires bucket -> queue + DLQ), and
# import continuations and account erasures are sent to it; Chalice needs the queue name when it
# packages the app, so it is read here.
@app.on_sqs_message(queue=os.environ.get("TAWASUL_IMPORT_QUEUE", "tawasul-local-imports"), batch_size=1)
def import_worker(event: Any) -> None:
    # The event's own context: Chalice sets app.lambda_context only for HTTP requests.
    remaining = getattr(event.context, "get_remaining_time_in_millis", None)
    for record in event:
        handle_work_message(record.body, remaining)


@app.lambda_function(name="rebuild_reports")
def rebuild_reports(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Maintenance: rebuild one organisation's report counters ({"org_id": "..."})."""
    from chalicelib.services.report_rebuild import rebuild_reports as rebuild

    return rebuild(str(event["org_id"]))


def _scheduled(job: Job) -> Callable[[Any], dict[str, Any]]:
    def run(event: Any) -> dict[str, Any]:
        return run_job(job)  # the run's id in every log line, its metrics flushed

    run.__name__ = job.name
    return run


for _job in list(JOBS.values()):
    app.schedule(Rate(_job.rate_minutes, unit=Rate.MINUTES), name=_job.name)(_scheduled(_job))


@app.middleware("http")
def observe(event: Any, get_response: Any) -> Response:
    """Correlation id, one structured log line and metrics per request; any error that did not
    come from our views (Chalice's 405/415/500) is turned into problem+json here."""
    started = time.perf_counter()
    correlation_id = (
        event.headers.get("x-correlation-id")
        or event.headers.get("x-request-id")
        or (event.context or {}).get("requestId")
        or new_id()
    )[:128]  # a client-chosen id goes into every log line: bounded
    logger.thread_safe_append_keys(correlation_id=correlation_id)  # this thread only (see log_keys)
    tracer()
    with request_scope():  # the environment read once for the request
        response = get_response(event)
    headers = response.headers or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    # (the confirmation page answers its errors as HTML pages for the customer's browser)
    if response.status_code >= 400 and problems.PROBLEM_JSON not in content_type and "text/html" not in content_type:
        detail = response.body.get("Message") if isinstance(response.body, dict) else None
        response = problems.from_status(
            response.status_code,
            detail or "The request failed.",
            {k: v for k, v in headers.items() if k.lower() != "content-type"},
        )
    response.headers["X-Correlation-Id"] = correlation_id
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info(
        "request",
        extra={
            "method": event.method,
            "path": event.path,
            "status": response.status_code,
            "duration_ms": round(elapsed_ms, 1),
        },
    )
    # (Latency's SampleCount is the number of requests: no separate count metric to add and ship)
    metrics.add_metric(name="Latency", unit="Milliseconds", value=elapsed_ms)
    if response.status_code >= 500:
        metrics.add_metric(name="ServerErrors", unit="Count", value=1)
    metrics.flush_metrics()
    metrics.clear_metrics()  # with metrics disabled (local stack, tests) flush keeps them: no pile-up
    logger.thread_safe_remove_keys(["correlation_id"])
    return response
