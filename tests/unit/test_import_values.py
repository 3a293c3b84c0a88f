"""What real exports write: placeholders, per-column amounts and dates, names, one bad field, opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.imports.columns import ID_NAME, map_columns
from chalicelib.domain.imports.records import (
    CALL_OPT_OUT_TAG,
    EMAIL_OPT_OUT_TAG,
    UNASSIGNED,
    ImportRow,
    RowRejected,
    build_row,
    currency_for,
    parse_money,
)
from chalicelib.domain.imports.values import (
    day_first,
    decimal_separator,
    identifying_column,
    is_placeholder,
    parse_date,
    plan_columns,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def row_of(header: str, line: str, import_type: str = "accounts", rows: list[str] | None = None, country: str = "US"):
    names = header.split(",")
    decided = plan_columns(names, import_type, {}, [r.split(",") for r in (rows or [line])])  # type: ignore[arg-type]
    return build_row(
        2,
        line.split(","),
        decided.columns,
        import_type=import_type,
        default_country=country,
        now=NOW,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("value", ["Select", "N/A", "-", "none", "NULL", "#N/A", " select "])
def test_export_placeholders_are_empty(value):
    assert is_placeholder(value)
    built = row_of("Name,City,Notes", f"Ali,{value},{value}")
    assert isinstance(built, ImportRow)
    assert not built.account.address and built.account.notes == "" and built.account.custom_fields == {}


def test_real_words_are_not_placeholders():
    assert not any(is_placeholder(v) for v in ("Selection", "Nan", "Nonetheless", "0"))


def test_the_decimal_separator_is_decided_per_column():
    assert decimal_separator(["12.000", "1.234,56"]) == ","
    assert decimal_separator(["12.000"]) == "."  # nothing tells: a decimal point
    assert decimal_separator(["1,234.50", "12,000"]) == "."
    assert decimal_separator(["1.234.567", "5"]) == ","
    assert decimal_separator(["12,5"]) == ","
    assert parse_money("12.000", "EUR", ",") == {"amount": "12000.00", "currency": "EUR"}
    assert parse_money("1.234,56 €", "USD", ",") == {"amount": "1234.56", "currency": "EUR"}
    assert parse_money("$22,700.00", "USD", ".") == {"amount": "22700.00", "currency": "USD"}


def test_a_decimal_comma_column_reads_twelve_thousand_as_twelve_thousand():
    header, lines = "Deal Name,Company,Amount", ["A,Acme,12.000", "B,Beta,1.234,56"]
    # the second line has one field too many when split on commas; quote-free test: use ; instead
    rows = ["A;Acme;12.000", "B;Beta;1.234,56"]
    decided = plan_columns(header.split(","), "leads", {}, [r.split(";") for r in rows])
    [amount] = [c for c in decided.columns.columns if c.field == "value"]
    assert amount.hint == ","
    built = build_row(2, rows[0].split(";"), decided.columns, import_type="leads", default_country="DE", now=NOW)
    assert isinstance(built, ImportRow) and built.lead is not None
    assert built.lead.value == {"amount": "12000.00", "currency": "EUR"}
    assert lines  # the comma-separated form would need quotes; the rule is the same


@pytest.mark.parametrize(
    ("country", "currency"), [("DE", "EUR"), ("BR", "BRL"), ("IN", "INR"), ("SA", "SAR"), ("JP", "JPY"), ("ZZ", "USD")]
)
def test_the_default_currency_is_the_organisations_countrys(country, currency):
    assert currency_for(country) == currency


def test_a_currency_column_wins_over_the_country():
    built = row_of("Deal Name,Company,Amount,Currency", "A,Acme,100,GBP", "leads", country="DE")
    assert isinstance(built, ImportRow) and built.lead is not None and built.lead.value["currency"] == "GBP"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-10-20", datetime(2016, 10, 20, tzinfo=UTC)),
        ("2018-02-26 19:58:54", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
        ("2006-04-15T03:23:15.000Z", datetime(2006, 4, 15, 3, 23, 15, tzinfo=UTC)),
        ("15 Apr, 2021 00:03:00", datetime(2021, 4, 15, 0, 3, tzinfo=UTC)),
        ("Apr 15, 2021", datetime(2021, 4, 15, tzinfo=UTC)),
        ("15-Apr-2021", datetime(2021, 4, 15, tzinfo=UTC)),
        ("25/12/2024 3:05 PM", datetime(2024, 12, 25, 15, 5, tzinfo=UTC)),
        ("2024-12-25T10:00:00+03:00", datetime(2024, 12, 25, 7, 0, tzinfo=UTC)),
    ],
)
def test_dates_of_common_exports(raw, expected):
    assert parse_date(raw) == expected


def test_slashed_dates_are_read_in_the_order_the_column_shows():
    assert day_first(["03/04/2024", "25/04/2024"]) is True
    assert day_first(["04/25/2024", "03/04/2024"]) is False
    assert day_first(["03/04/2024"]) is None
    assert parse_date("03/04/2024", day_first_=False) == datetime(2024, 3, 4, tzinfo=UTC)
    assert parse_date("03/04/2024", day_first_=True) == datetime(2024, 4, 3, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_date("soon")


def test_deal_dates_reach_the_draft_and_an_open_deals_closing_date_is_a_forecast():
    header = "Deal Name,Company,Stage,Created Time,Closing Date"
    won = row_of(header, "A,Acme,Closed Won,2021-04-15,2021-05-01", "leads")
    assert isinstance(won, ImportRow) and won.lead is not None
    assert (won.lead.created_at, won.lead.closed_at) == (
        datetime(2021, 4, 15, tzinfo=UTC),
        datetime(2021, 5, 1, tzinfo=UTC),
    )
    open_ = row_of(header, "B,Acme,Qualification,2021-04-15,2021-05-01", "leads")
    assert isinstance(open_, ImportRow) and open_.lead is not None and open_.lead.closed_at is None
    bad = row_of(header, "C,Acme,Closed Won,yesterday,2021-05-01", "leads")
    assert isinstance(bad, ImportRow) and bad.lead is not None and bad.lead.created_at is None
    assert bad.warnings[0].field == "Created Time"


def test_a_won_date_column_without_a_stage_lists_won_deals():
    built = row_of("Deal ID,Company,won_date", "D1,Acme,2018-02-26 19:58:54", "leads")
    assert isinstance(built, ImportRow) and built.lead is not None
    assert (built.lead.stage, built.lead.status) == ("follow_up", "won")


@pytest.mark.parametrize("phone", ["(555) 555-1212", "355-687-3262"])
def test_an_invalid_phone_is_left_out_with_a_warning_and_the_customer_kept(phone):
    built = row_of("Name,Email,Phone", f"Ali,ali@x.com,{phone}")
    assert isinstance(built, ImportRow)
    assert built.account.phones == [] and built.account.emails == ["ali@x.com"]
    assert [(w.field, phone in w.message) for w in built.warnings] == [("Phone", True)]


def test_an_invalid_email_is_left_out_but_a_row_with_nothing_else_is_still_rejected():
    kept = row_of("Name,Email", "Ali,not-an-email")
    assert isinstance(kept, ImportRow) and kept.account.emails == [] and kept.warnings[0].field == "Email"
    rejected = row_of("Email,City", "not-an-email,Riyadh")
    assert isinstance(rejected, RowRejected)


@pytest.mark.parametrize("header", ["All Names", "Full Name", "Contact Name", "الاسم الكامل"])
def test_full_name_headers_are_the_name(header):
    assert [c.field for c in map_columns([header], "accounts").columns] == ["name"]


def test_a_file_with_lastname_and_all_names_uses_the_full_one():
    built = row_of("Lastname,All Names", "Hall,Mary C Hall")
    assert isinstance(built, ImportRow) and built.account.name == "Mary C Hall"


def test_do_not_email_and_do_not_call_are_two_opt_outs():
    header = "Name,Do Not Email,Do Not Call"
    no_email = row_of(header, "A,Yes,No")
    no_call = row_of(header, "B,No,Yes")
    assert isinstance(no_email, ImportRow) and isinstance(no_call, ImportRow)
    assert no_email.account.tags == [EMAIL_OPT_OUT_TAG] and not no_email.account.contact_opt_out
    assert no_call.account.tags == [CALL_OPT_OUT_TAG] and not no_call.account.contact_opt_out
    general = row_of("Name,Do Not Contact", "C,Yes")
    assert isinstance(general, ImportRow) and general.account.contact_opt_out


def test_a_deal_without_a_customer_is_kept_on_the_unassigned_account():
    built = row_of("opportunity_id,account,deal_stage,close_value", "Z1,,Engaging,100", "leads")
    assert isinstance(built, ImportRow) and built.lead is not None
    assert built.account.name == UNASSIGNED and built.lead.title == "Deal Z1" and built.lead.stage == "approach"


def test_a_file_without_a_customer_column_is_named_from_an_identifying_column():
    header = ["Prospect ID", "Lead Number", "Lead Source"]
    rows = [["p-1", "660737", "Chat"], ["p-2", "660728", "Search"]]
    assert identifying_column(header, rows).header == "Prospect ID"  # type: ignore[union-attr]
    decided = plan_columns(header, "leads", {}, rows)
    assert decided.mapping == {"Prospect ID": ID_NAME} and "Prospect ID" in decided.notes[0]
    built = build_row(2, rows[0], decided.columns, import_type="leads", default_country="IN", now=NOW)
    assert isinstance(built, ImportRow) and built.account.name == "Prospect ID p-1" and built.external_id == "p-1"
    chosen = plan_columns(header, "leads", {"Lead Number": ID_NAME}, rows)
    assert chosen.mapping == {"Lead Number": ID_NAME} and not chosen.notes


def test_a_file_with_nothing_that_names_or_identifies_a_customer_is_refused_with_what_to_map():
    with pytest.raises(ValidationFailed) as refused:
        plan_columns(["column1", "column2"], "accounts", {}, [["row1-1", "row1-2"]])
    [error] = refused.value.errors
    assert error.field == "mapping" and "column1" in error.message and '"name"' in error.message
    with pytest.raises(ValidationFailed):  # an id-like column that repeats or is empty identifies nothing
        plan_columns(["code", "x"], "accounts", {}, [["a", "1"], ["a", "2"]])


def test_ambiguous_slashed_dates_follow_the_organisations_country():
    header = "Deal Name,Company,Created Date"
    us = row_of(header, "A,Acme,03/04/2024", "leads", country="US")
    sa = row_of(header, "A,Acme,03/04/2024", "leads", country="SA")
    assert isinstance(us, ImportRow) and us.lead is not None and us.lead.created_at == datetime(2024, 3, 4, tzinfo=UTC)
    assert isinstance(sa, ImportRow) and sa.lead is not None and sa.lead.created_at == datetime(2024, 4, 3, tzinfo=UTC)
    told = row_of(header, "A,Acme,03/04/2024", "leads", rows=["A,Acme,03/04/2024", "B,Acme,25/04/2024"], country="US")
    assert isinstance(told, ImportRow) and told.lead is not None and told.lead.created_at.month == 4
