"""Defects found from outside (issue 9): each test here failed before its fix."""

from __future__ import annotations

import pytest

# -- token claims (an oversized or odd org/sub on every route: tests/api/test_access_matrix.py) --------


def test_an_account_owner_set_by_a_manager_is_an_id_like_any_other(api):
    for owner in ["rep#2", "r" * 129, "a b"]:
        r = api.call("POST", "/accounts", {"name": "x", "owner_id": owner}, role="manager")
        assert r.is_problem(422), (owner, r.raw)
        assert r.json["errors"][0]["field"] == "owner_id"
    assert api.call("POST", "/accounts", {"name": "x", "owner_id": "rep-2"}, role="manager").status == 201


def test_a_token_past_the_clock_leeway_is_401_and_the_document_says_how_long_it_is(api):
    from chalicelib.auth import LEEWAY_SECONDS

    assert LEEWAY_SECONDS <= 30
    late = api.call("GET", "/accounts", auth=False, headers={"Authorization": f"Bearer {api.token(ttl=-31)}"})
    assert late.is_problem(401) and "expired" in late.json["detail"]
    recent = api.call("GET", "/accounts", auth=False, headers={"Authorization": f"Bearer {api.token(ttl=-10)}"})
    assert recent.status == 200, recent.raw
    doc = api.call("GET", "/openapi.json", auth=False).json
    assert f"{LEEWAY_SECONDS} s past its exp" in doc["components"]["securitySchemes"]["bearer"]["description"]
    assert f"{LEEWAY_SECONDS} s" in doc["paths"]["/accounts"]["get"]["responses"]["401"]["description"]


# -- the body parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}",
        '{"name": "x", "notes": ' + "1" * 4_301 + "}",
        '{"name": "x", "notes": NaN}',
        '{"name": "x", "notes": 1e400}',
    ],
)
def test_json_the_parser_cannot_hold_is_a_400_problem(api, raw):
    for method, path, role in [("POST", "/accounts", "rep"), ("PUT", "/settings", "admin")]:
        r = api.call(method, path, raw=raw, role=role)
        assert r.is_problem(400), (method, path, raw[:30], r.status, r.raw[:300])


def test_json_nested_just_under_the_parser_limit_is_refused_as_a_rule_not_a_500(api):
    deep = "[" * 900 + "]" * 900
    for method, path, role, raw in [
        ("POST", "/accounts", "rep", '{"name": "x", "custom_fields": {"a": ' + deep + "}}"),
        ("PUT", "/settings", "admin", '{"follow_up": {"checkin_days": ' + deep + "}}"),
    ]:
        r = api.call(method, path, raw=raw, role=role)
        assert r.status in (400, 422) and r.is_problem(r.status), (path, r.status, r.raw[:300])


def test_an_import_mapping_the_parser_cannot_hold_is_a_422(api):
    for mapping in ["[" * 5_000 + "]" * 5_000, '{"a": ' + "9" * 5_000 + "}"]:
        r = api.call("POST", "/imports/uploads?type=leads", headers={"X-Import-Mapping": mapping})
        assert r.is_problem(422), r.raw[:300]
        assert r.json["errors"][0]["field"] == "mapping"


# -- amounts and query values -----------------------------------------------------------------


def test_a_negative_zero_amount_is_stored_and_shown_as_zero(api):
    from tests.api.pipeline_helpers import account, lead

    created = lead(api, account(api), body={"value": {"amount": "-0.00", "currency": "SAR"}})
    assert created["value"] == {"amount": "0.00", "currency": "SAR"}
    assert api.call("GET", f"/leads/{created['id']}").json["value"]["amount"] == "0.00"
    r = api.call(
        "POST",
        f"/leads/{created['id']}/objections",
        {"category": "price", "text": "غالي", "counter_offer": {"amount": "-0", "currency": "SAR"}},
    )
    assert r.status == 201 and r.json["counter_offer"]["amount"] == "0.00", r.raw


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/leads?stage=", "stage"),
        ("GET", "/leads?status=", "status"),
        ("GET", "/leads?owner_id=", "owner_id"),
        ("GET", "/leads?stage=closing&status=", "status"),
        ("GET", "/leads?stage=closing&stage=", "stage"),
        ("GET", "/accounts?q=", "q"),
        ("GET", "/accounts?q=%20", "q"),
        ("GET", "/accounts?limit=", "limit"),
        ("GET", "/accounts?cursor=", "cursor"),
        ("POST", "/imports?type=accounts&dry_run=", "dry_run"),
        ("POST", "/imports?type=", "type"),
        ("POST", "/imports/uploads?type=leads&encoding=", "encoding"),
        ("GET", "/accounts/x1/timeline?limit=", "limit"),
    ],
)
def test_an_empty_query_value_is_a_422_naming_it_never_ignored(api, method, path, name):
    r = api.call(method, path, raw=b"name\nAli\n", headers={"Content-Type": "text/csv"}, role="admin")
    assert r.is_problem(422), (path, r.status, r.raw[:300])
    assert [e["field"] for e in r.json["errors"]] == [name]


def test_an_empty_dry_run_imports_nothing(api):
    r = api.call("POST", "/imports?type=accounts&dry_run=", raw=b"name\nAli\n", headers={"Content-Type": "text/csv"})
    assert r.is_problem(422)
    assert api.call("GET", "/accounts").json["items"] == []


def test_an_owner_filter_that_cannot_be_an_id_is_a_422(api):
    for owner in ["o" * 2100, "rep%231", "a%20b"]:
        r = api.call("GET", f"/leads?owner_id={owner}", role="manager")
        assert r.is_problem(422), (owner[:10], r.status, r.raw[:300])
        assert r.json["errors"][0]["field"] == "owner_id"


# -- cursors ----------------------------------------------------------------------------------


def _flat(cursor: str) -> dict[str, str]:
    import base64
    import json

    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _edited(cursor: str, drop: str) -> str:
    import base64
    import json

    flat = {k: v for k, v in _flat(cursor).items() if k != drop}
    return base64.urlsafe_b64encode(json.dumps(flat).encode()).decode().rstrip("=")


def test_an_edited_cursor_is_a_400_on_every_list(api):
    from tests.api.pipeline_helpers import account, lead

    acc = ""
    for n in range(3):
        acc = account(api, f"Ahmad {n}", role="manager", user="mgr-1", body={"owner_id": "rep-1"})
        lead(api, acc, role="manager", user="mgr-1", body={"owner_id": "rep-1"})
    at = "2026-11-22T09:30:00Z"
    for n in range(3):
        touch = {"account_id": acc, "channel": "phone", "direction": "inbound", "body": f"{n}", "occurred_at": at}
        assert api.call("POST", "/interactions", touch).status == 201
    lists = [
        ("/accounts?limit=1", "manager", "gsi1sk"),
        ("/accounts?limit=1", "rep", "gsi2sk"),
        ("/accounts?q=ahmad&limit=1", "rep", "gsi3sk"),
        ("/leads?limit=1", "manager", "gsi1sk"),
        ("/leads?limit=1", "rep", "gsi2sk"),
        ("/leads?stage=prospecting&status=open&limit=1", "manager", "gsi3sk"),
        (f"/accounts/{acc}/timeline?limit=1", "rep", "sk"),
    ]
    for path, role, index_sort_key in lists:
        first = api.call("GET", path, role=role)
        cursor = first.json["next_cursor"]
        assert cursor and index_sort_key in _flat(cursor), (path, role, first.raw[:300])
        assert api.call("GET", f"{path}&cursor={cursor}", role=role).status == 200
        for drop in {index_sort_key, "sk", "pk"}:
            r = api.call("GET", f"{path}&cursor={_edited(cursor, drop)}", role=role)
            assert r.is_problem(400), (path, role, drop, r.status, r.raw[:300])
            assert r.json["field"] == "cursor"


def test_a_search_cursor_reused_for_another_prefix_is_a_400(api):
    from tests.api.pipeline_helpers import account

    for n in range(3):
        account(api, f"Ahmad {n}")
    cursor = api.call("GET", "/accounts?q=ahmad&limit=1").json["next_cursor"]
    assert cursor
    r = api.call("GET", f"/accounts?q=ali&cursor={cursor}")  # same index partition, outside begins_with
    assert r.is_problem(400), r.raw


# -- the store's transient failures ------------------------------------------------------------


@pytest.fixture
def store_fails(monkeypatch):
    """Make the next DynamoDB ``operation`` (optionally on one table) fail as the service would."""
    import botocore.client
    from botocore.exceptions import ClientError, EndpointConnectionError

    original = botocore.client.BaseClient._make_api_call

    def arrange(operation: str, code: str, status: int = 400, *, table: str | None = None, reasons=None):
        def failing(self, name, params):
            named = table is None or table in (params.get("TableName"), *params.get("RequestItems", {}))
            if self.meta.service_model.service_name == "dynamodb" and name == operation and named:
                if code == "connection":
                    raise EndpointConnectionError(endpoint_url="http://dynamodb")
                response = {
                    "Error": {"Code": code, "Message": "injected"},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                }
                if reasons:
                    response["CancellationReasons"] = [{"Code": r} for r in reasons]
                raise ClientError(response, name)
            return original(self, name, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing)

    return arrange


def _assert_retry_later(r, seconds: int | None = None) -> None:
    assert r.is_problem(503), (r.status, r.raw[:300])
    assert r.json["type"].endswith(":unavailable")
    retry_after = r.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1
    if seconds is not None:
        assert int(retry_after) == seconds


@pytest.mark.parametrize(
    ("code", "status", "seconds"),
    [
        ("ThrottlingException", 400, 1),
        ("ProvisionedThroughputExceededException", 400, 1),
        ("RequestLimitExceeded", 400, 1),
        ("InternalServerError", 500, 5),
        ("ServiceUnavailable", 503, 5),
        ("connection", 0, 5),
    ],
)
def test_a_store_failure_inside_a_transaction_is_a_503_with_retry_after(api, store_fails, code, status, seconds):
    store_fails("TransactWriteItems", code, status)
    _assert_retry_later(api.call("POST", "/accounts", {"name": "x"}), seconds)


def test_a_transaction_cancelled_by_throttling_is_a_503_and_by_a_conflict_still_a_409(api, store_fails):
    store_fails("TransactWriteItems", "TransactionCanceledException", reasons=["None", "ThrottlingError"])
    _assert_retry_later(api.call("POST", "/accounts", {"name": "x"}), 1)
    store_fails("TransactWriteItems", "TransactionCanceledException", reasons=["TransactionConflict"])
    assert api.call("POST", "/accounts", {"name": "x"}).is_problem(409)


def test_store_failures_on_reads_and_single_or_batch_writes_are_503(api, store_fails):
    from chalicelib.config import environment

    acc = api.call("POST", "/accounts", {"name": "x"}, role="manager").json
    cases = [
        ("GetItem", "ProvisionedThroughputExceededException", 400, "GET", f"/accounts/{acc['id']}", None, "manager"),
        ("BatchGetItem", "InternalServerError", 500, "GET", f"/accounts/{acc['id']}", None, "rep"),
        ("Query", "ThrottlingException", 400, "GET", "/accounts", None, "manager"),
        ("PutItem", "ServiceUnavailable", 503, "PUT", "/settings", {"default_country": "AE"}, "admin"),
        ("TransactWriteItems", "RequestLimitExceeded", 400, "DELETE", f"/accounts/{acc['id']}", None, "manager"),
    ]
    for operation, code, status, method, path, body, role in cases:
        store_fails(operation, code, status)
        _assert_retry_later(api.call(method, path, body, role=role))
    store_fails("PutItem", "ThrottlingException", table=environment().idempotency_table_name)
    r = api.call("POST", "/accounts", {"name": "y"}, headers={"Idempotency-Key": "k1"})
    _assert_retry_later(r)


def test_a_request_the_store_refuses_for_itself_is_still_a_500_not_a_503(api, store_fails):
    store_fails("Query", "ValidationException")
    assert api.call("GET", "/accounts", role="manager").status == 500


def test_the_document_states_the_503_and_its_retry_after(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    for path, method in [("/accounts", "post"), ("/leads", "get"), ("/health", "get")]:
        unavailable = doc["paths"][path][method]["responses"]["503"]
        assert "Retry-After" in unavailable["headers"], (path, method)


# -- account erasure ---------------------------------------------------------------------------


def _lead_for(api, account_id: str, owner: str) -> str:
    from tests.api.pipeline_helpers import lead

    return str(lead(api, account_id, user="mgr-1", role="manager", body={"owner_id": owner})["id"])


def test_a_rep_cannot_erase_an_account_seen_only_through_their_lead(api, ddb_calls):
    from tests.api.pipeline_helpers import account

    acc = account(api, user="rep-2")
    mine = _lead_for(api, acc, "rep-1")
    assert api.call("GET", f"/accounts/{acc}").status == 200  # rep-1 sees it through the lead
    ddb_calls()
    r = api.call("DELETE", f"/accounts/{acc}")
    assert r.is_problem(404), r.raw
    assert ddb_calls() == ["BatchGetItem"]  # refused on the visibility read, nothing else read
    assert api.call("GET", f"/accounts/{acc}", user="rep-2").status == 200
    assert api.call("GET", f"/leads/{mine}").status == 200


def test_a_rep_cannot_erase_their_account_while_other_reps_leads_hang_off_it(api, ddb_calls):
    from tests.api.pipeline_helpers import account, lead

    acc = account(api)
    lead(api, acc)
    theirs = [_lead_for(api, acc, "rep-2"), _lead_for(api, acc, "rep-3")]
    ddb_calls()
    r = api.call("DELETE", f"/accounts/{acc}")
    assert r.is_problem(409), r.raw
    assert r.json["detail"].startswith("2 leads of other reps") and r.json["other_reps_leads"] == 2
    # The visibility read, the account's lead links, its leads in one batch; nothing written.
    assert ddb_calls() == ["BatchGetItem", "Query", "BatchGetItem"]
    assert api.call("GET", f"/leads/{theirs[0]}", user="rep-2").status == 200
    assert api.erase(acc, user="mgr-1", role="manager").status == 202
    assert api.call("GET", f"/leads/{theirs[1]}", user="rep-3").is_problem(404)


def test_a_rep_erases_their_own_account_with_their_own_leads_in_a_few_calls(api, ddb_calls):
    from tests.api.pipeline_helpers import account, lead

    acc = account(api, body={"emails": ["mine@x.com"]})
    own = [lead(api, acc)["id"], lead(api, acc)["id"]]
    ddb_calls()
    assert api.call("DELETE", f"/accounts/{acc}").status == 202
    # The request: the visibility read, the lead links, the leads (their owners), one transaction.
    assert ddb_calls() == ["BatchGetItem", "Query", "BatchGetItem", "TransactWriteItems"]
    assert api.drain_work_queue() == 1
    calls = ddb_calls()
    # The worker: the request's entry, Query (account partition), Query per lead, then the deletes
    # in one BatchWriteItem (under 25 items) and the entry last in another; before the deletes, one
    # UpdateItem per report-counter item the leads added to (organisation day, rep day, the rep's
    # 15-minute scorecard slot, or two if the leads were made across a slot's edge).
    counter_updates = calls.count("UpdateItem")
    assert 3 <= counter_updates <= 4, calls
    rest = [call for call in calls if call != "UpdateItem"]
    assert sorted(rest) == sorted(["GetItem", "Query", "Query", "Query", "BatchWriteItem", "BatchWriteItem"])
    assert all(api.call("GET", f"/leads/{lead_id}").is_problem(404) for lead_id in own)
    assert api.call("GET", f"/accounts/{acc}").is_problem(404)


# -- unknown paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/accounts//x"), ("POST", "/nope/deeper?q=1"), ("GET", "/accounts/x/y/z")],
)
def test_an_unknown_path_on_the_local_stack_is_a_404_problem(local_server, method, path):
    import requests

    for headers in ({}, {"Authorization": "Bearer x"}):
        r = requests.request(method, local_server + path, headers=headers, timeout=10)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.headers["Content-Type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 404 and body["type"].endswith(":not-found") and "No route matches" in body["detail"]
        assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_known_paths_still_reach_the_app_on_the_local_stack(local_server):
    import requests

    r = requests.get(local_server + "/accounts", timeout=10)
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"  # the app's own answer
    assert requests.get(local_server + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")


def test_a_version_beyond_any_number_the_store_holds_is_refused_not_a_500(api):
    from tests.api.pipeline_helpers import account, lead

    acc = account(api)
    created = lead(api, acc)
    objection = api.call("POST", f"/leads/{created['id']}/objections", {"category": "price", "text": "t"}).json
    huge = 10**40
    for method, path, body in [
        ("PATCH", f"/accounts/{acc}", {"version": huge, "notes": "x"}),
        ("PATCH", f"/leads/{created['id']}", {"version": huge, "title": "x"}),
        ("POST", f"/leads/{created['id']}/stage", {"version": huge, "stage": "approach"}),
        ("PATCH", f"/leads/{created['id']}/objections/{objection['id']}", {"version": huge, "response": "x"}),
        ("PUT", "/reps/rep-1", {"version": huge, "available": False}),
        ("PUT", "/settings", {"version": huge, "refund_window_days": 14}),
    ]:
        r = api.call(method, path, body, role="admin" if path == "/settings" else "rep")
        assert r.status in (409, 422) and r.is_problem(r.status), (method, path, r.status, r.raw[:300])
    for method, path in [("PATCH", f"/accounts/{acc}"), ("PATCH", f"/leads/{created['id']}")]:
        r = api.call(
            method, path, {"notes": "x"} if "accounts" in path else {"title": "x"}, headers={"If-Match": "9" * 18}
        )
        assert r.status == 409, (path, r.status, r.raw[:300])
