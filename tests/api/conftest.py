"""API tests: the real Chalice app through chalice.test.Client against moto's DynamoDB (or dynalite:
`make test-dynalite`, see tests/api/backend.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.client
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.auth import issue_local_token
from chalicelib.config import environment
from chalicelib.persistence.schema import MAIN, TABLES
from scripts import moto_shim
from tests.api import emulated_transactions
from tests.api.backend import EXTERNAL_DYNAMODB

# The local stack's moto, not stock moto: transactions roll back per item instead of copying tables.
moto_shim.apply()


# `make test-dynalite`: DynamoDB is that server, the other services stay moto's in-process mock.
if EXTERNAL_DYNAMODB:
    emulated_transactions.install()  # dynalite has no TransactWriteItems (see the module)


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        settings = environment()
        ddb = boto3.client("dynamodb")
        names = {MAIN: settings.table_name}
        tables = {names.get(t.logical_name, settings.idempotency_table_name): t for t in TABLES}
        if EXTERNAL_DYNAMODB:  # a server that outlives the test: new tables for each test
            _drop_tables(ddb, list(tables))
        for name, table in tables.items():
            ddb.create_table(**table.create_table_kwargs(name))
        boto3.client("sqs").create_queue(QueueName=settings.import_queue)  # the work queue (erasures, imports)
        if not EXTERNAL_DYNAMODB:
            yield
            return
        _wait_for_tables(ddb, list(tables), "ACTIVE")
        try:
            yield
        finally:
            _drop_tables(ddb, list(tables))


def _drop_tables(ddb: Any, names: list[str]) -> None:
    """Delete those of ``names`` that exist (a test may have dropped one; an earlier run that was
    killed may have left some) and wait until they are gone."""
    for name in names:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass
    _wait_for_tables(ddb, names, None)


def _wait_for_tables(ddb: Any, names: list[str], status: str | None) -> None:
    """Until every table has ``status`` (None: is gone). dynalite is started with its table state
    changes set to 0 ms, so this is a poll or two; boto3's waiters would sleep 20 s."""
    deadline = time.monotonic() + 30
    while True:
        found = {name: _status(ddb, name) for name in names}
        if all(found[name] == status for name in names):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"tables {found} did not become {status}")
        time.sleep(0.01)


def _status(ddb: Any, name: str) -> str | None:
    try:
        return str(ddb.describe_table(TableName=name)["Table"]["TableStatus"])
    except ddb.exceptions.ResourceNotFoundException:
        return None


@dataclass
class Api:
    client: Client

    def token(self, user: str = "rep-1", org: str = "org-a", role: str = "rep", ttl: int = 3600) -> str:
        return issue_local_token(
            secret=environment().jwt_secret,
            user_id=user,
            org_id=org,
            role=role,  # type: ignore[arg-type]
            expires_at=int(time.time()) + ttl,
        )

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str = "rep-1",
        org: str = "org-a",
        role: str = "rep",
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
        return Reply(response.status_code, dict(response.headers), response.body)

    def erase(self, account_id: str, **who: Any) -> Reply:
        """``DELETE /accounts/{id}``, then the work queue delivered to the worker Lambda as SQS
        would (what finishes the erasure in the background)."""
        reply = self.call("DELETE", f"/accounts/{account_id}", **who)
        if reply.status == 202:
            self.drain_work_queue()
        return reply

    def drain_work_queue(self) -> int:
        """Deliver every waiting work-queue message to the worker Lambda (batch size 1)."""
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=environment().import_queue)["QueueUrl"]
        delivered = 0
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
            event = self.client.events.generate_sqs_event(message_bodies=[messages[0]["Body"]], queue_name="imports")
            self.client.lambda_.invoke("import_worker", event)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            delivered += 1
        return delivered


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def is_problem(self, status: int) -> bool:
        body = self.json
        return (
            self.status == status
            and (self.header("content-type") or "").startswith("application/problem+json")
            and body["status"] == status
            and {"type", "title", "detail"} <= body.keys()
        )


@pytest.fixture
def api() -> Iterator[Api]:
    from app import app

    with Client(app, stage_name="local") as client:
        yield Api(client)


@pytest.fixture
def ddb_requests() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made by any botocore client (PynamoDB's and Powertools'), as
    (operation, parameters), in order."""
    sent: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            # a copy: botocore's handlers (our prebuilt batch bodies among them) rebind its keys
            sent.append((operation, dict(params)))
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@pytest.fixture
def ddb_calls(ddb_requests: list[tuple[str, dict[str, Any]]]) -> Callable[[], list[str]]:
    """Counts DynamoDB API calls: each call gives the operations made since the last one."""

    def snapshot() -> list[str]:
        taken = [operation for operation, _ in ddb_requests]
        ddb_requests.clear()
        return taken

    return snapshot


@pytest.fixture
def local_server():
    """``chalice local``'s server with the local stack's request handler, on a free port."""
    import threading
    from pathlib import Path

    from chalice.cli.factory import CLIFactory
    from chalice.local import LocalDevServer

    from app import app
    from scripts.local_gateway import answer_unknown_routes_with_problems

    root = Path(__file__).resolve().parents[2]
    config = CLIFactory(project_dir=str(root)).create_config_obj(chalice_stage_name="local")
    server = LocalDevServer(app, config, "127.0.0.1", 0)
    answer_unknown_routes_with_problems(server, app, config)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        server.server.server_close()
