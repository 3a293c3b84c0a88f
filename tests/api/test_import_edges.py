"""Adversarial CSV imports: continuations at awkward byte offsets, odd encodings, dirty files, counters.

Most tests force a continuation after every chunk (``remaining_ms=lambda: 1_000``) with a small
``CHUNK_ROWS``, so every chunk boundary is also a resume at a stored byte offset and row number.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import boto3
import pytest

from chalicelib.services import imports as import_service
from tests.api.test_imports import all_accounts, find, job_of, post_csv, table_items, upload
from tests.api.test_imports import uploads as uploads  # noqa: F401  (the autouse bucket + queue fixture)

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`


def run_in_slices(api, queue_url: str, data: bytes, query: str = "type=accounts", **kwargs) -> dict[str, Any]:
    """Upload ``data`` and let every worker invocation stop after one chunk (its deadline is
    always near), delivering the continuations one by one until the job ends."""
    body = upload(api, data, query, **kwargs)
    sqs = boto3.client("sqs")
    invocations = 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            break
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        import_service.handle_queue_message(messages[0]["Body"], remaining_ms=lambda: 1_000)
        invocations += 1
        assert invocations < 200, "the job never ends"
    job = job_of(api, body["import_id"], **{k: v for k, v in kwargs.items() if k in ("user", "org", "role")})
    job["invocations"] = invocations
    return job


def adds_up(job: dict[str, Any], rows: int) -> None:
    assert job["status"] == "completed", job
    assert job["processed_rows"] == job["total_rows"] == rows
    assert job["created"] + job["duplicates"] + job["rejected"] == rows, job


def notes_by_email() -> dict[str, str]:
    out = {}
    for item in table_items("account"):
        emails = [e["S"] for e in item.get("emails", {}).get("L", [])]
        notes = item.get("notes", {}).get("S", "")
        for email in emails:
            out[email] = notes
    return out


# -- resuming in other encodings -----------------------------------------------------------------

ARABIC_ROWS = [(f"عميل رقم {i} — أحمد", f"c{i}@x.com", f"ملاحظة {i}: الرياض، جدة") for i in range(23)]


def arabic_csv(newline: str = "\r\n") -> str:
    lines = ["الاسم,البريد الإلكتروني,ملاحظات"] + [",".join(row) for row in ARABIC_ROWS]
    lines.insert(6, "")  # a blank line is counted as a row, so later row numbers shift by one
    lines.append("بدون بريد,not-an-email,x")  # kept without its e-mail: the warning's row number is checked
    return newline.join(lines) + newline


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-8", codecs.BOM_UTF8),
        ("cp1256", b""),
    ],
)
def test_resuming_at_a_byte_offset_decodes_identically_and_keeps_row_numbers(api, uploads, monkeypatch, encoding, bom):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 4)
    data = bom + arabic_csv().encode(encoding)
    job = run_in_slices(api, uploads, data)
    assert job["invocations"] >= 6
    adds_up(job, 24)
    assert job["created"] == 24
    # 1 header + 23 rows + 1 blank line: the bad e-mail is on line 26 of the spreadsheet
    assert [(w["row"], w["field"]) for w in job["warnings"] if w["row"] > 1] == [(26, "البريد الإلكتروني")]
    names = {item["name"]["S"] for item in table_items("account")}
    assert names == {name for name, _, _ in ARABIC_ROWS} | {"بدون بريد"}
    assert notes_by_email() == {email: notes for _, email, notes in ARABIC_ROWS}


def test_a_short_windows_1256_file_is_read_as_arabic_not_hebrew(api):
    """Excel on an Arabic Windows saves CSV as Windows-1256; a short such file must not be
    decoded as Windows-1255 (Hebrew), which charset-normalizer ranks equally."""
    r = post_csv(api, "الاسم,الجوال\r\nمحمد,0501234567\r\n".encode("cp1256"))
    assert r.status == 202, r.raw
    assert r.json["created"] == 1
    [account] = find(api, "0501234567")
    assert account["name"] == "محمد"


# -- chunk boundaries next to multi-line fields ----------------------------------------------------


def test_a_continuation_right_after_multiline_and_crlf_fields(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    rows = [
        ("A", "a@x.com", '"first\nsecond"', "first\nsecond"),
        ("B", "b@x.com", '"crlf\r\ninside"', "crlf\r\ninside"),  # chunk 1 ends right after this field
        ("C", "c@x.com", '"a ""quoted"" word,\nand a comma"', 'a "quoted" word,\nand a comma'),
        ("D", "d@x.com", '"note\r\n\r\n"', "note"),  # chunk 2 ends after a field ending in CRLFs (trimmed)
        ("E", "e@x.com", "plain", "plain"),
    ]
    data = "Name,Email,Notes\r\n" + "".join(f"{n},{e},{raw}\r\n" for n, e, raw, _ in rows) + "Bad,nope,x\r\n"
    job = run_in_slices(api, uploads, data.encode())
    adds_up(job, 6)
    assert job["invocations"] >= 3
    assert [(w["row"], w["field"]) for w in job["warnings"] if w["row"] > 1] == [(7, "Email")]
    assert notes_by_email() == {e: notes for _, e, _, notes in rows}


# -- dirty files ---------------------------------------------------------------------------------


def test_header_only_file_completes_with_nothing(api):
    for data in (b"Name,Email\n", b"Name,Email", codecs.BOM_UTF8 + b"Name,Email\r\n\r\n\r\n"):
        job = post_csv(api, data).json
        assert (job["status"], job["total_rows"], job["created"], job["rejected"]) == ("completed", 0, 0, 0)


def test_a_bom_only_file_is_400_and_a_bom_line_before_the_header_counts_as_a_row(api):
    r = post_csv(api, codecs.BOM_UTF8)
    assert r.is_problem(400) and "header" in r.json["detail"]
    job = post_csv(api, codecs.BOM_UTF8 + b"\r\nName,Email\r\nA,a@x.com\r\nB,bad\r\n").json
    assert job["created"] == 2  # B is kept without its bad e-mail
    assert [w["row"] for w in job["warnings"] if w["row"] > 1] == [4]  # the empty first line is row 1, the header row 2


def test_no_trailing_newline_and_trailing_blank_lines(api):
    job = post_csv(api, b"Name,Email\nA,a@x.com\nB,b@x.com").json
    assert (job["created"], job["total_rows"]) == (2, 2)
    job = post_csv(api, b"Name,Email\nC,c@x.com\n\n\n,,\n\r\n").json
    assert (job["created"], job["total_rows"], job["rejected"]) == (1, 1, 0)


def test_duplicate_headers_keep_every_value(api):
    data = b"Name,Email,Email,Website,Website,Name\nSara,s1@x.com,s2@x.com,one.com,two.com,Sara H\n"
    job = post_csv(api, data).json
    assert job["created"] == 1, job
    [sara] = find(api, "s1@x.com")
    assert sara["name"] == "Sara" and sara["emails"] == ["s1@x.com", "s2@x.com"]
    assert sara["custom_fields"] == {"Website": "one.com", "Website (5)": "two.com", "Name": "Sara H"}


def test_rows_with_more_or_fewer_fields_than_the_header(api):
    data = b"Name,Email,City\nShort,short@x.com\nLong,long@x.com,Riyadh,extra one,,extra three\n"
    job = post_csv(api, data).json
    assert (job["created"], job["rejected"]) == (2, 0), job
    [short] = find(api, "short@x.com")
    assert short["address"] == {} or short["address"].get("city", "") == ""
    [long] = find(api, "long@x.com")
    assert long["address"]["city"] == "Riyadh"
    assert long["custom_fields"] == {"column 4": "extra one", "column 6": "extra three"}


def test_nul_bytes_and_a_very_long_field(api):
    long_notes = "x" * 20_000  # over the 10,000 characters an account's notes may have
    data = f"Name,Email,Notes\nNul\x00Name,nul@x.com,ok\nLong,long@x.com,{long_notes}\nAfter,after@x.com,ok\n"
    job = post_csv(api, data.encode()).json
    assert job["status"] == "completed"
    assert (job["created"], job["rejected"]) == (2, 1), job
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(3, "Notes")]
    assert find(api, "nul@x.com")[0]["name"] == "NulName"  # control characters go, as in POST /accounts
    assert find(api, "after@x.com")


def test_a_field_over_the_csv_limit_costs_its_row_only(api):
    huge = "y" * (1024 * 1024 + 10)  # over reading.FIELD_LIMIT
    data = f"Name,Email,Notes\nA,a@x.com,ok\nHuge,huge@x.com,{huge}\nB,b@x.com,ok\n"
    job = post_csv(api, data.encode()).json
    assert (job["created"], job["rejected"]) == (2, 1), job
    assert job["errors"][0]["row"] == 3 and "CSV" in job["errors"][0]["message"]


def test_a_stray_quote_does_not_swallow_the_rows_after_it(api):
    """An opening quote nobody closed must cost its own row only, even when a later row has an
    ordinary quoted field (whose quote would otherwise "close" the stray one)."""
    data = (
        b"Name,Email,Company\n"
        b'"Ali,ali@x.com,Acme\n'  # stray opening quote
        b"Omar,omar@x.com,Noor\n"
        b'Sara,sara@x.com,"Haddad, Sons"\n'
        b"Lina,lina@x.com,Plain\n"
    )
    job = post_csv(api, data).json
    assert (job["created"], job["rejected"], job["total_rows"]) == (3, 1, 4), job
    assert [e["row"] for e in job["errors"]] == [2]
    assert find(api, "omar@x.com")[0]["company"] == "Noor"
    assert find(api, "sara@x.com")[0]["company"] == "Haddad, Sons"


# -- continuations and the end of the file --------------------------------------------------------


@pytest.mark.parametrize("trailer", [b"", b"\n\n"])
def test_a_file_that_ends_exactly_at_a_chunk_boundary(api, uploads, monkeypatch, trailer):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 5)
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(10))
    job = run_in_slices(api, uploads, ("Name,Email\n" + rows).encode() + trailer)
    adds_up(job, 10)
    assert job["created"] == 10


def test_an_inline_body_of_exactly_one_chunk_that_runs_out_of_time(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 5)
    monkeypatch.setenv("TAWASUL_IMPORT_INLINE_SECONDS", "0")
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(5))
    job = post_csv(api, ("Name,Email\n" + rows).encode()).json
    sqs = boto3.client("sqs")
    for message in sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10).get("Messages", []):
        import_service.handle_queue_message(message["Body"], remaining_ms=lambda: 1_000)
    job = job_of(api, job["id"])
    adds_up(job, 5)


# -- duplicates, re-runs and dry runs across chunks ------------------------------------------------


def test_duplicates_spanning_chunks_merge_into_the_first(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 3)
    data = (
        b"Name,Email,Phone,Company,External ID\n"
        b"Sara,sara@x.com,,,\n"
        b"Omar,omar@x.com,,,\n"
        b"No Contact,,,Acme,ext-1\n"
        b"Sara Again,SARA@x.com,0501234567,Noor,\n"  # chunk 2: same e-mail as row 2
        b"Omar Again,,,Acme,\n"
        b"No Contact 2,,,,ext-1\n"  # chunk 2: same external id as row 4
    )
    job = run_in_slices(api, uploads, data)
    adds_up(job, 6)
    assert (job["created"], job["duplicates"]) == (4, 2), job
    assert job["updated"] == 1  # documented: Sara, created in chunk 1, gains a phone and a company
    [sara] = find(api, "sara@x.com")
    assert sara["name"] == "Sara" and sara["phones"] == ["+966501234567"] and sara["company"] == "Noor"
    assert len(all_accounts(api)) == 4
    again = run_in_slices(api, uploads, data)
    assert (again["created"], again["updated"]) == (0, 0), again
    assert len(all_accounts(api)) == 4


def test_rerunning_a_file_that_needed_continuations_creates_nothing(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 4)
    data = (
        b"Name,Notes\n"
        + b"".join(f"Nameless {i},row {i}\n".encode() for i in range(9))  # no contact: ids from file + row
        + b"\n"
        + b"".join(f"Nameless {i},row {i}\n".encode() for i in range(9, 13))
    )
    first = run_in_slices(api, uploads, data)
    adds_up(first, 13)
    before = sorted((a["id"], a["version"]) for a in all_accounts(api))
    assert len(before) == 13
    second = run_in_slices(api, uploads, data)
    adds_up(second, 13)
    assert (second["created"], second["updated"], second["duplicates"]) == (0, 0, 13), second
    assert sorted((a["id"], a["version"]) for a in all_accounts(api)) == before


def test_a_leads_file_with_a_deal_id_twice_across_chunks(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    data = (
        b"Deal ID,Deal Title,Organization - Name,Deal - Stage\n"
        b"D1,First,Acme,Won\n"
        b"D2,Second,Acme,Lost\n"
        b"D3,Third,Noor,Prospecting\n"
        b"D1,First again,Acme,Lost\n"  # chunk 2: the same deal as row 2
        b"D4,Fourth,,\n"  # no customer: the deal's title names it (Zoho potentials)
        b"D5,,,Won\n"  # nothing names its customer: still a deal, on the "Unassigned deals" account
        b",,,\n"  # nothing at all: a blank line
    )
    job = run_in_slices(api, uploads, data, "type=leads")
    assert job["status"] == "completed"
    assert (job["created"], job["leads_existing"], job["rejected"]) == (5, 1, 0), job
    assert job["processed_rows"] == 6 and job["errors"] == []
    assert len(table_items("lead")) == 5 and len(table_items("account")) == 4
    [d5] = [lead for lead in table_items("lead") if lead["title"]["S"] == "Deal D5"]
    assert (d5["stage"]["S"], d5["status"]["S"]) == ("follow_up", "won")
    d1 = [lead for lead in table_items("lead") if lead["title"]["S"].startswith("First")]
    assert [lead["title"]["S"] for lead in d1] == ["First"]  # the first row wins, nothing overwritten


def test_a_dry_run_of_a_leads_file_counts_like_the_real_run(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    data = b"Deal ID,Deal Title,Organization - Name\nD1,First,Acme\nD2,Second,Acme\nD1,First again,Acme\nD3,x,Noor\n"
    dry = post_csv(api, data, "type=leads&dry_run=true").json
    assert table_items("lead") == [] and table_items("account") == []
    real = post_csv(api, data, "type=leads").json
    keys = ("created", "leads_created", "leads_existing", "accounts_created", "duplicates", "rejected")
    assert {k: dry[k] for k in keys} == {k: real[k] for k in keys}
    assert (real["created"], real["leads_existing"]) == (3, 1)


def test_a_dry_run_that_needs_continuations_writes_nothing_and_counts_every_row(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 3)
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(8)) + ",nope\n" + "Again,C0@x.com\n"
    job = run_in_slices(api, uploads, ("Name,Email\n" + rows).encode(), "type=accounts&dry_run=true")
    assert job["dry_run"] is True and job["invocations"] == 4
    adds_up(job, 10)
    assert job["rejected"] == 1 and [e["row"] for e in job["errors"]] == [10]
    # Documented: in-file duplicates are remembered for one invocation only, so the last row, a
    # duplicate of row 2 read three continuations later, is counted as a new account.
    assert (job["created"], job["duplicates"]) == (9, 0)
    assert table_items("account") == [] and table_items("claim") == [] and table_items("lead") == []
    # ... whereas one invocation remembers them
    one = post_csv(api, ("Name,Email\n" + rows).encode(), "type=accounts&dry_run=true").json
    assert (one["created"], one["duplicates"], one["rejected"]) == (8, 1, 1)


def test_counters_add_up_for_a_real_file_read_in_slices(api, uploads, monkeypatch):
    from tests.api.test_imports import DATA

    monkeypatch.setattr(import_service, "CHUNK_ROWS", 40)
    data = (DATA / "olist_ecommerce_sample" / "olist_order_reviews_dataset.csv").read_bytes()[:60_000]
    data = data[: data.rfind(b"\n") + 1]
    mapping = json.dumps({"review_id": "external_id", "review_comment_title": "name"})
    job = run_in_slices(api, uploads, data, "type=accounts&mapping=" + mapping)
    assert job["invocations"] > 3
    assert job["status"] == "completed"
    assert job["created"] + job["duplicates"] + job["rejected"] == job["processed_rows"]
    whole = post_csv(api, data, "type=accounts&dry_run=true&mapping=" + mapping).json
    assert whole["total_rows"] == job["total_rows"]
    assert whole["errors"] == job["errors"]


def test_a_merge_that_loses_a_race_is_counted_once_as_rejected(api, monkeypatch):
    """A row whose merge into an existing account hits a version conflict is rejected; it must
    not also stay counted as a duplicate, or the counters exceed the rows in the file."""
    from chalicelib.domain.errors import Conflict

    api.call("POST", "/accounts", {"name": "Sara", "emails": ["sara@x.com"]})

    def someone_else_changed_it(before, after):
        raise Conflict("The account was changed meanwhile.")

    monkeypatch.setattr(import_service.store, "update_account", someone_else_changed_it)
    job = post_csv(api, b"Name,Email,Company\nSara,sara@x.com,Noor\nNew,new@x.com,\n").json
    assert (job["created"], job["updated"], job["duplicates"], job["rejected"]) == (1, 0, 0, 1), job
    adds_up(job, 2)
    assert "Run the import again" in job["errors"][0]["message"] and job["errors"][0]["row"] == 2
