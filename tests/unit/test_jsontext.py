import pytest

from chalicelib.domain.jsontext import parse_json


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 10_000 + "]" * 10_000, "nested too deeply"),
        ("1" * 4_301, "too many digits"),
        ('{"a": NaN}', "NaN is not a JSON value"),
        ("-Infinity", "Infinity is not a JSON value"),
        ("1e400", "too large"),
        (b"\xff", "not UTF-8"),
        ("{", "Expecting"),
    ],
)
def test_what_the_parser_cannot_hold_is_a_value_error_saying_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_json(text)


def test_ordinary_json_reads_as_json_does():
    assert parse_json(b'{"a": [1, 2.5, "\xd8\xa7"], "b": null}') == {"a": [1, 2.5, "ا"], "b": None}
    assert parse_json("9" * 4_300) == int("9" * 4_300)
