"""Scheduled jobs: plain functions registered here, wired to schedules in app.py.

``make jobs`` (scripts/local_stack.py) runs every registered job once; on the local stack
``TAWASUL_NOW`` sets the clock the run sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    rate_minutes: int
    run: Callable[[], dict[str, Any]]
    sends_to_import_queue: bool = False  # queues import continuations (infra/ grants it SendMessage)
    sends_messages: bool = False  # delivers the outbox (infra/ grants SES, SNS SMS and WhatsApp sends)


JOBS: dict[str, Job] = {}


def register(
    name: str, rate_minutes: int, *, sends_to_import_queue: bool = False, sends_messages: bool = False
) -> Callable[[Callable[[], dict[str, Any]]], Callable[[], dict[str, Any]]]:
    def wrap(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        JOBS[name] = Job(name, rate_minutes, fn, sends_to_import_queue, sends_messages)
        return fn

    return wrap
