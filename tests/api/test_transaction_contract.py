"""TransactWriteItems as the app relies on it, checked on both stores: in the moto pass these run
against moto's transactions, in `make test-dynalite` against ``tests/api/emulated_transactions.py``,
so the emulation the dynalite pass depends on answers as a real transaction does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.config import environment

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`


@pytest.fixture
def ddb() -> Any:
    return boto3.client("dynamodb")


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def put(pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": environment().table_name, "Item": {**key(pk), "n": {"N": "1"}}, **extra}}


def absent() -> dict[str, Any]:
    return {"ConditionExpression": "attribute_not_exists(pk)"}


def stored(ddb: Any, pk: str) -> dict[str, Any] | None:
    return ddb.get_item(TableName=environment().table_name, Key=key(pk), ConsistentRead=True).get("Item")


def test_a_failed_condition_cancels_everything_and_names_its_operation(ddb):
    table = environment().table_name
    ddb.put_item(TableName=table, Item={**key("taken"), "n": {"N": "7"}})
    ddb.put_item(TableName=table, Item={**key("kept"), "n": {"N": "7"}})
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(
            TransactItems=[
                put("new"),
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("kept"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "8"}},
                    }
                },
                put("taken", **absent()),
                {"Delete": {"TableName": table, "Key": key("gone-anyway")}},
            ]
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]][:3] == ["None", "None", "ConditionalCheckFailed"]
    assert stored(ddb, "new") is None  # written before the failed one, then undone
    assert stored(ddb, "kept")["n"] == {"N": "7"}
    assert stored(ddb, "taken")["n"] == {"N": "7"}


def test_a_condition_check_writes_nothing(ddb):
    table = environment().table_name
    check = {"ConditionCheck": {"TableName": table, "Key": key("nobody"), **absent()}}
    ddb.transact_write_items(TransactItems=[check, put("written")])
    assert stored(ddb, "nobody") is None
    assert stored(ddb, "written") is not None
    ddb.put_item(TableName=table, Item=key("nobody"))
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=[check, put("second")])
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    assert stored(ddb, "second") is None
    assert stored(ddb, "nobody") == key("nobody")


def test_two_operations_on_one_item_are_refused(ddb):
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=[put("twice"), put("twice")])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert stored(ddb, "twice") is None
