"""One Logger, Metrics and (lazily) Tracer for the whole service (Powertools).

The Tracer pulls in the X-Ray SDK (~400 ms of imports), so it is built only where tracing is
on (``POWERTOOLS_TRACE_DISABLED`` unset, as in Lambda), on the first request, not at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "tawasul"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Tawasul", service=SERVICE)


@lru_cache(maxsize=1)
def tracer() -> Any | None:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return None
    from aws_lambda_powertools import Tracer

    built = Tracer(service=SERVICE)
    built.patch(["botocore"])
    return built


@contextmanager
def log_keys(**keys: str) -> Iterator[None]:
    """Structured keys on every log line of *this thread* while the block runs.

    ``Logger.append_keys`` changes the one logger every thread shares: on the local stack (and in
    any threaded host) the import worker's ``import_id`` appeared on request log lines and a
    request's ``correlation_id`` on the worker's. Thread-local keys stay with their own work.
    """
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(keys))
