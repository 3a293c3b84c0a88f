import pytest

from chalicelib.domain.errors import MalformedRequest
from chalicelib.persistence.db import decode_cursor, encode_cursor


def test_cursor_round_trip():
    key = {"pk": {"S": "ORG#o#ACC#1"}, "sk": {"S": "#PROFILE"}, "gsi1pk": {"S": "ORG#o#ACCOUNTS"}, "gsi1sk": {"S": "x"}}
    cursor = encode_cursor(key)
    assert decode_cursor(cursor, hash_attribute="gsi1pk", hash_value="ORG#o#ACCOUNTS") == key
    assert encode_cursor(None) is None


def test_cursor_of_another_partition_is_refused():
    cursor = encode_cursor(
        {"pk": {"S": "a"}, "sk": {"S": "b"}, "gsi1pk": {"S": "ORG#other#ACCOUNTS"}, "gsi1sk": {"S": "x"}}
    )
    with pytest.raises(MalformedRequest):
        decode_cursor(cursor, hash_attribute="gsi1pk", hash_value="ORG#mine#ACCOUNTS")


@pytest.mark.parametrize("garbage", ["%%%", "bm90IGpzb24", "WzFd"])
def test_garbage_cursor_is_malformed(garbage):
    with pytest.raises(MalformedRequest):
        decode_cursor(garbage, hash_attribute="pk", hash_value="x")


def _cursor(flat):
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(flat).encode()).decode().rstrip("=")


GSI1_KEY = {"pk": "ORG#o#ACC#1", "sk": "#PROFILE", "gsi1pk": "ORG#o#ACCOUNTS", "gsi1sk": "2026#1"}


@pytest.mark.parametrize(
    "flat",
    [
        {k: v for k, v in GSI1_KEY.items() if k != "gsi1sk"},  # the index's sort key dropped
        {k: v for k, v in GSI1_KEY.items() if k != "sk"},  # the table's sort key dropped
        {**GSI1_KEY, "gsi2sk": "x"},  # an attribute the index does not have
        {**GSI1_KEY, "sk": ""},  # DynamoDB refuses empty key values
        {**GSI1_KEY, "gsi1sk": "x" * 1025},  # over a sort key's size
        {**GSI1_KEY, "sk": "\ud800"},  # not encodable
    ],
)
def test_a_cursor_must_hold_exactly_the_short_key_attributes_of_the_index_it_pages(flat):
    with pytest.raises(MalformedRequest) as raised:
        decode_cursor(_cursor(flat), hash_attribute="gsi1pk", hash_value="ORG#o#ACCOUNTS")
    assert raised.value.extra == {"field": "cursor"}


def test_a_table_cursor_holds_only_the_table_keys_and_stays_inside_the_prefix():
    key = {"pk": "ORG#o#ACC#1", "sk": "TL#2026#x"}
    assert decode_cursor(_cursor(key), hash_attribute="pk", hash_value="ORG#o#ACC#1", range_prefix="TL#")
    for flat in [{**key, "gsi1pk": "ORG#o#ACC#1"}, {**key, "sk": "#PROFILE"}]:
        with pytest.raises(MalformedRequest):
            decode_cursor(_cursor(flat), hash_attribute="pk", hash_value="ORG#o#ACC#1", range_prefix="TL#")


@pytest.mark.parametrize("cursor", ["", "A" * 5000, _cursor([[[]]]), _cursor({"pk": 1, "sk": "x"})])
def test_empty_oversized_or_not_a_key_cursors_are_malformed(cursor):
    with pytest.raises(MalformedRequest):
        decode_cursor(cursor, hash_attribute="pk", hash_value="x")


def test_a_deeply_nested_cursor_within_the_length_limit_is_malformed_not_a_recursion_error():
    import base64

    nested = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode()
    assert len(nested) <= 4096  # read by the parser, which gives up on the depth
    with pytest.raises(MalformedRequest):
        decode_cursor(nested, hash_attribute="pk", hash_value="x")
