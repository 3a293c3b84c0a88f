"""Every pipeline route: documented in /openapi.json, closed to callers without a token."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

ROUTES = [
    ("POST", "/leads"),
    ("GET", "/leads"),
    ("GET", "/leads/{lead_id}"),
    ("PATCH", "/leads/{lead_id}"),
    ("POST", "/leads/{lead_id}/stage"),
    ("POST", "/leads/{lead_id}/lost"),
    ("POST", "/leads/{lead_id}/objections"),
    ("GET", "/leads/{lead_id}/objections"),
    ("PATCH", "/leads/{lead_id}/objections/{objection_id}"),
    ("POST", "/leads/{lead_id}/referral-requests"),
    ("GET", "/leads/{lead_id}/referral-requests"),
    ("PATCH", "/referral-requests/{request_id}"),
    ("POST", "/referral-requests/{request_id}/referrals"),
    ("POST", "/interactions"),
    ("GET", "/accounts/{account_id}/timeline"),
    ("GET", "/reps/{rep_id}"),
    ("PUT", "/reps/{rep_id}"),
]


def test_pipeline_routes_are_in_a_valid_openapi_document(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    validate(doc)
    for method, path in ROUTES:
        operation = doc["paths"][path][method.lower()]
        assert "401" in operation["responses"], (method, path)
    move = doc["paths"]["/leads/{lead_id}/stage"]["post"]
    assert "409" in move["responses"] and "422" in move["responses"]
    lead_schema = doc["components"]["schemas"]["LeadOut"]["properties"]
    assert {"stage_history", "stage_durations", "status", "stage"} <= lead_schema.keys()
    create = doc["components"]["schemas"]["LeadCreate"]["properties"]
    assert "assign_even_if_unavailable" in create
    list_params = {p["name"] for p in doc["paths"]["/leads"]["get"]["parameters"]}
    assert {"stage", "status", "owner_id", "limit", "cursor"} <= list_params


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_pipeline_route_needs_a_token(api, method, path):
    concrete = path.format(lead_id="l", objection_id="o", request_id="r", account_id="a", rep_id="rep-1")
    body = {} if method in ("POST", "PATCH", "PUT") else None
    assert api.call(method, concrete, body, auth=False).is_problem(401)
    bad = api.call(method, concrete, body, headers={"Authorization": "Bearer not-a-token"})
    assert bad.is_problem(401)
