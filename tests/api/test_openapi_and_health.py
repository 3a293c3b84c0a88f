from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_covers_every_route(api):
    from app import app

    r = api.call("GET", "/openapi.json", auth=False)
    assert r.status == 200
    doc = r.json
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    for path, methods in app.routes.items():
        for method in methods:
            operation = doc["paths"][path][method.lower()]
            assert operation["responses"], (method, path)
            if path not in ("/health", "/openapi.json", "/orders/{order_id}/confirm"):  # the public ones
                assert "401" in operation["responses"], (method, path)


def test_openapi_documents_request_and_error_shapes(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    create = doc["paths"]["/accounts"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    account_create = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert "name" in account_create["required"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    listing = doc["paths"]["/accounts"]["get"]
    assert {"limit", "cursor", "q"} <= {p["name"] for p in listing["parameters"]}


def test_health_reports_ok_when_the_store_answers(api):
    assert api.call("GET", "/health", auth=False).json == {"status": "ok"}


def test_health_is_503_when_the_store_is_gone(api):
    import boto3

    from chalicelib.config import environment

    boto3.client("dynamodb").delete_table(TableName=environment().table_name)
    assert api.call("GET", "/health", auth=False).is_problem(503)


def test_unknown_method_is_problem_json(api):
    assert api.call("DELETE", "/settings", role="admin").is_problem(405)


def test_correlation_id_is_echoed(api):
    r = api.call("GET", "/health", auth=False, headers={"X-Correlation-Id": "abc-123"})
    assert r.header("x-correlation-id") == "abc-123"


def test_responses_carry_cors_headers_for_the_web_front_end(api):
    # (the preflight itself is tested over real HTTP in tests/smoke: chalice.test cannot send one)
    r = api.call("GET", "/accounts", headers={"Origin": "https://app.example.com"})
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") == "*"
    assert "Location" in r.header("Access-Control-Expose-Headers")
    allowed = {h.strip().lower() for h in r.header("Access-Control-Allow-Headers").split(",")}
    assert {"authorization", "idempotency-key", "if-match", "x-import-mapping"} <= allowed


def test_every_list_documents_limit_and_cursor(api):
    """A route answering ``{"items", "next_cursor"}`` takes ``limit`` and ``cursor`` (objection and
    referral-request lists once answered that shape without taking either)."""
    doc = api.call("GET", "/openapi.json", auth=False).json
    lists = []
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        ref = (get or {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        schema = doc["components"]["schemas"].get(ref.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1], {})
        if {"items", "next_cursor"} <= set(schema.get("properties", {})):
            lists.append(path)
            assert {"limit", "cursor"} <= {p["name"] for p in get.get("parameters", [])}, path
    assert {"/leads/{lead_id}/objections", "/leads/{lead_id}/referral-requests", "/leads"} <= set(lists)
