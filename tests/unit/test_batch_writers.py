"""``db.batch_write`` with a pool of writers (the CSV import's): batches are in flight at once,
each batch retries its own ``UnprocessedItems``, and the call returns only when every item landed."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.config import environment
from chalicelib.domain.errors import Unavailable
from chalicelib.persistence import db


class _Store:
    """A BatchWriteItem that leaves the last item of each first attempt unprocessed."""

    def __init__(self, in_flight_together: int = 1, always_unprocessed: bool = False) -> None:
        self.lock = threading.Lock()
        self.written: list[str] = []
        self.calls = 0
        self.seen: set[str] = set()
        self.barrier = threading.Barrier(in_flight_together, timeout=10) if in_flight_together > 1 else None
        self.always_unprocessed = always_unprocessed

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # noqa: N803
        ((table, requests),) = RequestItems.items()
        if self.barrier is not None:
            self.barrier.wait()  # breaks (and fails the test) unless that many calls are in flight at once
        with self.lock:
            self.calls += 1
            ids = [r["PutRequest"]["Item"]["pk"]["S"] for r in requests]
            first_try = ids[-1] not in self.seen
            self.seen.update(ids)
            keep = requests[:-1] if first_try or self.always_unprocessed else requests
            self.written += [r["PutRequest"]["Item"]["pk"]["S"] for r in keep]
        left = requests[len(keep) :]
        return {"UnprocessedItems": {table: left}} if left else {}


def _items(n: int) -> list[dict[str, Any]]:
    return [{"pk": {"S": f"p{i}"}, "sk": {"S": "s"}} for i in range(n)]


@pytest.fixture
def store(monkeypatch):
    def use(fake: _Store) -> _Store:
        monkeypatch.setattr(db, "client", lambda: fake)
        monkeypatch.setattr(db, "_backoff", lambda attempt: None)
        return fake

    return use


def test_writers_send_batches_at_once_and_retry_what_was_left(store):
    fake = store(_Store(in_flight_together=4))
    calls = db.batch_write(raw_puts=_items(100), concurrency=4)  # four batches of 25, all in flight together
    assert sorted(fake.written) == sorted(f"p{i}" for i in range(100))  # each item once
    assert calls == fake.calls == 8  # every batch: a first try and a retry of its last item
    assert environment().table_name


def test_one_writer_sends_one_batch_at_a_time(store):
    fake = store(_Store())
    assert db.batch_write(raw_puts=_items(60), concurrency=1) == 6
    assert sorted(fake.written) == sorted(f"p{i}" for i in range(60))


def test_a_batch_that_never_lands_fails_the_whole_write(store):
    fake = store(_Store(always_unprocessed=True))
    with pytest.raises(Unavailable):  # so the import records no progress for the chunk
        db.batch_write(raw_puts=_items(50), concurrency=2)
    assert fake.calls >= db.MAX_BATCH_ATTEMPTS and "p24" not in fake.written
