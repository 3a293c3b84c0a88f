"""The app in process against moto, for the route, report and job benchmarks and their pytest guards.

``environment()`` sets what ``tests/conftest.py`` sets (before the app is imported); ``tables()``
starts moto in process with ``scripts.moto_shim`` applied and creates the tables from the one schema
definition, as ``tests/api/conftest.py`` does. ``Meter`` wraps botocore's
``BaseClient._make_api_call`` (every botocore client: PynamoDB's and Powertools') and, while a
measurement is open, records each DynamoDB call: its operation, its wall time and the items it read.
``Caller`` sends requests through ``chalice.test.Client`` with a local token and times the app's
handler (the Lambda entry point the local gateway calls), so our own time is the handler's wall time
minus the time spent inside DynamoDB calls.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "TAWASUL_STAGE": "test",
    "TAWASUL_TABLE": "tawasul-bench",
    "TAWASUL_IDEMPOTENCY_TABLE": "tawasul-bench-idempotency",
    "TAWASUL_UPLOADS_BUCKET": "tawasul-bench-uploads",
    "TAWASUL_IMPORT_QUEUE": "tawasul-bench-imports",
    "TAWASUL_JWT_SECRET": "bench-secret-that-is-long-enough-for-hs256",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "TAWASUL_IMPORT_INLINE_SECONDS": "600",
}
READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})


def environment() -> None:
    """The test environment, for a benchmark run as a program (call before importing the app)."""
    os.environ.update(ENVIRONMENT)
    for variable in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE", "TAWASUL_NOW"]:
        os.environ.pop(variable, None)
    for variable in (
        "TAWASUL_SENDERS",
        "TAWASUL_MAIL_FROM",
        "TAWASUL_SMS_SENDER_ID",
        "TAWASUL_WHATSAPP_PHONE_NUMBER_ID",
    ):
        os.environ.pop(variable, None)


@contextmanager
def tables(*, streams: bool = True) -> Iterator[None]:
    """moto in process (the local stack's patched moto) with the app's tables and bucket.
    ``streams=False`` leaves the table's stream out: moto copies every written item into its
    stream records, which makes bulk seeding of 100,000 items take many minutes (the jobs never
    read the stream)."""
    import boto3
    from moto import mock_aws

    from chalicelib.config import environment as settings_of
    from chalicelib.persistence.schema import MAIN, TABLES
    from scripts import moto_shim

    moto_shim.apply()
    with mock_aws():
        settings = settings_of()
        ddb = boto3.client("dynamodb")
        names = {MAIN: settings.table_name}
        for table in TABLES:
            kwargs = table.create_table_kwargs(names.get(table.logical_name, settings.idempotency_table_name))
            if not streams:
                kwargs.pop("StreamSpecification", None)
            ddb.create_table(**kwargs)
        boto3.client("s3").create_bucket(Bucket=settings.uploads_bucket)
        boto3.client("sqs").create_queue(QueueName=settings.import_queue)
        yield


@dataclass
class Call:
    operation: str
    seconds: float
    items_read: int


@dataclass
class Measurement:
    calls: list[Call] = field(default_factory=list)

    @property
    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    @property
    def dynamodb_seconds(self) -> float:
        return sum(c.seconds for c in self.calls)

    @property
    def items_read(self) -> int:
        return sum(c.items_read for c in self.calls)

    @property
    def read_calls(self) -> int:
        return sum(1 for c in self.calls if c.operation in READS)


class Meter:
    """Counts and times DynamoDB calls while ``measure()`` is open (installed once per process)."""

    def __init__(self) -> None:
        self.current: Measurement | None = None
        self._original: Any = None

    def install(self) -> Meter:
        import botocore.client

        if self._original is not None:
            return self
        original = self._original = botocore.client.BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation: str, params: Any) -> Any:
            measurement = meter.current
            if measurement is None or client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            started = time.perf_counter()
            response: Any = {}
            try:
                response = original(client, operation, params)
                return response
            finally:  # a call that failed (a condition, a throttle) was made all the same
                measurement.calls.append(
                    Call(operation, time.perf_counter() - started, _items_read(operation, response))
                )

        botocore.client.BaseClient._make_api_call = metered  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        import botocore.client

        if self._original is not None:
            botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]
            self._original = None

    @contextmanager
    def measure(self) -> Iterator[Measurement]:
        measurement = Measurement()
        self.current = measurement
        try:
            yield measurement
        finally:
            self.current = None


def _items_read(operation: str, response: Any) -> int:
    """Items a read touched: what a Query or Scan examined (ScannedCount), what a batch read or a
    GetItem returned."""
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if operation == "GetItem":
        return 1 if "Item" in response else 0
    return 0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes
    handler_seconds: float = 0.0

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


class _TimedApp:
    """Stands in for the Chalice app in the local gateway and times each invocation."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.last_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def __call__(self, event: Any, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._app(event, context)
        finally:
            self.last_seconds = time.perf_counter() - started


class Caller:
    """Requests through ``chalice.test.Client`` as a user of an organisation with a role."""

    def __init__(self, client: Any) -> None:
        self.client = client
        gateway = client.http._local_gateway
        if not isinstance(gateway._app_object, _TimedApp):
            gateway._app_object = _TimedApp(gateway._app_object)
        self._timed: _TimedApp = gateway._app_object
        self._tokens: dict[tuple[str, str, str], tuple[str, int]] = {}

    def token(self, user: str, org: str, role: str) -> str:
        """The user's token, kept as a front end keeps it (issued at sign-in, valid an hour): a
        new one per request would make every request verify a token the warm Lambda never saw."""
        from chalicelib.auth import issue_local_token
        from chalicelib.config import environment as settings_of

        key = (user, org, role)
        held = self._tokens.get(key)
        if held is None or held[1] - time.time() < 600:
            expires_at = int(time.time()) + 3600
            token = issue_local_token(
                secret=settings_of().jwt_secret,
                user_id=user,
                org_id=org,
                role=role,  # type: ignore[arg-type]
                expires_at=expires_at,
            )
            held = self._tokens[key] = (token, expires_at)
        return held[0]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str,
        org: str,
        role: str,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
        auth: bool = True,
    ) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if auth:
            all_headers["Authorization"] = f"Bearer {self.token(user, org, role)}"
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body, ensure_ascii=False) if body is not None else None)
        response = self.client.http.request(method, path, headers=all_headers, body=payload)
        return Reply(response.status_code, dict(response.headers), response.body, self._timed.last_seconds)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
