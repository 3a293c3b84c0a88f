"""When an import worker stops taking chunks (no AWS: the deadline is plain arithmetic)."""

import gc
import time

import pytest

from chalicelib.domain.errors import Unavailable
from chalicelib.services import imports
from chalicelib.services.imports import Deadline


def test_a_budget_stops_before_a_chunk_as_slow_as_the_slowest_would_overrun_it():
    deadline = Deadline(seconds=20, started=time.monotonic() - 12)
    assert not deadline.expired()
    deadline.slowest_chunk = 9.0  # 12 s spent + a 9 s chunk would end past the 20 s budget
    assert deadline.expired()


def test_lambda_remaining_time_counts_the_slowest_chunk_and_the_reserve():
    deadline = Deadline(remaining_ms=lambda: 40_000, reserve_ms=15_000)
    assert not deadline.expired()
    deadline.slowest_chunk = 30.0  # 40 s left - a 30 s chunk leaves less than the 15 s reserve
    assert deadline.expired()


def test_chunk_timing_keeps_the_slowest():
    deadline = Deadline(seconds=100)
    for _ in range(2):
        deadline.chunk_started()
        deadline.chunk_done()
    slow = deadline.slowest_chunk
    deadline._chunk_started = time.monotonic() - 5  # a chunk that took 5 s
    deadline.chunk_done()
    assert deadline.slowest_chunk >= 5 > slow


def test_an_import_run_sets_loaded_libraries_aside_from_the_collector_and_hands_them_back_even_on_failure(
    monkeypatch,
):
    seen = []

    def failing_run(*_, **__):
        seen.append(gc.get_freeze_count())
        raise Unavailable("The store is busy; retry shortly.")

    monkeypatch.setattr(imports, "_run_chunks", failing_run)
    before = gc.get_freeze_count()
    with pytest.raises(Unavailable):
        imports._run(None, None, None)  # type: ignore[arg-type]
    assert seen[0] > before  # what the process held was set aside while rows were imported
    assert gc.get_freeze_count() == before == 0  # and handed back: nothing stays out of reach
