"""What /openapi.json promises a generated client, checked against what the server does."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def doc(api) -> dict[str, Any]:
    return api.call("GET", "/openapi.json", auth=False).json


def _component(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _nullable(schema: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))


def _null_verdicts(api, doc, method: str, template: str, concrete: str, role: str = "admin") -> list[str]:
    """Sends each optional property of the body schema as null: a 422 exactly where the document
    says the property is not nullable. Returns the properties where they disagree."""
    schema = _component(doc, doc["paths"][template][method.lower()])
    wrong = []
    for name, prop in schema["properties"].items():
        if name in schema.get("required", []):
            continue
        sent: dict[str, Any] = {name: None}
        if "version" in schema.get("required", []):
            sent["version"] = _version(api, concrete, role)
        r = api.call(method, concrete, sent, role=role)
        if (r.status == 422) == _nullable(prop) or r.status not in (200, 201, 422):
            wrong.append(f"{name}: {r.status} but nullable={_nullable(prop)}")
    return wrong


def _version(api, path: str, role: str) -> int:
    if "/objections/" in path:  # no GET for one objection: read it from the lead's log
        lead_path, objection_id = path.split("/objections/")
        items = api.call("GET", f"{lead_path}/objections", role=role).json["items"]
        return next(o["version"] for o in items if o["id"] == objection_id)
    return int(api.call("GET", path, role=role).json["version"])


def test_optional_fields_are_nullable_exactly_where_the_server_takes_null(api, doc):
    account = api.call("POST", "/accounts", {"name": "Huda"}, role="admin").json["id"]
    assert _null_verdicts(api, doc, "PATCH", "/accounts/{account_id}", f"/accounts/{account}") == []
    assert _null_verdicts(api, doc, "PUT", "/settings", "/settings") == []
    assert _null_verdicts(api, doc, "PUT", "/reps/{rep_id}", "/reps/rep-1") == []
    lead = api.call("POST", "/leads", {"account_id": account, "title": "Course"}, role="admin").json["id"]
    assert _null_verdicts(api, doc, "PATCH", "/leads/{lead_id}", f"/leads/{lead}") == []
    objection = api.call("POST", f"/leads/{lead}/objections", {"category": "price", "text": "x"}, role="admin")
    template = "/leads/{lead_id}/objections/{objection_id}"
    assert _null_verdicts(api, doc, "PATCH", template, f"/leads/{lead}/objections/{objection.json['id']}") == []


def test_the_document_types_what_generated_clients_rely_on(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["AccountOut"]["properties"]["created_at"]["format"] == "date-time"
    assert schemas["LeadOut"]["properties"]["stage"]["enum"][0] == "prospecting"
    assert set(schemas["TimelineEntryOut"]["properties"]["kind"]["enum"]) >= {"interaction", "stage_move"}
    assert "version" in schemas["AccountPatch"]["required"]
    assert schemas["AccountPatch"]["properties"]["version"]["type"] == "integer"
    settings = doc["paths"]["/settings"]["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert settings.endswith("/SettingsChanges")
    assert schemas["SettingsChanges"]["additionalProperties"] is False
    assert doc["security"] == [{"bearer": []}] and doc["servers"] and doc["info"]["license"]["name"]
    for path in ("/health", "/openapi.json"):
        assert doc["paths"][path]["get"]["security"] == []
    assert all("security" not in op for op in doc["paths"]["/accounts"].values())
    assert "$ref" in doc["paths"]["/openapi.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    csv = doc["paths"]["/imports"]["post"]["requestBody"]["content"]
    assert csv["application/octet-stream"]["schema"]["format"] == "binary" and "text/csv" in csv


def test_put_settings_rejects_what_its_schema_rejects(api):
    r = api.call("PUT", "/settings", {"follow_up": {"coupon": {"percent_of": 5}}}, role="admin")
    assert r.is_problem(422) and r.json["errors"][0]["field"] == "follow_up.coupon.percent_of"
    r = api.call("PUT", "/settings", {"confirmation_ladder": {"sms_after_minutes": 9999}}, role="admin")
    assert r.is_problem(422)  # the merged ladder must stay in order (sms before whatsapp ...)
