"""CSV import through the API, the queue worker and the resume job, against moto."""

from __future__ import annotations

import base64
import codecs
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.config import environment
from chalicelib.services import imports as import_service

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(autouse=True)
def uploads() -> Any:
    """The uploads bucket notifying the import queue, as infra/ and the local stack set it up."""
    settings = environment()
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    s3.create_bucket(Bucket=settings.uploads_bucket)
    url = sqs.create_queue(QueueName=settings.import_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=settings.uploads_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    sqs.purge_queue(QueueUrl=url)  # S3 sends an s3:TestEvent when the notification is set up
    return url


def post_csv(api, data: bytes, query: str = "type=accounts", **kwargs):
    return api.call(
        "POST",
        f"/imports?{query}",
        raw=data,
        headers={"Content-Type": "text/csv", **kwargs.pop("headers", {})},
        **kwargs,
    )


def test_small_import(api):
    r = post_csv(api, b"Name,Email,Phone\nAli,ALI@x.com,0501234567\n")
    assert r.status == 202, r.raw
    print(json.dumps(r.json, indent=1))


def job_of(api, import_id: str, **kwargs) -> dict[str, Any]:
    r = api.call("GET", f"/imports/{import_id}", **kwargs)
    assert r.status == 200, r.raw
    return r.json


def find(api, q: str, role: str = "manager") -> list[dict[str, Any]]:
    r = api.call("GET", "/accounts?q=" + q.replace("+", "%2B"), role=role)
    assert r.status == 200, r.raw
    return r.json["items"]


def all_accounts(api) -> list[dict[str, Any]]:
    r = api.call("GET", "/accounts?limit=200", role="manager")
    assert r.status == 200
    return r.json["items"]


def set_country(api, country: str) -> None:
    assert api.call("PUT", "/settings", {"default_country": country}, role="admin").status == 200


def table_items(kind: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb")
    items, start = [], None
    while True:
        kwargs = {
            "TableName": environment().table_name,
            # filtered in the store: moto's time goes into serialising what a Scan returns
            "FilterExpression": "#kind = :kind",
            "ExpressionAttributeNames": {"#kind": "kind"},
            "ExpressionAttributeValues": {":kind": {"S": kind}},
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)  # tests only: inspect everything written
        items += [i for i in page["Items"] if i["kind"]["S"] == kind]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


HUBSPOT_HEADER = (DATA / "header_rows" / "contacts_default_view_export_header.csv").read_bytes().strip()


def hubspot_export() -> bytes:
    rows = [
        '"101","Sara","Haddad","Sara.Haddad@Example.com","+966 50 123 4567","Omar","","2025-01-02","New",'
        '"Marketing","2024-12-01","Noor Trading"',
        '"102","Omar","Khalid","omar@example.com","0551234567","Omar","","","Open","Marketing","2024-12-02",""',
        '"103","","","","","Omar","","","","","2024-12-03",""',
    ]
    return codecs.BOM_UTF8 + HUBSPOT_HEADER + b"\r\n" + "\r\n".join(rows).encode() + b"\r\n"


def test_hubspot_utf8_bom_export(api):
    r = post_csv(api, hubspot_export())
    assert r.status == 202, r.raw
    job = r.json
    assert job["status"] == "completed"
    assert (job["created"], job["rejected"], job["total_rows"]) == (2, 1, 3)
    assert job["errors"] == [{"row": 4, "field": "name", "message": job["errors"][0]["message"]}]
    fields = {c["column"]: c["field"] for c in job["columns"]}
    assert fields["Record ID"] == "external_id" and fields["Phone Number"] == "phone" and fields["Email"] == "email"
    assert fields["Contact owner"] == "custom"  # kept, not dropped
    [sara] = find(api, "sara.haddad@example.com")
    assert sara["name"] == "Sara Haddad"
    assert sara["emails"] == ["sara.haddad@example.com"]
    assert sara["phones"] == ["+966501234567"]
    assert sara["company"] == "Noor Trading"
    assert sara["custom_fields"]["Contact owner"] == "Omar"
    assert sara["source"] == "import"
    [omar] = find(api, "0551234567")
    assert omar["phones"] == ["+966551234567"]


def test_windows_1256_excel_file_with_arabic_headers(api):
    text = (
        "الاسم;الجوال;البريد الإلكتروني;الشركة;المدينة\r\nمحمد أحمد;0501234567;M.Ahmad@Example.sa;شركة النور;الرياض\r\n"
    )
    text += "فاطمة علي;0505551234;;مؤسسة الأمل;جدة\r\n"
    r = post_csv(api, text.encode("cp1256"))
    assert r.status == 202, r.raw
    assert r.json["created"] == 2 and r.json["rejected"] == 0
    [mohammed] = find(api, "m.ahmad@example.sa")
    assert mohammed["name"] == "محمد أحمد"
    assert mohammed["company"] == "شركة النور"
    assert mohammed["address"] == {"city": "الرياض"}
    assert mohammed["phones"] == ["+966501234567"]
    [fatima] = find(api, "فاطمه")  # Arabic-forgiving name search finds the imported name keys
    assert fatima["phones"] == ["+966505551234"]


def test_utf16_tab_separated_unicode_text(api):
    text = "Name\tMobile\tEmail\nLina\t٠٥٠٠٠٠٠٠٠١\tlina@x.com\n"
    r = post_csv(api, codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert r.status == 202, r.raw
    assert r.json["created"] == 1
    [lina] = find(api, "lina@x.com")
    assert lina["phones"] == ["+966500000001"]  # Arabic-Indic digits read


def test_quoted_multiline_fields_blank_lines_and_row_numbers(api):
    data = (
        b"Name,Email,Notes\n"
        b'"Haddad, Sara",sara@x.com,"line one\nline two"\n'
        b"\n"
        b"Bad Mail,not-an-email,x\n"
        b'Omar,omar@x.com,"He said ""call me""\r\nlater"\n'
    )
    r = post_csv(api, data)
    assert r.status == 202, r.raw
    job = r.json
    assert job["created"] == 3  # the bad e-mail is left out, its customer kept
    # row 2 spans two lines, row 3 is blank: a spreadsheet shows the bad row as row 4
    assert [(w["row"], w["field"]) for w in job["warnings"] if w["row"] > 1] == [(4, "Email")]
    [sara] = find(api, "sara@x.com")
    assert sara["name"] == "Haddad, Sara" and sara["notes"] == "line one\nline two"
    [omar] = find(api, "omar@x.com")
    assert omar["notes"] == 'He said "call me"\r\nlater'


def test_every_bad_row_is_reported_and_the_others_imported(api):
    data = (
        b"Name,Email,Phone,Country\n"
        b"Good One,good1@x.com,0501111111,\n"
        b"No Contact Bad Phone,,12,\n"
        b",,,\n"
        b"Excel Mangled,,9.66501E+11,\n"
        b"Egyptian,,01001234567,EG\n"
        b'Broken "quote,a@x.com\n'
        b"Good Two,good2@x.com,,\n"
    )
    r = post_csv(api, data)
    job = r.json
    # Good One, Egyptian, Broken "quote (lenient read), Good Two, and the two rows whose only bad
    # value is a phone: kept without it (one bad field costs the field, not the customer)
    assert job["created"] == 6, job
    rows = {(w["row"], w["field"]) for w in job["warnings"]}
    assert (3, "Phone") in rows and (5, "Phone") in rows
    assert job["rejected"] == 0  # the all-empty row 4 is a blank line
    [egypt] = find(api, "+201001234567")  # read with the row's country, not the org's (SA)
    assert egypt["phones"] == ["+201001234567"] and egypt["address"] == {"country": "EG"}


def test_duplicates_in_the_file_and_with_existing_accounts_are_merged(api):
    existing = api.call("POST", "/accounts", {"name": "Sara H", "phones": ["+966501234567"], "tags": ["vip"]}).json
    data = (
        b"Name,Email,Phone,Company,Tags\n"
        b"Sara Haddad,sara@x.com,050 123 4567,Noor,lead\n"  # existing by phone (another format)
        b"Omar,omar@x.com,,,\n"
        b"Omar Khalid,OMAR@X.COM,0551234567,Acme,\n"  # same e-mail as the row above
    )
    r = post_csv(api, data)
    job = r.json
    assert (job["created"], job["updated"], job["duplicates"]) == (1, 1, 2), job
    sara = api.call("GET", f"/accounts/{existing['id']}").json
    assert sara["name"] == "Sara H"  # never overwritten
    assert sara["company"] == "Noor"  # empty field filled
    assert sara["emails"] == ["sara@x.com"] and sara["tags"] == ["vip", "lead"]
    assert sara["version"] == existing["version"] + 1
    [omar] = find(api, "omar@x.com")
    assert omar["phones"] == ["+966551234567"] and omar["company"] == "Acme"
    assert len(all_accounts(api)) == 2


def test_rerun_of_the_same_file_creates_nothing(api):
    data = hubspot_export() + b'"104","No","Contact","","","","","","","","",""\r\n'
    first = post_csv(api, data).json
    before = sorted((a["id"], a["version"]) for a in all_accounts(api))
    second = post_csv(api, data).json
    assert first["created"] == 3 and second["created"] == 0 and second["updated"] == 0
    assert second["duplicates"] == 3
    assert sorted((a["id"], a["version"]) for a in all_accounts(api)) == before
    assert len(table_items("claim")) == 4


def test_dry_run_reports_the_same_without_writing(api):
    data = b"Name,Email\nA,a@x.com\n,bad\nA again,A@x.com\n"  # row 3: nothing names its customer
    dry = post_csv(api, data, "type=accounts&dry_run=true").json
    assert dry["dry_run"] is True
    assert table_items("account") == [] and table_items("claim") == []
    real = post_csv(api, data).json
    keys = ("created", "updated", "duplicates", "rejected", "errors", "total_rows")
    assert {k: dry[k] for k in keys} == {k: real[k] for k in keys}
    assert real["created"] == 1 and real["duplicates"] == 1 and real["rejected"] == 1


def test_a_body_too_large_for_lambda_once_base64_encoded_is_413(api):
    row = b"Name,Email\n" + b"x" * 100 + b",a@x.com\n"
    body = row * (4_500_000 // len(row) + 1)
    assert len(base64.b64encode(body)) > 6_000_000  # what API Gateway would hand to Lambda
    r = post_csv(api, body)
    assert r.is_problem(413)
    assert "/imports/uploads" in r.json["detail"]


@pytest.mark.parametrize("content_type", ["", "application/json", "text/html"])
def test_a_csv_body_not_labelled_as_one_is_415(api, content_type):
    # API Gateway re-encodes a body whose type is not binary as UTF-8 text (Windows-1256 and UTF-16
    # files would be mangled), so only the CSV types registered as binary are read.
    r = api.call("POST", "/imports?type=accounts", raw=b"Name\nA\n", headers={"Content-Type": content_type})
    assert r.is_problem(415)


@pytest.mark.parametrize(
    ("query", "field"),
    [("type=contacts", "type"), ("type=accounts&mapping=%7Bnot", "mapping"), ("type=leads&dry_run=maybe", "dry_run")],
)
def test_bad_options_are_422(api, query, field):
    r = post_csv(api, b"Name\nA\n", query)
    assert r.is_problem(422)
    assert r.json["errors"][0]["field"] == field


def test_unknown_mapping_target_is_422(api):
    r = post_csv(api, b"Name\nA\n", "type=accounts&mapping=" + '{"Name":"nom"}')
    assert r.is_problem(422)


def test_empty_or_binary_body_is_400(api):
    assert post_csv(api, b"").is_problem(400)
    xlsx = bytes.fromhex("504b030414000600080000002100") + bytes(range(256)) * 20  # an .xlsx sent as CSV
    r = post_csv(api, xlsx)
    assert r.is_problem(400) and "CSV" in r.json["detail"]
    assert table_items("import") == []  # nothing is created for a file that cannot be read


def test_mapping_parameter_overrides_recognition(api):
    path = DATA / "x_education_lead_scoring" / "Leads.csv"
    head = b"".join(path.open("rb").readlines()[:51])
    plain = post_csv(api, head, "type=leads&dry_run=true").json
    assert plain["created"] == 50 and plain["mapping"]["Prospect ID"] == "id_name"  # no name, e-mail or phone
    mapping = json.dumps({"Prospect ID": "name", "Lead Number": "external_id", "Lead Source": "lead_source"})
    mapped = post_csv(api, head, "type=leads", headers={"X-Import-Mapping": mapping}).json
    assert mapped["created"] == 50 and mapped["rejected"] == 0
    leads = table_items("lead")
    assert len(leads) == 50
    assert all("Lead Origin" in lead["custom_fields"]["M"] for lead in leads)  # extra columns kept on the deal


def test_the_encoding_option_reads_a_file_detection_would_misread(api, uploads):
    czech = "Name,Email\nJiří Čermák,jiri@example.cz\n".encode("cp1250")
    r = post_csv(api, czech, "type=accounts&encoding=windows-1250")
    assert r.status == 202 and r.json["created"] == 1, r.raw
    assert [a["name"] for a in all_accounts(api)] == ["Jiří Čermák"]
    second = "Name,Email\nŘehoř Šťastný,rehor@example.cz\n".encode("cp1250")
    body = upload(api, second, "type=accounts&encoding=cp1250")
    assert drain(api, uploads) == 1  # the worker reads the upload with the encoding the request named
    assert job_of(api, body["import_id"])["created"] == 1
    assert "Řehoř Šťastný" in [a["name"] for a in all_accounts(api)]
    bad = post_csv(api, czech, "type=accounts&encoding=rot13")
    assert bad.is_problem(422) and bad.json["errors"][0]["field"] == "encoding"


def test_leads_from_the_maven_pipeline(api):
    set_country(api, "US")
    lines = (DATA / "maven_crm_sales_opportunities" / "sales_pipeline.csv").open("rb").readlines()[:201]
    job = post_csv(api, b"".join(lines), "type=leads").json
    stages = [line.decode().split(",")[4] for line in lines[1:]]
    valid = [line for line in lines[1:] if line.decode().split(",")[3]]
    orphans = 200 - len(valid)  # no account: kept on the "Unassigned deals" account
    assert orphans and job["created"] == 200 and job["rejected"] == 0
    leads = {lead["id"]["S"]: lead for lead in table_items("lead")}
    won = [lead for lead in leads.values() if lead["status"]["S"] == "won"]
    lost = [lead for lead in leads.values() if lead["status"]["S"] == "lost"]
    assert won and all(lead["stage"]["S"] == "follow_up" for lead in won)
    assert len(won) == sum(1 for line in valid if line.decode().split(",")[4] == "Won")
    assert lost and all(lead["lost_reason"]["S"] == "imported as Lost" for lead in lost)
    assert "Engaging" in stages
    accounts = table_items("account")
    companies = {line.decode().split(",")[3] for line in valid} | {"Unassigned deals"}
    assert {a["name"]["S"] for a in accounts} == companies  # one account per company, many deals each
    assert job["duplicates"] == 200 - len(companies)
    assert len(table_items("link")) == 200
    again = post_csv(api, b"".join(lines), "type=leads").json
    assert again["created"] == 0 and again["leads_existing"] == 200
    assert len(table_items("lead")) == 200


def test_salesforce_windows_1252_accounts_export(api):
    set_country(api, "US")
    r = post_csv(api, (DATA / "salesforce_dataloader" / "accountData.csv").read_bytes())
    job = r.json
    assert job["total_rows"] == 423
    assert job["created"] + job["duplicates"] + job["rejected"] == 423
    assert job["rejected"] < 20 and all(e["field"] == "PHONE" for e in job["errors"])
    names = {item["name"]["S"] for item in table_items("account")}
    assert any("º" in n or "ş" in n for n in names) or len(names) > 300


def test_zoho_contacts_export(api, uploads):
    set_country(api, "US")
    job = post_csv(api, (DATA / "zoho_crm_analytics_sample" / "Contacts.csv").read_bytes()).json
    if job["status"] == "running":  # a slow machine: the request's time budget ran out, the worker goes on
        drain(api, uploads)
        job = job_of(api, job["id"])
    assert job["rejected"] == 0 and job["created"] + job["duplicates"] == 1265


def test_imports_are_private_to_their_owner_and_tenant(api):
    job = post_csv(api, b"Name\nA\n").json
    assert api.call("GET", f"/imports/{job['id']}", user="rep-2").is_problem(404)
    assert api.call("GET", f"/imports/{job['id']}", org="org-b", role="manager").is_problem(404)
    assert api.call("GET", f"/imports/{job['id']}", user="boss", role="manager").status == 200
    assert api.call("GET", "/imports/nope").is_problem(404)
    assert api.call("GET", f"/imports/{job['id']}", auth=False).is_problem(401)


def test_a_rep_cannot_merge_into_another_reps_customer(api):
    api.call("POST", "/accounts", {"name": "Theirs", "emails": ["t@x.com"]}, user="rep-2")
    job = post_csv(api, b"Name,Email,Company\nMine,t@x.com,Acme\n").json
    assert job["rejected"] == 1 and job["created"] == 0
    [theirs] = find(api, "t@x.com")
    assert theirs["company"] == "" and theirs["owner_id"] == "rep-2"


def test_an_import_costs_few_dynamodb_calls(api, ddb_calls):
    rows = "".join(f"Customer {i},c{i}@x.com,05{i:08d}\n" for i in range(400))
    ddb_calls()
    job = post_csv(api, ("Name,Email,Phone\n" + rows).encode()).json
    calls = ddb_calls()
    assert job["created"] == 400
    assert calls.count("TransactWriteItems") == 0 and calls.count("GetItem") <= 2
    # 400 accounts x (profile, which also indexes the full name, + 2 claims + 1 later-word name
    # key) = 1600 items = 64 batches of 25
    assert calls.count("BatchWriteItem") == 64
    assert calls.count("BatchGetItem") <= 12
    assert len(calls) / 400 < 0.3


def upload(api, data: bytes, query: str = "type=accounts", **kwargs) -> dict[str, Any]:
    r = api.call("POST", f"/imports/uploads?{query}", **kwargs)
    assert r.status == 201, r.raw
    body = r.json
    assert body["job"]["status"] == "queued" and body["method"] == "PUT"
    assert environment().uploads_bucket in body["upload_url"] and "X-Amz-Signature" in body["upload_url"]
    key = f"uploads/{kwargs.get('org', 'org-a')}/{body['import_id']}.csv"
    boto3.client("s3").put_object(Bucket=environment().uploads_bucket, Key=key, Body=data, ContentType="text/csv")
    return body


def drain(api, queue_url: str) -> int:
    """Deliver queued messages to the worker Lambda as SQS would (batch size 1)."""
    assert queue_url.endswith("/" + environment().import_queue)  # the one work queue
    return int(api.drain_work_queue())


def test_the_worker_runs_in_a_fresh_lambda_that_has_served_no_http_request(api, uploads, monkeypatch):
    """On AWS the worker's Lambda never sees an HTTP request, so app.lambda_context is unset;
    the deadline must come from the SQS event's own context."""
    from app import app

    body = upload(api, hubspot_export())
    monkeypatch.delattr(app, "lambda_context", raising=False)
    assert drain(api, uploads) == 1
    assert job_of(api, body["import_id"])["status"] == "completed"


def test_presigned_upload_is_processed_from_the_s3_event(api, uploads):
    body = upload(api, hubspot_export())
    assert drain(api, uploads) == 1
    job = job_of(api, body["import_id"])
    assert (job["status"], job["created"], job["rejected"]) == ("completed", 2, 1)
    assert job["size_bytes"] == len(hubspot_export())
    assert drain(api, uploads) == 0
    # a repeated S3 event (at-least-once delivery) changes nothing
    event = {
        "Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": f"uploads/org-a/{job['id']}.csv"}}}]
    }
    import_service.handle_queue_message(json.dumps(event))
    assert job_of(api, body["import_id"])["version"] == job["version"]


def test_an_upload_over_the_size_limit_is_deleted_unread_and_the_job_fails(api, uploads, monkeypatch):
    monkeypatch.setenv("TAWASUL_MAX_UPLOAD_BYTES", "200")
    data = ("Name,Email\n" + "".join(f"Customer {i},c{i}@x.com\n" for i in range(20))).encode()
    assert len(data) > 200
    body = upload(api, data)
    assert body["max_bytes"] == 200
    assert drain(api, uploads) == 1
    job = job_of(api, body["import_id"])
    assert (job["status"], job["processed_rows"], job["created"]) == ("failed", 0, 0)
    assert job["size_bytes"] == len(data)
    assert f"The file is {len(data)} bytes; uploads of up to 200 bytes are imported" in job["failure"]
    key = f"uploads/org-a/{body['import_id']}.csv"
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=environment().uploads_bucket, Prefix=key)
    assert table_items("account") == []


def test_a_job_resumes_where_it_stopped_after_a_timeout(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 50)
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(230))
    body = upload(api, ("Name,Email\n" + rows + "Dup,C1@X.COM\n").encode())
    message = boto3.client("sqs").receive_message(QueueUrl=uploads)["Messages"][0]
    boto3.client("sqs").delete_message(QueueUrl=uploads, ReceiptHandle=message["ReceiptHandle"])
    # The first invocation is about to time out after its first chunk.
    import_service.handle_queue_message(message["Body"], remaining_ms=lambda: 1_000)
    job = job_of(api, body["import_id"])
    assert (job["status"], job["processed_rows"], job["created"]) == ("running", 50, 50)
    assert 0 < job["processed_bytes"] < job["size_bytes"]
    assert len(table_items("account")) == 50
    # ... it left a continuation message; later invocations finish the file from row 52, one chunk
    # each (the test Lambda context has 3 s left, under the worker's 15 s reserve).
    assert drain(api, uploads) == 4
    job = job_of(api, body["import_id"])
    assert job["status"] == "completed"
    assert (job["processed_rows"], job["created"], job["duplicates"]) == (231, 230, 1)
    assert len(table_items("account")) == 230


def test_progress_is_saved_only_after_a_chunks_writes_succeed(api, uploads, monkeypatch):
    """If a chunk's batch writes fail, the job must not record the chunk, so the retried message
    writes it again."""
    from chalicelib.persistence import db

    monkeypatch.setattr(import_service, "CHUNK_ROWS", 20)
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(60))
    body = upload(api, ("Name,Email\n" + rows).encode())
    message = boto3.client("sqs").receive_message(QueueUrl=uploads)["Messages"][0]
    real_write, written = db.batch_write, []

    def failing_on_the_second_chunk(puts=(), deletes=(), **kwargs):
        written.append(len(list(puts)))
        if len(written) > 2:  # two writes per chunk: claims and name keys, then the profiles
            raise RuntimeError("DynamoDB left 25 writes unprocessed after 8 tries")
        return real_write(puts, deletes, **kwargs)

    monkeypatch.setattr(db, "batch_write", failing_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        import_service.handle_queue_message(message["Body"])
    job = job_of(api, body["import_id"])
    assert (job["status"], job["processed_rows"], job["created"]) == ("running", 20, 20)
    monkeypatch.setattr(db, "batch_write", real_write)
    import_service.handle_queue_message(message["Body"])  # SQS delivers the message again
    job = job_of(api, body["import_id"])
    assert (job["status"], job["processed_rows"], job["created"], job["duplicates"]) == ("completed", 60, 60, 0)
    assert len(table_items("account")) == 60


def test_a_file_sent_inline_and_then_uploaded_creates_its_contactless_deals_once(api, uploads):
    data = b"Deal Name,Account Name,Stage,Amount\nRenewal,Acme,Closing,100\nPilot,Beta Co,Prospecting,50\n"
    first = post_csv(api, data, "type=leads", role="manager").json
    assert first["created"] == 2
    body = upload(api, data, "type=leads", role="manager")
    drain(api, uploads)
    again = job_of(api, body["import_id"], role="manager")
    assert (again["status"], again["created"]) == ("completed", 0)  # same ids: the checksum is the same
    assert len(table_items("lead")) == 2


def test_an_upload_read_that_breaks_is_reopened_where_it_stopped(api, monkeypatch):
    from botocore.exceptions import ResponseStreamingError

    from chalicelib import storage

    data = bytes(range(256)) * 3000  # 768,000 bytes: three 256 KB pieces
    key = "uploads/org-a/broken.csv"
    boto3.client("s3").put_object(Bucket=environment().uploads_bucket, Key=key, Body=data)
    client, ranges = storage.s3(), []
    real_get = client.get_object

    def flaky_get(**kwargs):
        ranges.append(kwargs["Range"])
        response = real_get(**kwargs)
        if len(ranges) == 1:  # the first connection breaks after one piece
            body, reads = response["Body"], []

            class Breaking:
                def read(self, amount):
                    reads.append(amount)
                    if len(reads) > 1:
                        raise ResponseStreamingError(error="Connection broken: IncompleteRead")
                    return body.read(amount)

            response["Body"] = Breaking()
        return response

    monkeypatch.setattr(client, "get_object", flaky_get)
    assert b"".join(storage.read_range(key, 10)) == data[10:]
    assert ranges == ["bytes=10-", f"bytes={10 + storage.READ_CHUNK}-"]
    assert b"".join(storage.read_range(key, len(data))) == b""  # resumed exactly at the end
    assert b"".join(storage.read_range(key, 5, 20)) == data[5:25]


def test_a_stalled_import_is_resumed_by_the_scheduled_job(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 20)
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(60))
    body = upload(api, ("Name,Email\n" + rows).encode())
    message = boto3.client("sqs").receive_message(QueueUrl=uploads)["Messages"][0]
    import_service.handle_queue_message(message["Body"], remaining_ms=lambda: 1_000)
    for lost in boto3.client("sqs").receive_message(QueueUrl=uploads, MaxNumberOfMessages=10).get("Messages", []):
        # the continuation is lost (e.g. it went to the DLQ)
        boto3.client("sqs").delete_message(QueueUrl=uploads, ReceiptHandle=lost["ReceiptHandle"])
    from chalicelib.jobs import JOBS

    assert JOBS["resume_stalled_imports"].run() == {"resumed": 0, "failed": 0}  # not stalled yet
    monkeypatch.setattr(import_service, "STALLED_AFTER", import_service.timedelta(seconds=0))
    assert JOBS["resume_stalled_imports"].run()["resumed"] == 1
    assert job_of(api, body["import_id"])["status"] in ("running", "completed")
    drain(api, uploads)
    job = job_of(api, body["import_id"])
    assert (job["status"], job["created"]) == ("completed", 60)


def test_an_inline_import_whose_request_died_is_failed_by_the_sweeper_not_left_running(api, monkeypatch):
    from chalicelib.domain.imports.job import ImportJob
    from chalicelib.jobs import JOBS
    from chalicelib.persistence import imports as import_store

    at = import_service.now() - import_service.timedelta(minutes=30)
    job = import_store.create_job(
        ImportJob(
            id="died-inline", org_id="org-a", owner_id="rep-1", owner_role="rep", import_type="accounts",
            origin="inline", created_at=at, updated_at=at, status="running", processed_rows=500,
        )
    )  # fmt: skip
    assert not job.object_key  # the body lived only in the request that was killed
    assert JOBS["resume_stalled_imports"].run() == {"resumed": 0, "failed": 1}
    found = job_of(api, "died-inline")
    assert found["status"] == "failed" and "send the file again" in found["failure"]


def test_the_sweeper_resumes_every_stalled_import_not_only_a_first_page(api, uploads):
    """Queuing a continuation does not move a job on the index it is found by: a sweeper that
    read one page would queue the same oldest jobs on every run and never the others."""
    from chalicelib.domain.imports.job import ImportJob
    from chalicelib.jobs import JOBS
    from chalicelib.persistence import imports as import_store

    for i in range(60):
        at = import_service.now() - import_service.timedelta(minutes=30 + i)
        import_store.create_job(
            ImportJob(
                id=f"stalled-{i:02d}", org_id="org-a", owner_id="rep-1", owner_role="rep", import_type="accounts",
                origin="upload", object_key=f"uploads/org-a/stalled-{i:02d}.csv", created_at=at, updated_at=at,
                status="running", processed_rows=100,
            )
        )  # fmt: skip
    assert JOBS["resume_stalled_imports"].run() == {"resumed": 60, "failed": 0}
    sqs = boto3.client("sqs")
    queued: set[str] = set()
    while batch := sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            queued.add(json.loads(message["Body"])["tawasul_import"]["id"])
            sqs.delete_message(QueueUrl=uploads, ReceiptHandle=message["ReceiptHandle"])
    assert queued == {f"stalled-{i:02d}" for i in range(60)}


def test_a_large_inline_body_continues_in_the_worker(api, uploads, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 10)
    monkeypatch.setenv("TAWASUL_IMPORT_INLINE_SECONDS", "0")
    rows = "".join(f"Customer {i},c{i}@x.com\n" for i in range(35))
    job = post_csv(api, ("Name,Email\n" + rows).encode()).json
    assert job["status"] == "running" and job["processed_rows"] == 10
    assert drain(api, uploads) >= 1  # the stored body's S3 event continues the job
    job = job_of(api, job["id"])
    assert (job["status"], job["created"]) == ("completed", 35)


def test_imported_leads_keep_their_rep_on_the_account_until_the_last_one_leaves(api):
    """Two imported deals on one company: moving one to another rep must not hide the account
    from the rep who still owns the other (the access link counts its leads)."""
    csv = (
        b"Deal - Title,Organization - Name,Deal - Stage\n"
        b"First deal,Acme Trading,Prospecting\nSecond deal,Acme Trading,Prospecting\n"
    )
    job = post_csv(api, csv, "type=leads", user="rep-1").json
    assert job["created"] == 2, job
    (access,) = [i for i in table_items("access") if i["user_id"]["S"] == "rep-1"]
    assert access["reasons"]["N"] == "2"
    leads = api.call("GET", "/leads", user="rep-1").json["items"]
    account_id = leads[0]["account_id"]
    moved = api.call(
        "PATCH", f"/leads/{leads[0]['id']}", {"version": leads[0]["version"], "owner_id": "rep-2"}, role="manager"
    )
    assert moved.status == 200, moved.raw
    assert api.call("GET", f"/accounts/{account_id}", user="rep-1").status == 200
    (access,) = [i for i in table_items("access") if i["user_id"]["S"] == "rep-1"]
    assert access["reasons"]["N"] == "1"
    api.call("PATCH", f"/leads/{leads[1]['id']}", {"version": leads[1]["version"], "owner_id": "rep-2"}, role="manager")
    # rep-1 imported (so owns) the account and keeps it; the link for their leads is gone.
    assert [i for i in table_items("access") if i["user_id"]["S"] == "rep-1"] == []
    assert api.call("GET", f"/accounts/{account_id}", user="rep-2").status == 200


def test_imported_records_start_at_version_one_and_can_be_edited(api):
    post_csv(api, b"Name,Email\nEdit Me,edit@x.com\n")
    (account,) = api.call("GET", "/accounts").json["items"]
    assert account["version"] == 1
    r = api.call("PATCH", f"/accounts/{account['id']}", {"version": 1, "title": "Buyer"})
    assert r.status == 200 and r.json["version"] == 2


def test_a_small_file_of_new_accounts_is_one_write_rows_and_finished_job_together(api, ddb_calls):
    ddb_calls()
    r = post_csv(api, "Name,Email,Phone\nAli,ali@x.com,0501234567\nسارة محمود,sara@x.com,0551234567\n".encode())
    assert r.status == 202 and r.json["status"] == "completed" and r.json["created"] == 2, r.raw
    # settings, the claims and ids looked up, one transaction: the accounts and the finished job
    assert ddb_calls() == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    job = api.call("GET", f"/imports/{r.json['id']}").json
    assert (job["status"], job["processed_rows"], job["total_rows"], job["version"]) == ("completed", 2, 2, 1)
    assert [a["name"] for a in find(api, "sara@x.com")] == ["سارة محمود"]
    assert find(api, "0501234567")[0]["emails"] == ["ali@x.com"]
    # the claims were written too: the same e-mail again is a duplicate, not a second account
    again = post_csv(api, b"Name,Email\nAli Again,ali@x.com\n").json
    assert again["duplicates"] == 1 and again["created"] == 0


def test_a_small_file_that_merges_stores_its_job_before_writing(api, ddb_calls):
    api.call("POST", "/accounts", {"name": "Ali", "emails": ["ali@x.com"]})
    ddb_calls()
    job = post_csv(api, b"Name,Email,Company\nAli,ali@x.com,Acme\nNew One,new@x.com,\n").json
    calls = ddb_calls()
    assert (job["status"], job["updated"], job["created"]) == ("completed", 1, 1), job
    # a merge is its own version-conditioned transaction: the job is put first, as for a large file
    assert calls.index("PutItem") < calls.index("TransactWriteItems") < calls.index("BatchWriteItem")
    assert find(api, "ali@x.com")[0]["company"] == "Acme"


def test_a_small_dry_run_stores_only_the_finished_job(api, ddb_calls):
    ddb_calls()
    job = post_csv(api, b"Name,Email\nAli,ali@x.com\nSami,sami@x.com\n", query="type=accounts&dry_run=true").json
    assert (job["status"], job["dry_run"], job["created"]) == ("completed", True, 2), job
    assert ddb_calls() == ["GetItem", "BatchGetItem", "TransactWriteItems"]  # the job, no account
    assert find(api, "ali@x.com") == []
    assert api.call("GET", f"/imports/{job['id']}").json["created"] == 2
