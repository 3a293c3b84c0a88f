"""chalicelib/jobs: one explicit list of jobs with their rights; a run logs and flushes like a request."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chalicelib import jobs
from chalicelib.jobs import JOBS, Job, Right, run_job
from chalicelib.observability import logger, metrics


def test_the_job_list_names_each_job_once_with_its_rights():
    assert JOBS["resume_stalled_imports"].rights == {Right.SEND_IMPORT_QUEUE}
    assert JOBS["resume_stalled_imports"].rate_minutes == 5
    with pytest.raises(ValueError, match="two jobs are named twice"):
        jobs._by_name([Job("twice", 1, dict), Job("twice", 5, dict)])
    with pytest.raises(TypeError):
        JOBS["new"] = Job("new", 1, dict)  # type: ignore[index]  # the list above is the only registry


class _Lines(logging.Handler):
    """The service logger's JSON lines, as its own formatter writes them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.setFormatter(logger.registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def take(self) -> list[dict[str, Any]]:
        taken, self.lines = self.lines, []
        return taken


@pytest.fixture
def log() -> Any:
    handler = _Lines()
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # the tests' environment says WARNING
    yield handler
    logger.setLevel(level)
    logger.removeHandler(handler)


@pytest.fixture
def flushes(monkeypatch) -> list[int]:
    counted: list[int] = []

    def flush(*args: Any, **kwargs: Any) -> None:
        counted.append(1)
        metrics.clear_metrics()  # as a real flush does

    monkeypatch.setattr(metrics, "flush_metrics", flush)
    return counted


def test_a_run_carries_its_id_and_job_name_in_every_log_line_and_flushes_metrics(flushes, log):
    def body() -> dict[str, Any]:
        logger.info("inside the job")
        return {"resumed": 2}

    assert run_job(Job("sweep", 5, body)) == {"resumed": 2}

    inside, summary = log.take()
    assert inside["job"] == summary["job"] == "sweep"
    assert inside["correlation_id"] == summary["correlation_id"] and len(inside["correlation_id"]) >= 20
    assert summary["message"] == "job" and summary["outcome"] == "completed" and "duration_ms" in summary
    assert flushes == [1]

    logger.info("after")  # the keys do not leak into what runs next
    (after,) = log.take()
    assert "job" not in after and "correlation_id" not in after


def test_each_run_gets_its_own_id(flushes, log):
    run_job(Job("a", 5, dict))
    run_job(Job("a", 5, dict))
    first, second = log.take()
    assert first["correlation_id"] != second["correlation_id"]


def test_a_failing_run_is_logged_as_failed_flushed_and_reraised(flushes, log):
    def body() -> dict[str, Any]:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError, match="store down"):
        run_job(Job("broken", 5, body))

    (summary,) = log.take()
    assert summary["outcome"] == "failed" and summary["job"] == "broken"
    assert flushes == [1]
