"""One Logger, Metrics and (lazily) Tracer for the whole service (Powertools).

The Tracer pulls in the X-Ray SDK (~400 ms of imports), so it is built only where tracing is
on (``POWERTOOLS_TRACE_DISABLED`` unset, as in Lambda), on the first request, not at import.
"""

from __future__ import annotations

import os
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
