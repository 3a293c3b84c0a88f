"""The CSV import's domain: reading, column recognition, row validation, stage/money parsing, merging."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import MalformedRequest, ValidationFailed
from chalicelib.domain.imports.columns import map_columns, parse_mapping
from chalicelib.domain.imports.merge import merge_account
from chalicelib.domain.imports.reading import (
    ENCODINGS,
    SAMPLE_BYTES,
    CsvFormat,
    detect_format,
    encoding_name,
    head_sample,
    read_records,
)
from chalicelib.domain.imports.records import ImportRow, RowRejected, build_row, map_stage, parse_money

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def records(data: bytes, chunk: int = 7) -> list[list[str] | None]:
    fmt = detect_format(data)
    return [r.fields for r in read_records([data[i : i + chunk] for i in range(0, len(data), chunk)], fmt)]


@pytest.mark.parametrize(
    ("name", "encoding", "bom"),
    [
        ("csvtext_BOM_UTF8.csv", "utf_8", 3),
        ("csvtext_BOM_UTF16LE.csv", "utf_16_le", 2),
        ("csvtext_BOM_UTF16BE.csv", "utf_16_be", 2),
    ],
)
def test_byte_order_marks_of_the_salesforce_samples(name, encoding, bom):
    data = (DATA / "salesforce_dataloader" / name).read_bytes()
    fmt = detect_format(data)
    assert (fmt.encoding, fmt.bom_length) == (encoding, bom)
    assert records(data) == [
        ["column1", "column2", "column3"],
        ["row1-1", "row1-2", "row1-3"],
        ["row2-1", "row2-2", "row2-3"],
    ]


def test_windows_1256_is_detected_from_the_content():
    text = "الاسم,الجوال,الشركة\r\nمحمد أحمد,0501234567,شركة النور\r\nفاطمة علي,0505551234,مؤسسة الأمل\r\n"
    fmt = detect_format(text.encode("cp1256"))
    assert fmt.encoding == "cp1256"
    assert records(text.encode("cp1256"))[1] == ["محمد أحمد", "0501234567", "شركة النور"]


@pytest.mark.parametrize(
    "text",
    [
        "الاسم,الجوال\r\nمحمد,0501234567\r\n",  # charset-normalizer alone says Windows-1255 (Hebrew)
        'Name,Notes\r\nأحمد,"سطر\r\nثاني"\r\nليلى,جدة\r\n',
    ],
)
def test_a_short_windows_1256_file_is_arabic(text):
    assert detect_format(text.encode("cp1256")).encoding == "cp1256"


def test_western_code_pages_are_not_taken_for_arabic():
    fmt = detect_format("Nom,Ville\nFrançois,Besançon\nAndré,Genève\n".encode("cp1252"))
    assert fmt.encoding != "cp1256"
    data = (DATA / "salesforce_dataloader" / "accountData.csv").read_bytes()
    assert detect_format(data).encoding != "cp1256"  # its byte 0xBA (º) is an Arabic semicolon there


def test_windows_1252_salesforce_export_reads_every_record():
    data = (DATA / "salesforce_dataloader" / "accountData.csv").read_bytes()
    rows = records(data, chunk=4096)
    assert len(rows) == 424 and all(r is not None and len(r) == 38 for r in rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    data = (
        delimiter.join(["Name", "Email", "Notes"]).encode() + b"\n" + delimiter.join(["A", "a@x.com", "x,y;z"]).encode()
    )
    assert detect_format(data).delimiter == delimiter


def test_quoted_newlines_escaped_quotes_and_crlf():
    data = b'a,b\r\n"1\r\nstill 1","say ""hi"""\r\n\r\n2,3'
    assert records(data) == [["a", "b"], ["1\r\nstill 1", 'say "hi"'], [], ["2", "3"]]


def test_old_mac_line_endings():
    assert records(b"a,b\r1,2\r3,4\r") == [["a", "b"], ["1", "2"], ["3", "4"]]


def test_an_unclosed_quote_costs_one_row_not_the_rest_of_the_file():
    data = b'a,b\n1,"never closed\n2,two\n3,three\n'
    rows = records(data)
    assert rows[1] is None and rows[2:] == [["2", "two"], ["3", "three"]]


def test_a_stray_quote_closed_by_a_later_rows_quote_costs_one_row():
    data = b'a,b\n1,"stray\n2,two\n3,"Haddad, Sons"\n4,"ab"c\n'
    rows = records(data)
    assert rows == [["a", "b"], None, ["2", "two"], ["3", "Haddad, Sons"], ["4", "abc"]]  # 4: lenient


def test_resuming_at_a_records_end_offset_reads_the_same_rest():
    data = (DATA / "olist_ecommerce_sample" / "olist_order_reviews_dataset.csv").read_bytes()[:200_000]
    data = data[: data.rfind(b"\n") + 1]
    fmt = detect_format(data)
    full = list(read_records([data], fmt))
    middle = full[len(full) // 2]
    rest = list(read_records([data[middle.end_offset :]], fmt, start=middle.end_offset))
    assert [r.fields for r in rest] == [r.fields for r in full[len(full) // 2 + 1 :]]
    assert any("\n" in f or "\r" in f for r in full if r.fields for f in r.fields)  # multi-line reviews exist


def test_resuming_utf16_keeps_code_unit_alignment():
    text = "Name\tCity\nأحمد\tالرياض\nليلى\tجدة\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    fmt = detect_format(data)
    first = list(read_records([data], fmt))
    rest = list(read_records([data[first[1].end_offset :]], fmt, start=first[1].end_offset))
    assert [r.fields for r in rest] == [["ليلى", "جدة"]]


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b""), ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_the_256_kb_read_chunk_boundary_inside_a_character_or_a_crlf(encoding, bom):
    from chalicelib.storage import READ_CHUNK

    unit = len("\n".encode(encoding))
    hit = set()
    for pad in range(30):  # moves the read-chunk boundary over every byte or code unit of a line
        text = "Name,Notes\r\n" + "x" * pad + "".join(f"عميل {i},سطر 😀\r\n" for i in range(12_000))
        data = bom + text.encode(encoding)
        fmt = detect_format(data[:SAMPLE_BYTES])
        whole = [r.fields for r in read_records([data], fmt)]
        chunks = [data[i : i + READ_CHUNK] for i in range(0, len(data), READ_CHUNK)]
        assert [r.fields for r in read_records(chunks, fmt)] == whole
        assert len(whole) == 12_001 and whole[-1] == ["عميل 11999", "سطر 😀"]
        before, after = data[READ_CHUNK - unit : READ_CHUNK], data[READ_CHUNK : READ_CHUNK + unit]
        if (before, after) == ("\r".encode(encoding), "\n".encode(encoding)):
            hit.add("between CR and LF")
        if encoding == "utf-8" and 0x80 <= after[0] <= 0xBF:
            hit.add("inside a character")
        if encoding == "utf-16-le" and 0xD8 <= before[1] <= 0xDB:
            hit.add("inside a character")  # between the two halves of a surrogate pair
    assert hit == {"between CR and LF", "inside a character"}


def test_format_survives_a_round_trip_through_the_job_item():
    fmt = CsvFormat("utf_16_le", 2, "\t", "\n")
    assert CsvFormat.from_dict(fmt.as_dict()) == fmt


def test_sample_cut_at_a_line_boundary_and_empty_file():
    assert head_sample(b"a,b\n1,2\n3,", complete=False) == b"a,b\n1,2\n"
    with pytest.raises(MalformedRequest):
        detect_format(b"   \n")


def fields_of(header: str, import_type: str = "accounts", mapping: dict[str, str] | None = None) -> dict[str, str]:
    cols = map_columns(header.split(","), import_type, mapping)  # type: ignore[arg-type]
    return {c.header: c.field for c in cols.columns}


def test_common_crm_headers_are_recognised():
    assert fields_of("FIRSTNAME,LASTNAME,EMAIL,PHONE,MOBILEPHONE,COMPANY,TITLE") == {
        "FIRSTNAME": "first_name", "LASTNAME": "last_name", "EMAIL": "email", "PHONE": "phone",
        "MOBILEPHONE": "phone", "COMPANY": "company", "TITLE": "title",
    }  # fmt: skip
    pipedrive = fields_of(
        "Person - Name,Person - Email,Person - Phone,Organization - Name,Deal - Title,Deal - Value,Deal - Stage",
        "leads",
    )
    assert list(pipedrive.values()) == ["name", "email", "phone", "account_name", "lead_title", "value", "stage"]
    arabic = fields_of("الاسم,الجوال,الهاتف,البريد الإلكتروني,الشركة,المدينة")
    assert list(arabic.values()) == ["name", "phone", "phone", "email", "company", "city"]
    assert fields_of("first_name,firstName,E-Mail Address")["E-Mail Address"] == "email"


def test_the_hubspot_all_properties_export_maps_without_dropping_columns():
    header = (DATA / "header_rows" / "contacts_all_properties_export_header.csv").read_bytes()
    names = records(header)[0]
    assert names is not None and len(names) == 182
    cols = map_columns(names, "accounts").columns
    assert len(cols) == 182 and {"first_name", "last_name", "email", "city", "external_id"} <= {c.field for c in cols}
    assert all(c.field != "ignore" for c in cols)


def test_odoo_lead_template_name_is_the_deal_title():
    header = "External ID,Name,Company Name,Contact Name,Email,Job Position,Phone,Mobile,Street,City,Country,Notes"
    mapped = fields_of(header, "leads")
    assert mapped["Name"] == "lead_title" and mapped["Contact Name"] == "name" and mapped["Company Name"] == "company"
    assert fields_of(header)["Name"] == "name"  # an accounts file has no deal


def test_lead_columns_in_an_accounts_file_are_kept_as_custom():
    assert fields_of("Name,Lead Status,Amount")["Lead Status"] == "custom"


def test_explicit_mapping_wins_and_is_validated():
    assert fields_of("Ref,Mobile No,Junk", mapping={"mobile no": "phone", "Ref": "name", "JUNK": "ignore"}) == {
        "Ref": "name", "Mobile No": "phone", "Junk": "ignore",
    }  # fmt: skip
    with pytest.raises(ValidationFailed):
        parse_mapping({"Ref": "nom"})
    with pytest.raises(ValidationFailed):
        parse_mapping(["Ref"])


def build(header: str, line: str, import_type: str = "accounts", country: str = "SA") -> ImportRow | RowRejected:
    cols = map_columns(header.split(","), import_type)  # type: ignore[arg-type]
    return build_row(7, line.split(","), cols, import_type=import_type, default_country=country, now=NOW)  # type: ignore[arg-type]


def test_a_row_is_normalised_like_the_api():
    row = build("First Name,Last Name,E-mail,Mobile,Website", "  Sara , Haddad ,SARA@X.COM; s@y.com,٠٥٠١٢٣٤٥٦٧,x.com")
    assert isinstance(row, ImportRow)
    assert row.account.name == "Sara Haddad"
    assert row.account.emails == ["sara@x.com", "s@y.com"]
    assert row.account.phones == ["+966501234567"]
    assert row.account.custom_fields == {"Website": "x.com"}


def test_columns_with_the_same_header_keep_every_value():
    row = build("Name,Website,Email,Website,,Name", "Sara,one.com,s@x.com,two.com,blank header,Sara H")
    assert isinstance(row, ImportRow) and row.account.name == "Sara"
    assert row.account.custom_fields == {
        "Website": "one.com", "Website (4)": "two.com", "column 5": "blank header", "Name": "Sara H",
    }  # fmt: skip


def test_bad_values_are_left_out_with_warnings_that_name_the_column():
    kept = build("Name,Work Email,Phone", "A,nope,123")
    assert isinstance(kept, ImportRow) and kept.row == 7 and (kept.account.emails, kept.account.phones) == ([], [])
    assert {w.field for w in kept.warnings} == {"Work Email", "Phone"}
    assert isinstance(build("Name,Email", ","), RowRejected)


def test_a_company_only_row_becomes_a_company_account():
    row = build("Company,Phone", "Noor Trading,0112345678")
    assert isinstance(row, ImportRow) and (row.account.name, row.account.kind) == ("Noor Trading", "company")


def test_lead_rows_carry_the_deal():
    row = build("Account,Deal Stage,Close Value,Product", "Cancity,Won,1054,GTX", "leads", "US")
    assert isinstance(row, ImportRow) and row.lead is not None
    assert (row.lead.stage, row.lead.status, row.lead.value) == (
        "follow_up",
        "won",
        {"amount": "1054.00", "currency": "USD"},
    )
    assert row.lead.custom_fields == {"Product": "GTX"} and row.account.custom_fields == {}
    bad = build("Account,Amount", "Cancity,lots", "leads")
    assert isinstance(bad, RowRejected) and bad.errors[0].field == "Amount"


@pytest.mark.parametrize(
    ("label", "stage", "status"),
    [
        ("Prospecting", "prospecting", "open"),
        ("Engaging", "approach", "open"),
        ("Closed Won", "follow_up", "won"),
        ("closedlost", "prospecting", "lost"),
        ("Proposal/Price Quote", "presentation", "open"),
        ("Negotiation/Review", "objections", "open"),
        ("contractsent", "closing", "open"),
        ("Junk Lead", "prospecting", "lost"),
        ("something else", "prospecting", "open"),
    ],
)
def test_crm_stage_names(label, stage, status):
    assert map_stage(label) == (stage, status)


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [
        ("$22,700.00", "22700.00", "USD"),
        ("1.234,56 €", "1234.56", "EUR"),
        ("١٥٠٠", "1500.00", "SAR"),
        ("SAR 99", "99.00", "SAR"),
    ],
)
def test_money_formats(raw, amount, currency):
    assert parse_money(raw, "SAR") == {"amount": amount, "currency": currency}


def test_merge_fills_gaps_and_never_overwrites():
    existing = build("Name,Email,Company,Tags", "Sara H,s@x.com,,vip")
    incoming = build("Name,Email,Phone,Company,Tags", "Sara Haddad,other@x.com,0501234567,Noor,vip;new")
    assert isinstance(existing, ImportRow) and isinstance(incoming, ImportRow)
    merged = merge_account(existing.account, incoming.account, now=NOW)
    assert merged.name == "Sara H" and merged.company == "Noor"
    assert merged.emails == ["s@x.com", "other@x.com"] and merged.phones == ["+966501234567"]
    assert merged.tags == ["vip", "new"]
    assert merge_account(merged, incoming.account, now=NOW) is merged  # nothing new: no write


@pytest.mark.parametrize(
    "text",
    [
        "Nom,Ville\nFrançois,Besançon\nAndré,Genève\n",
        "Name,Stadt\nJürgen,München\nGroß,Köln\n",
        "Nombre,Ciudad\nJosé,Málaga\nNúñez,Cádiz\n",
    ],
)
def test_western_windows_files_are_not_read_as_central_european(text):
    # charset-normalizer ranks Windows-1250 first on these ("Genève" would become "Genčve")
    fmt = detect_format(text.encode("cp1252"))
    assert fmt.encoding == "cp1252"
    assert text.encode("cp1252").decode(fmt.encoding) == text


def test_central_european_files_keep_their_code_page_when_windows_1252_cannot_read_them():
    text = "Imię,Miasto\nŁukasz,Łódź\nZażółć,gęślą\n"
    assert detect_format(text.encode("cp1250")).encoding == "cp1250"


def test_salesforce_windows_1252_export_reads_its_ordinal_indicator():
    data = (DATA / "salesforce_dataloader" / "accountData.csv").read_bytes()
    fmt = detect_format(data)
    assert fmt.encoding == "cp1252" and "º" in data.decode(fmt.encoding)


def test_a_named_encoding_overrides_detection():
    text = "Jméno,Město\nJiří,Brno\nČeněk,Plzeň\n"  # every letter also exists in Windows-1252
    assert detect_format(text.encode("cp1250")).encoding == "cp1252"  # the documented tie
    fmt = detect_format(text.encode("cp1250"), encoding=encoding_name("windows-1250"))
    assert fmt.encoding == "cp1250" and fmt.delimiter == ","
    utf16 = codecs.BOM_UTF16_BE + "Name\tCity\nأحمد\tجدة\n".encode("utf-16-be")
    fmt = detect_format(utf16, encoding=encoding_name("UTF-16"))
    assert (fmt.encoding, fmt.bom_length, fmt.delimiter) == ("utf_16_be", 2, "\t")


@pytest.mark.parametrize("name", ["rot13", "base64", "utf-7", "klingon", ""])
def test_only_text_encodings_may_be_named(name):
    with pytest.raises(ValueError):
        encoding_name(name)
    assert encoding_name("latin1") == "iso8859_1" and encoding_name("ASCII") == "utf_8"


# -- properties (hypothesis) ------------------------------------------------------------------

CUTS = st.lists(st.integers(0, 2000), max_size=5)


def _read(data: bytes, fmt: CsvFormat, cuts: list[int]) -> list[tuple[list[str] | None, int]]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    chunks = [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return [(r.fields, r.end_offset) for r in read_records(chunks, fmt)]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), encoding=st.none() | st.sampled_from(sorted(ENCODINGS)), cuts=CUTS)
def test_any_bytes_in_any_encoding_read_as_records_or_the_documented_rejection(data, encoding, cuts):
    try:
        fmt = detect_format(data, encoding)
    except MalformedRequest:
        return  # "The CSV file is empty" / "not text in an encoding we can read"
    records = _read(data, fmt, cuts)
    assert records == _read(data, fmt, [])  # however the bytes arrive in chunks
    offsets = [end for _, end in records]
    assert offsets == sorted(set(offsets)) and (not offsets or offsets[-1] == len(data))
    for i, (_, end) in enumerate(records[:-1]):  # resuming at any record's end reads the same rest
        rest = [(r.fields, r.end_offset) for r in read_records([data[end:]], fmt, start=end)]
        assert rest == records[i + 1 :]


FIELDS = st.text(st.sampled_from('ab ,;|\t"\r\nسمحد٠١é😀x'), max_size=8)
ROWS = st.integers(2, 4).flatmap(lambda n: st.lists(st.lists(FIELDS, min_size=n, max_size=n), min_size=1, max_size=6))
BOMS = [("utf_8", b""), ("utf_8", codecs.BOM_UTF8)] + [
    ("utf_16_le", codecs.BOM_UTF16_LE),
    ("utf_16_be", codecs.BOM_UTF16_BE),
]
CELLS = st.text(st.sampled_from('سارة محمد علي نورة ٠٥٠١٢ Aa1-@.,"\n'), min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    rows=ROWS,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(BOMS),
    cuts=CUTS,
)
def test_quoted_fields_delimiters_line_endings_and_boms_round_trip(rows, delimiter, newline, encoding, cuts):
    import csv
    import io

    out = io.StringIO()
    # Python's writer leaves a lone "\r" unquoted when lines end in "\n" (an ambiguous file): quote all there.
    quoting = csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
    csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting).writerows(rows)
    codec, bom = encoding
    data = bom + out.getvalue().encode(codec)
    fmt = CsvFormat(codec, len(bom), delimiter, "\n")
    assert [fields for fields, _ in _read(data, fmt, cuts)] == rows


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=5),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_a_file_with_a_header_is_detected_and_read_back(rows, delimiter, newline, encoding):
    import csv
    import io

    rows = [["الاسم", "الجوال", "البريد"], *[[f.replace(delimiter, " ") for f in row] for row in rows]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = out.getvalue().encode(encoding)
    fmt = detect_format(data)
    assert fmt.delimiter == delimiter
    assert [r.fields for r in read_records([data], fmt)] == rows
