"""The two written forms of a time: the API's (whole seconds) and the stored one (exact)."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.timeutil import format_exact, format_rfc3339, parse_rfc3339

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def test_the_api_form_has_no_fraction_even_when_the_time_has_one():
    # A fraction written only when non-zero sorted "…24Z" after "…24.145Z" (a timeline read newest
    # first showed times out of order whenever one entry fell on a whole second).
    whole = datetime(2026, 12, 2, 19, 58, 24, tzinfo=UTC)
    assert format_rfc3339(whole) == "2026-12-02T19:58:24Z"
    assert format_rfc3339(whole + timedelta(milliseconds=145)) == "2026-12-02T19:58:24Z"
    assert format_rfc3339(whole.astimezone(timezone(timedelta(hours=3)))) == "2026-12-02T19:58:24Z"


@given(moments, moments)
def test_api_times_sort_as_strings_the_way_they_sort_as_times(a, b):
    if a <= b:
        assert format_rfc3339(a) <= format_rfc3339(b)


@given(moments, moments)
def test_stored_times_keep_their_exact_order_as_strings(a, b):
    assert (format_exact(a) < format_exact(b)) == (a < b)


@given(moments)
def test_both_forms_read_back(at):
    assert parse_rfc3339(format_exact(at)) == at
    assert parse_rfc3339(format_rfc3339(at)) == at.replace(microsecond=0)
