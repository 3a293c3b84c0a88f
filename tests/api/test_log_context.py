"""Log keys stay with the work they describe: the import worker's import_id never reaches a
request's log line, and a request's correlation_id never reaches the worker's (the local stack runs
both in threads of one process)."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

from chalicelib.observability import logger
from chalicelib.services import imports as import_service


def test_a_workers_import_id_and_a_requests_correlation_id_do_not_cross_threads(api, monkeypatch):
    working, request_done = threading.Event(), threading.Event()

    def slow_resume(org_id: str, import_id: str, deadline: Any) -> None:
        logger.info("worker before")
        working.set()
        request_done.wait(timeout=30)
        logger.info("worker after")

    monkeypatch.setattr(import_service, "_resume", slow_resume)
    buffer = io.StringIO()
    previous, level = logger.registered_handler.setStream(buffer), logger.log_level
    logger.setLevel("INFO")
    try:
        worker = threading.Thread(
            target=import_service.resume, args=("org-a", "imp-1", import_service.Deadline(seconds=1))
        )
        worker.start()
        assert working.wait(timeout=30)
        reply = api.call("GET", "/health", headers={"X-Correlation-Id": "req-1"})
        request_done.set()
        worker.join(timeout=30)
        logger.info("after both")
    finally:
        logger.registered_handler.setStream(previous)
        logger.setLevel(level)
    assert reply.status == 200
    lines = {line["message"]: line for line in map(json.loads, buffer.getvalue().splitlines())}
    assert lines["request"]["correlation_id"] == "req-1" and "import_id" not in lines["request"]
    assert lines["worker after"]["import_id"] == "imp-1" and "correlation_id" not in lines["worker after"]
    assert "import_id" not in lines["after both"] and "correlation_id" not in lines["after both"]


def test_request_metrics_do_not_pile_up_when_metrics_are_disabled(api):
    """The local stack and tests run with metrics disabled: Powertools' flush then keeps what was
    added, and every later add formatted the growing list. Each request leaves none behind."""
    from chalicelib.observability import metrics

    for _ in range(5):
        assert api.call("GET", "/health", auth=False).status == 200
    assert not metrics.metric_set
