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
