"""scripts/moto_shim.py: moto's transactions stay all-or-nothing without copying whole tables.

The shim is applied to every API test by tests/api/conftest.py, as the local stack applies it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard, Table

from chalicelib.config import environment
from scripts import moto_shim


@pytest.fixture
def ddb() -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def table_name() -> str:
    return environment().table_name


def _key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _put(pk: str, **attrs: str) -> dict[str, Any]:
    return {**_key(pk), **{name: {"S": value} for name, value in attrs.items()}}


def _get(ddb: Any, table: str, pk: str) -> dict[str, Any] | None:
    return ddb.get_item(TableName=table, Key=_key(pk), ConsistentRead=True).get("Item")


def _moto_table(name: str) -> Any:
    return dynamodb_backends["123456789012"]["us-east-1"].tables[name]


def _stream_length(name: str) -> int:
    return len(_moto_table(name).stream_shard.items)


def _seed(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=_put("UPDATED", name="before", gsi1pk="ORG", gsi1sk="1"))
    ddb.put_item(TableName=table, Item=_put("DELETED", name="kept"))
    ddb.put_item(TableName=table, Item=_put("GUARD", state="open"))
    ddb.put_item(TableName=table, Item=_put("REPLACED", name="old"))


def _transaction(table: str, guard_state: str) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": table,
                "Key": _key("UPDATED"),
                "UpdateExpression": "SET #n = :n, gsi1sk = :s",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":n": {"S": "after"}, ":s": {"S": "2"}},
            }
        },
        {"Delete": {"TableName": table, "Key": _key("DELETED")}},
        {"Put": {"TableName": table, "Item": _put("CREATED", name="new", gsi1pk="ORG", gsi1sk="3")}},
        {"Put": {"TableName": table, "Item": _put("REPLACED", name="new")}},
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": _key("GUARD"),
                "ConditionExpression": "#s = :open",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":open": {"S": guard_state}},
            }
        },
    ]


def test_the_shim_is_applied_to_the_tests_moto():
    assert moto_shim.is_applied()


def test_a_transaction_with_a_failing_condition_leaves_every_item_unchanged(ddb, table_name):
    # Given four items and the stream they wrote
    _seed(ddb, table_name)
    before = {pk: _get(ddb, table_name, pk) for pk in ("UPDATED", "DELETED", "GUARD", "REPLACED", "CREATED")}
    stream_before = _stream_length(table_name)

    # When a transaction that updates, deletes, creates and replaces fails on its last condition
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(TransactItems=_transaction(table_name, guard_state="closed"))

    # Then it is cancelled for that condition alone, and nothing it wrote before it remains
    assert failure.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in failure.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "None", "ConditionalCheckFailed"]
    assert {pk: _get(ddb, table_name, pk) for pk in before} == before
    assert before["CREATED"] is None
    assert _stream_length(table_name) == stream_before  # no stream records for a cancelled write
    # the index sees the old values too (moto derives indexes from the items)
    page = ddb.query(
        TableName=table_name,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :o",
        ExpressionAttributeValues={":o": {"S": "ORG"}},
    )["Items"]
    assert [(i["pk"]["S"], i["gsi1sk"]["S"]) for i in page] == [("UPDATED", "1")]


def test_a_successful_transaction_writes_every_item(ddb, table_name):
    _seed(ddb, table_name)
    stream_before = _stream_length(table_name)

    ddb.transact_write_items(TransactItems=_transaction(table_name, guard_state="open"))

    assert _get(ddb, table_name, "UPDATED")["name"] == {"S": "after"}  # type: ignore[index]
    assert _get(ddb, table_name, "DELETED") is None
    assert _get(ddb, table_name, "CREATED")["name"] == {"S": "new"}  # type: ignore[index]
    assert _get(ddb, table_name, "REPLACED")["name"] == {"S": "new"}  # type: ignore[index]
    assert _stream_length(table_name) == stream_before + 4  # one record per write, none for the check


def test_a_transaction_refused_midway_by_a_validation_error_is_rolled_back(ddb, table_name):
    # moto applies the first Put before it notices the second names the same item
    ddb.put_item(TableName=table_name, Item=_put("TWICE", name="before"))
    items = [
        {"Put": {"TableName": table_name, "Item": _put("FRESH", name="x")}},
        {"Put": {"TableName": table_name, "Item": _put("TWICE", name="first")}},
        {"Delete": {"TableName": table_name, "Key": _key("TWICE")}},
    ]
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(TransactItems=items)
    assert failure.value.response["Error"]["Code"] == "ValidationException"
    assert _get(ddb, table_name, "TWICE") == _put("TWICE", name="before")
    assert _get(ddb, table_name, "FRESH") is None


def test_a_transaction_does_not_copy_the_table(ddb, table_name, monkeypatch):
    # moto 5.2.5 deep-copies every touched table once per transaction item; the shim must not
    copies: list[str] = []

    def refuse(self: Table, memo: dict[int, Any]) -> Table:
        copies.append(self.name)
        raise AssertionError("a whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    _seed(ddb, table_name)
    ddb.transact_write_items(TransactItems=_transaction(table_name, guard_state="open"))
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=_transaction(table_name, guard_state="shut"))
    assert copies == []


def test_the_stream_log_keeps_only_the_newest_records_with_continuous_sequence_numbers(ddb, table_name, monkeypatch):
    monkeypatch.setattr(StreamShard, "add", moto_shim._bounded(StreamShard.add.__wrapped__, 10))  # type: ignore[attr-defined]
    shard = _moto_table(table_name).stream_shard
    first = len(shard.items) + shard.starting_sequence_number

    for n in range(50):
        ddb.put_item(TableName=table_name, Item=_put(f"ITEM{n}", name=str(n)))

    assert len(shard.items) <= 11
    numbers = [int(r.record["dynamodb"]["SequenceNumber"]) for r in shard.items]
    assert numbers == list(range(first + 50 - len(numbers), first + 50))
    assert shard.items[-1].record["dynamodb"]["NewImage"]["name"] == {"S": "49"}
