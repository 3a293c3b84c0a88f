"""A fault injector for the API tests: DynamoDB that throttles, leaves batches half done, fails
conditions, and a Lambda that dies between any two steps.

Two levels, because they test different code:

- ``level="store"``: the fault is DynamoDB's answer. moto's request handler (``BotocoreStubber``,
  which answers botocore's ``before-send`` event) is wrapped, so botocore parses the fault and its
  own retry handler sees it: a throttle is retried by the SDK (PynamoDB's client: standard mode,
  4 attempts) and only reaches our code when every attempt was throttled. Partial batches
  (``UnprocessedItems`` / ``UnprocessedKeys``) are always store-level: the SDK never retries
  them, our ``db.batch_write`` / ``db.batch_get`` must.
- ``level="caller"``: the fault is what our code gets back from ``_make_api_call`` once botocore
  has given up: a ``ClientError`` with the throttling code, so our own handling (``db.unavailable``,
  503 with Retry-After, a job run that fails and is retried by the next run) is what is exercised.

``Crash`` (a ``BaseException``, so no ``except Exception`` in the app can swallow it) stops the
"Lambda" before or after the N-th counted step: every DynamoDB call and every delivery of a
message (``messaging.deliver``). Crash *after* a write means the write happened and its answer
was lost.

Random choices come from one seeded ``random.Random``: a run is reproducible.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import botocore.retries.standard
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import BotocoreStubber

THROTTLE_CODES = ("ProvisionedThroughputExceededException", "ThrottlingException")
SEND = "Send"  # the step name of a message delivery in ``Faults.calls``


class Crash(BaseException):
    """The Lambda died here (timeout, out of memory, a deploy): nothing after this line runs."""


@dataclass
class CrashAt:
    step: int  # 1-based index among the counted steps
    when: str = "before"  # "before" the step runs, or "after" it ran (its answer lost)
    only: frozenset[str] | None = None  # count only these operations (None: every step)


@dataclass
class Faults:
    """What to inject, and what happened. Change its fields while it is active."""

    seed: int = 13
    throttle: float = 0.0  # share of DynamoDB requests throttled
    throttle_ops: frozenset[str] | None = None  # None: every operation
    level: str = "store"  # "store" (the SDK retries) or "caller" (after the SDK gave up)
    unprocessed: float = 0.0  # share of batch requests answered partly (writes and reads)
    fail_conditions: dict[str, int] = field(default_factory=dict)  # operation -> how many to fail next
    crash: CrashAt | None = None
    # what happened
    calls: list[str] = field(default_factory=list)  # every counted step, in order
    throttled: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    conditions_failed: list[str] = field(default_factory=list)
    crashed: str | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.RLock()

    def roll(self, share: float) -> bool:
        with self.lock:
            return share > 0 and self.rng.random() < share

    def wants_throttle(self, operation: str, level: str) -> bool:
        if self.level != level or (self.throttle_ops is not None and operation not in self.throttle_ops):
            return False
        if self.roll(self.throttle):
            with self.lock:
                self.throttled.append(operation)
            return True
        return False

    def take_condition_failure(self, operation: str) -> bool:
        with self.lock:
            left = self.fail_conditions.get(operation, 0)
            if left <= 0:
                return False
            self.fail_conditions[operation] = left - 1
            self.conditions_failed.append(operation)
            return True

    # -- crashes ---------------------------------------------------------------------------

    def step(self, operation: str) -> int | None:
        """Count a step; its index if it is the crash target."""
        with self.lock:
            self.calls.append(operation)
            plan = self.crash
            if plan is None or self.crashed is not None:
                return None
            counted = [c for c in self.calls if plan.only is None or c in plan.only]
            if (plan.only is None or operation in plan.only) and len(counted) == plan.step:
                return plan.step
            return None

    def crash_now(self, operation: str, index: int) -> None:
        when = self.crash.when if self.crash else "before"
        self.crashed = f"{when} step {index} ({operation})"
        raise Crash(self.crashed)

    def reset(self) -> None:
        """Forget what happened and stop injecting (the retry runs clean)."""
        with self.lock:
            self.throttle = self.unprocessed = 0.0
            self.fail_conditions = {}
            self.crash = None
            self.calls.clear()
            self.throttled.clear()
            self.partial.clear()
            self.conditions_failed.clear()
            self.crashed = None


# -- store-level answers ----------------------------------------------------------------------


def _operation(request: AWSPreparedRequest) -> str | None:
    target = request.headers.get("X-Amz-Target")
    if isinstance(target, bytes):
        target = target.decode()
    if not target or not str(target).startswith("DynamoDB_"):
        return None
    return str(target).split(".", 1)[1]


def _error(code: str, message: str, **extra: Any) -> tuple[int, dict[str, str], str]:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}
    return 400, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}, json.dumps(body)


def _with_body(request: AWSPreparedRequest, body: dict[str, Any]) -> AWSPreparedRequest:
    raw = json.dumps(body).encode()
    headers = request.headers.copy()
    headers["Content-Length"] = str(len(raw))
    return AWSPreparedRequest(
        method=request.method, url=request.url, headers=headers, body=raw, stream_output=request.stream_output
    )


def _split(faults: Faults, items: list[Any]) -> tuple[list[Any], list[Any]]:
    """(kept, withheld): a random non-empty part withheld (everything, at times)."""
    with faults.lock:
        withheld = [i for i in items if faults.rng.random() < 0.5] or [items[-1]]
    kept = [i for i in items if not any(i is w for w in withheld)]
    return kept, withheld


def _store_answer(faults: Faults, original: Callable[[AWSPreparedRequest], Any], request: AWSPreparedRequest) -> Any:
    operation = _operation(request)
    if operation is None:
        return original(request)
    if faults.wants_throttle(operation, "store"):
        code = faults.rng.choice(THROTTLE_CODES)
        return _error(code, "Rate of requests exceeds the allowed throughput (injected).")
    if operation in ("PutItem", "UpdateItem", "DeleteItem") and faults.take_condition_failure(operation):
        return _error("ConditionalCheckFailedException", "The conditional request failed (injected).")
    if operation == "TransactWriteItems" and faults.take_condition_failure(operation):
        count = len(json.loads(request.body or b"{}").get("TransactItems", []))
        reasons = [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]
        reasons += [{"Code": "None"}] * (count - 1)
        return _error(
            "TransactionCanceledException",
            "Transaction cancelled, please refer cancellation reasons for specific reasons (injected)",
            CancellationReasons=reasons,
        )
    if operation == "BatchWriteItem" and faults.roll(faults.unprocessed):
        return _partial_write(faults, original, request)
    if operation == "BatchGetItem" and faults.roll(faults.unprocessed):
        return _partial_read(faults, original, request)
    return original(request)


def _partial_write(faults: Faults, original: Callable[[AWSPreparedRequest], Any], request: AWSPreparedRequest) -> Any:
    body = json.loads(request.body)
    [(table, writes)] = body["RequestItems"].items()
    kept, withheld = _split(faults, writes)
    faults.partial.append(f"BatchWriteItem {len(withheld)}/{len(writes)}")
    answer: dict[str, Any] = {"UnprocessedItems": {table: withheld}}
    if kept:
        status, headers, text = original(_with_body(request, {**body, "RequestItems": {table: kept}}))
        if status != 200:
            return status, headers, text
        return status, headers, json.dumps({**json.loads(text), **answer})
    return 200, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}, json.dumps(answer)


def _partial_read(faults: Faults, original: Callable[[AWSPreparedRequest], Any], request: AWSPreparedRequest) -> Any:
    body = json.loads(request.body)
    [(table, spec)] = body["RequestItems"].items()
    kept, withheld = _split(faults, spec["Keys"])
    faults.partial.append(f"BatchGetItem {len(withheld)}/{len(spec['Keys'])}")
    unprocessed = {table: {**spec, "Keys": withheld}}
    if kept:
        status, headers, text = original(_with_body(request, {**body, "RequestItems": {table: {**spec, "Keys": kept}}}))
        if status != 200:
            return status, headers, text
        return status, headers, json.dumps({**json.loads(text), "UnprocessedKeys": unprocessed})
    answer = {"Responses": {table: []}, "UnprocessedKeys": unprocessed}
    return 200, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}, json.dumps(answer)


# -- the context manager ------------------------------------------------------------------------


@contextmanager
def injected(faults: Faults, *, fast_backoff: bool = True) -> Iterator[Faults]:
    """Inject ``faults`` into every DynamoDB call (and count message deliveries) while the block
    runs. ``fast_backoff``: botocore's and our own retry sleeps take no time (the retries still
    happen, in the same number)."""
    from chalicelib import messaging
    from chalicelib.persistence import db

    original_process = BotocoreStubber.process_request
    original_call = botocore.client.BaseClient._make_api_call
    original_deliver = messaging.deliver
    original_delay = botocore.retries.standard.ExponentialBackoff.delay_amount
    original_backoff = db._backoff

    def process_request(self: BotocoreStubber, request: AWSPreparedRequest) -> Any:
        return _store_answer(faults, lambda r: original_process(self, r), request)

    def make_api_call(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original_call(self, operation, params)
        index = faults.step(operation)
        if index is not None and faults.crash is not None and faults.crash.when == "before":
            faults.crash_now(operation, index)
        if faults.wants_throttle(operation, "caller"):
            code = faults.rng.choice(THROTTLE_CODES)
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": "Rate exceeded (injected, after the SDK's retries)"},
                    "ResponseMetadata": {"HTTPStatusCode": 400, "MaxAttemptsReached": True},
                },
                operation,
            )
        response = original_call(self, operation, params)
        if index is not None:
            faults.crash_now(operation, index)
        return response

    def deliver(envelope: Any) -> str:
        index = faults.step(SEND)
        if index is not None and faults.crash is not None and faults.crash.when == "before":
            faults.crash_now(SEND, index)
        provider_id = original_deliver(envelope)
        if index is not None:
            faults.crash_now(SEND, index)
        return provider_id

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    messaging.deliver = deliver
    if fast_backoff:
        botocore.retries.standard.ExponentialBackoff.delay_amount = lambda self, context: 0.0  # type: ignore[method-assign]
        db._backoff = lambda attempt: None
    try:
        yield faults
    finally:
        BotocoreStubber.process_request = original_process  # type: ignore[method-assign]
        botocore.client.BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        messaging.deliver = original_deliver
        botocore.retries.standard.ExponentialBackoff.delay_amount = original_delay  # type: ignore[method-assign]
        db._backoff = original_backoff
