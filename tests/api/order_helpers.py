"""Small builders shared by the order API tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import botocore.client

from tests.api.conftest import Api

ADDRESS = {"line1": "شارع التحلية، عمارة ١٢", "city": "جدة", "country": "SA"}


def order_body(account_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": account_id,
        "items": [
            {"sku": "TEA-1", "name": "شاي أخضر", "quantity": 2, "unit_price": {"amount": "19.50", "currency": "SAR"}},
            {"sku": "CUP-1", "name": "كوب", "quantity": 1, "unit_price": {"amount": "5", "currency": "SAR"}},
        ],
        "payment": "cod",
        "delivery_address": ADDRESS,
        "phone": "0559998877",
        "email": "Buyer@Example.com",
    }
    body.update(overrides)
    return body


def stored_order(i: int, order_id: str, *, payment: str, now: datetime) -> Any:
    """A new order of account ``acc-<i>`` as ``POST /orders`` builds it (one 1 SAR item, no phone),
    for tests that write many orders directly instead of through the API."""
    from chalicelib.domain.orders import OrderCreate, new_order
    from chalicelib.domain.settings import ConfirmationLadder

    body: dict[str, Any] = {
        "account_id": f"acc-{i}",
        "items": [{"sku": "s", "name": "n", "quantity": 1, "unit_price": {"amount": "1", "currency": "SAR"}}],
        "payment": payment,
        "email": f"c{i}@example.com",
    }
    if payment == "cod":
        body["delivery_address"] = {"line1": "x", "city": "y", "country": "SA"}
    return new_order(
        order_id=order_id,
        org_id="org-a",
        owner_id="rep-1",
        data=OrderCreate.model_validate(body),
        default_country="SA",
        language="en",
        ladder=ConfirmationLadder().model_dump(),
        support_email=None,
        now=now,
    )


def place(api: Api, account_id: str, **kw: Any) -> dict[str, Any]:
    r = api.call("POST", "/orders", order_body(account_id, **kw.pop("body", {})), **kw)
    assert r.status == 201, r.raw
    return dict(r.json)


def event(api: Api, order_id: str, kind: str, **kw: Any) -> Any:
    return api.call("POST", f"/orders/{order_id}/events", {"type": kind}, **kw)


@contextmanager
def atomic_requests() -> Iterator[None]:
    """Make each DynamoDB request atomic, as DynamoDB is and moto (in-process) is not: moto checks
    a condition and writes without a lock, so two threads could both pass one condition. Threads
    still interleave between requests, which is what the concurrency tests exercise."""
    lock = threading.Lock()
    original = botocore.client.BaseClient._make_api_call

    def atomic(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation, params)
        with lock:
            return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = atomic  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def counted_reads() -> Iterator[list[tuple[str, int]]]:
    """While the block runs: every DynamoDB read (Query, Scan, GetItem, BatchGetItem) as
    (operation, items it read), so a job's reads can be compared with the work that was due."""
    reads: list[tuple[str, int]] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        response = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb" and operation in (
            "Query",
            "Scan",
            "GetItem",
            "BatchGetItem",
        ):
            scanned = response.get("ScannedCount", len(next(iter(response.get("Responses", {}).values()), [])))
            reads.append((operation, scanned))
        return response

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def run_at_once(job: str, runs: int = 2) -> list[dict[str, Any]]:
    """``runs`` runs of a scheduled job started together (threads behind a barrier), each DynamoDB
    request atomic as in DynamoDB (``atomic_requests``); their results."""
    from chalicelib.jobs import JOBS

    barrier = threading.Barrier(runs)
    results: list[dict[str, Any]] = []

    def run() -> None:
        barrier.wait()
        results.append(JOBS[job].run())

    with atomic_requests():
        threads = [threading.Thread(target=run) for _ in range(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results
