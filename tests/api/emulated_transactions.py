"""TransactWriteItems for a DynamoDB server that has none (dynalite), in the tests only.

dynalite answers TransactWriteItems with ``UnknownOperationException``; every route that writes
more than one item is one transaction, so without this almost no test could even create its data.
``install()`` wraps botocore's ``_make_api_call`` so that a TransactWriteItems to DynamoDB runs as
its operations one by one, each a conditional PutItem / UpdateItem / DeleteItem that the server
itself evaluates (a ConditionCheck is an UpdateItem that changes nothing). Before the first, the
items named are read; if an operation's condition fails, those already applied are put back and the
call fails as DynamoDB's does: ``TransactionCanceledException`` with one ``CancellationReasons``
entry per operation, ``ConditionalCheckFailed`` at the failed one. Emulated transactions are
serialised among themselves by a lock.

What this does not give, and so what no test run against it proves: isolation from writes outside
a transaction, and atomicity against a crash of this process. Those stay the job of moto and AWS;
tests about them are not marked ``dynalite``. DynamoDB evaluates every condition against the state
before the transaction; applying the operations in order is the same because one transaction may not
touch an item twice (refused here as DynamoDB refuses it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import botocore.client
from botocore.exceptions import ClientError

MAX_ITEMS = 100  # DynamoDB's limit per transaction
_NOOP_NAME = "#tawasulEmulatedNoop"  # a ConditionCheck is an UpdateItem removing this absent attribute
_lock = threading.RLock()
_installed: list[Callable[..., Any]] = []

Call = Callable[[str, dict[str, Any]], dict[str, Any]]


def install() -> None:
    """Wrap ``BaseClient._make_api_call`` (idempotent). Call before anything else wraps it, so the
    tests' DynamoDB call counter still sees one TransactWriteItems per transaction."""
    if _installed:
        return
    original = botocore.client.BaseClient._make_api_call
    _installed.append(original)

    def make_api_call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems" and self.meta.service_model.service_name == "dynamodb":
            return transact_write_items(lambda op, kwargs: original(self, op, kwargs), params)
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]


def uninstall() -> None:
    if _installed:
        botocore.client.BaseClient._make_api_call = _installed.pop()  # type: ignore[method-assign]


def _error(code: str, message: str, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 400},
        **extra,
    }
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


_key_names: dict[str, tuple[str, ...]] = {}


def _key(call: Call, table: str, item: dict[str, Any]) -> dict[str, Any]:
    if table not in _key_names:  # tables are recreated per test, always from the same schema
        schema = call("DescribeTable", {"TableName": table})["Table"]["KeySchema"]
        _key_names[table] = tuple(k["AttributeName"] for k in schema)
    return {name: item[name] for name in _key_names[table]}


def _expression_args(op: dict[str, Any]) -> dict[str, Any]:
    return {
        name: op[name]
        for name in ("ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues")
        if name in op
    }


def _as_single(kind: str, op: dict[str, Any], key: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one-item call doing what operation ``op`` of the transaction does."""
    table = {"TableName": op["TableName"]}
    if kind == "Put":
        return "PutItem", {**table, "Item": op["Item"], **_expression_args(op)}
    if kind == "Delete":
        return "DeleteItem", {**table, "Key": key, **_expression_args(op)}
    if kind == "Update":
        return "UpdateItem", {**table, "Key": key, "UpdateExpression": op["UpdateExpression"], **_expression_args(op)}
    args = _expression_args(op)
    names = {**args.get("ExpressionAttributeNames", {}), _NOOP_NAME: "tawasulEmulatedNoop"}
    return "UpdateItem", {
        **table,
        "Key": key,
        **args,
        "ExpressionAttributeNames": names,
        "UpdateExpression": f"REMOVE {_NOOP_NAME}",
    }


def transact_write_items(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    operations = [next(iter(entry.items())) for entry in params["TransactItems"]]
    if not 0 < len(operations) <= MAX_ITEMS:
        raise _error("ValidationException", f"Member must have length less than or equal to {MAX_ITEMS}")
    keyed = []
    for kind, op in operations:
        key = _key(call, op["TableName"], op["Item"] if kind == "Put" else op["Key"])
        keyed.append((kind, op, key))
    names = [(op["TableName"], sorted((k, str(v)) for k, v in key.items())) for _, op, key in keyed]
    if len({repr(n) for n in names}) != len(names):
        raise _error("ValidationException", "Transaction request cannot include multiple operations on one item")
    with _lock:
        before = [
            call("GetItem", {"TableName": op["TableName"], "Key": key, "ConsistentRead": True}).get("Item")
            for _, op, key in keyed
        ]
        for index, (kind, op, key) in enumerate(keyed):
            operation, single = _as_single(kind, op, key)
            try:
                call(operation, single)
            except ClientError as error:
                _restore(call, keyed[:index], before)
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                reasons = [{"Code": "None"} for _ in keyed]
                reasons[index] = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                listed = ", ".join(r["Code"] for r in reasons)
                raise _error(
                    "TransactionCanceledException",
                    f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]",
                    CancellationReasons=reasons,
                )
            if kind == "ConditionCheck" and before[index] is None:
                call("DeleteItem", {"TableName": op["TableName"], "Key": key})  # the UpdateItem created it
    return {}


def _restore(call: Call, applied: list[tuple[str, dict[str, Any], dict[str, Any]]], before: list[Any]) -> None:
    for (_, op, key), old in zip(applied, before, strict=False):
        if old is None:
            call("DeleteItem", {"TableName": op["TableName"], "Key": key})
        else:
            call("PutItem", {"TableName": op["TableName"], "Item": old})
