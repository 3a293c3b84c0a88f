"""BatchWriteItem and BatchGetItem bodies built by ``orjson.dumps`` (``db.prebuild_batch_bodies``) say
exactly what botocore's own serialiser says, and anything orjson refuses is left to botocore."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import orjson
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from chalicelib.persistence import db

ITEMS = [
    {"PutRequest": {"Item": {"pk": {"S": "ORG#o#ACCOUNT#a"}, "sk": {"S": "#PROFILE"}, "name": {"S": "محمد"}}}},
    {
        "PutRequest": {
            "Item": {
                "pk": {"S": "p"},
                "sk": {"S": "s"},
                "version": {"N": "1"},
                "ok": {"BOOL": False},
                "gone": {"NULL": True},
                "tags": {"L": [{"S": "vip"}, {"N": "2.5"}]},
                "risk": {"M": {"level": {"S": "low"}, "reasons": {"L": []}}},
            }
        }
    },
    {"DeleteRequest": {"Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}}},
]


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


def _client(*, prebuilt: bool, validate: bool = False) -> tuple[Any, list[bytes]]:
    ddb = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1").client(
        "dynamodb", endpoint_url="http://127.0.0.1:9", config=Config(parameter_validation=validate)
    )
    sent: list[bytes] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        return AWSResponse(request.url, 200, {}, _Raw())  # never reaches a socket

    ddb.meta.events.register("before-send.dynamodb.BatchWriteItem", capture)
    ddb.meta.events.register("before-send.dynamodb.BatchGetItem", capture)
    if prebuilt:
        db.prebuild_batch_bodies(ddb)
    return ddb, sent


def _body(items: list[dict[str, Any]], **kwargs: Any) -> Any:
    ddb, sent = _client(**kwargs)
    ddb.batch_write_item(RequestItems={"tawasul-main": items}, ReturnConsumedCapacity="TOTAL")
    return json.loads(sent[0])


def test_the_prebuilt_body_is_what_botocore_would_send():
    assert _body(ITEMS, prebuilt=True) == _body(ITEMS, prebuilt=False)


@pytest.mark.parametrize("validate", [False, True], ids=["pynamodb-like", "validating"])
def test_the_prebuilt_body_is_one_orjson_dumps_of_the_parameters(validate):
    ddb, sent = _client(prebuilt=True, validate=validate)
    ddb.batch_write_item(RequestItems={"t": ITEMS})
    assert sent[0] == orjson.dumps({"RequestItems": {"t": ITEMS}})


def test_binary_values_are_left_to_botocore():
    items = [{"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "s"}, "blob": {"B": b"\x00\xff"}}}}]
    body = _body(items, prebuilt=True)
    assert body == _body(items, prebuilt=False)
    assert body["RequestItems"]["tawasul-main"][0]["PutRequest"]["Item"]["blob"] == {
        "B": base64.b64encode(b"\x00\xff").decode()
    }


@pytest.mark.parametrize(
    "value",
    [{"S": "half a pair \ud83d"}, {"N": 2**70}],
    ids=["lone-surrogate", "int-past-64-bits"],
)
def test_values_orjson_refuses_are_left_to_botocore(value):
    items = [{"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "s"}, "odd": value}}}]
    ddb, sent = _client(prebuilt=True)
    ddb.batch_write_item(RequestItems={"t": items})
    plain, botocore_sent = _client(prebuilt=False)
    plain.batch_write_item(RequestItems={"t": items})
    assert sent[0] == botocore_sent[0]


KEYS = [{"pk": {"S": "ORG#o#EMAIL#سارة@example.com"}, "sk": {"S": "#CLAIM"}}, {"pk": {"S": "p"}, "sk": {"S": "s"}}]


def _read_body(request_items: dict[str, Any], **kwargs: Any) -> Any:
    ddb, sent = _client(**kwargs)
    ddb.batch_get_item(RequestItems=request_items, ReturnConsumedCapacity="TOTAL")
    return json.loads(sent[0])


@pytest.mark.parametrize(
    "spec",
    [
        {"Keys": KEYS, "ConsistentRead": True},
        {
            "Keys": KEYS,
            "ConsistentRead": False,
            "ProjectionExpression": "#k, pk",
            "ExpressionAttributeNames": {"#k": "kind"},
        },
    ],
    ids=["consistent", "projected"],
)
def test_a_prebuilt_batch_get_body_is_what_botocore_would_send(spec):
    items = {"tawasul-main": spec, "other": {"Keys": KEYS[:1]}}
    assert _read_body(items, prebuilt=True) == _read_body(items, prebuilt=False)


@pytest.mark.parametrize("validate", [False, True], ids=["pynamodb-like", "validating"])
def test_a_prebuilt_batch_get_body_is_one_orjson_dumps_of_the_parameters(validate):
    ddb, sent = _client(prebuilt=True, validate=validate)
    ddb.batch_get_item(RequestItems={"t": {"Keys": KEYS, "ConsistentRead": True}})
    assert sent[0] == orjson.dumps({"RequestItems": {"t": {"Keys": KEYS, "ConsistentRead": True}}})


def test_binary_keys_are_left_to_botocore():
    items = {"t": {"Keys": [{"pk": {"B": b"\x00\xff"}, "sk": {"S": "s"}}]}}
    body = _read_body(items, prebuilt=True)
    assert body == _read_body(items, prebuilt=False)
    assert body["RequestItems"]["t"]["Keys"][0]["pk"] == {"B": base64.b64encode(b"\x00\xff").decode()}
