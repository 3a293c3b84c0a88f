import pytest


def test_defaults_until_changed(api):
    r = api.call("GET", "/settings")
    assert r.status == 200
    assert r.json["default_country"] == "SA"
    assert r.json["version"] == 0
    assert r.json["follow_up"]["bonus_materials"] == [
        {"title": "Starter guide", "url": "https://example.com/guide.pdf"}
    ]


def test_admin_changes_a_subset(api):
    r = api.call(
        "PUT", "/settings", {"timezone": "Africa/Cairo", "follow_up": {"checkin_days": [3, 1, 3]}}, role="admin"
    )
    assert r.status == 200, r.raw
    assert r.json["timezone"] == "Africa/Cairo"
    assert r.json["follow_up"]["checkin_days"] == [1, 3]
    assert r.json["follow_up"]["review_request_day"] == 7
    assert r.json["version"] == 1
    again = api.call("GET", "/settings", role="rep")
    assert again.json == r.json
    assert api.call("PUT", "/settings", {"refund_window_days": 14}, role="admin").json["version"] == 2


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_change_settings(api, role):
    r = api.call("PUT", "/settings", {"default_country": "EG"}, role=role)
    assert r.is_problem(403)
    assert api.call("GET", "/settings").json["default_country"] == "SA"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"follow_up": {"coupon": {"percent_of": 5}}}, "follow_up.coupon.percent_of"),
        ({"default_country": "ZZ"}, "default_country"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"refund_window_days": -1}, "refund_window_days"),
    ],
)
def test_unknown_keys_and_bad_values_are_422(api, body, field):
    r = api.call("PUT", "/settings", body, role="admin")
    assert r.is_problem(422), r.raw
    assert field in [e["field"] for e in r.json["errors"]]


def test_settings_are_per_organisation(api):
    api.call("PUT", "/settings", {"default_country": "AE"}, role="admin", org="org-a")
    assert api.call("GET", "/settings", org="org-b").json["default_country"] == "SA"


def test_settings_calls(api, ddb_calls):
    ddb_calls()
    api.call("GET", "/settings")
    assert ddb_calls() == ["GetItem"]
    api.call("PUT", "/settings", {"refund_window_days": 10}, role="admin")
    assert ddb_calls() == ["GetItem", "PutItem"]


def test_a_stored_settings_item_with_keys_this_version_dropped_still_reads(api):
    """Settings saved by a version that had keys this one dropped (or a value it no longer takes)
    must not turn every read of them, and every account creation, into a 500."""
    import boto3

    from chalicelib.config import environment

    data = {
        "default_country": {"S": "EG"},
        "timezone": {"S": "Africa/Cairo"},
        "sms_provider": {"S": "legacy"},  # a key a later version dropped
        "follow_up": {"M": {"review_request_day": {"N": "5"}, "loyalty_points": {"BOOL": True}}},
        "message_templates": {"M": {"checkin": {"M": {"ar": {"S": "أهلا"}}}, "fax_cover": {"M": {"ar": {"S": "x"}}}}},
    }
    boto3.client("dynamodb").put_item(
        TableName=environment().table_name,
        Item={
            "pk": {"S": "ORG#org-a"},
            "sk": {"S": "#SETTINGS"},
            "kind": {"S": "settings"},
            "org_id": {"S": "org-a"},
            "data": {"M": data},
            "created_at": {"S": "2026-01-01T00:00:00.000000+0000"},
            "updated_at": {"S": "2026-01-01T00:00:00.000000+0000"},
            "version": {"N": "3"},
        },
    )
    r = api.call("GET", "/settings")
    assert r.status == 200, r.raw
    assert (r.json["default_country"], r.json["timezone"], r.json["version"]) == ("EG", "Africa/Cairo", 3)
    assert r.json["follow_up"]["review_request_day"] == 5 and "loyalty_points" not in r.json["follow_up"]
    assert "sms_provider" not in r.json and r.json["message_templates"] == {"checkin": {"ar": "أهلا"}}
    created = api.call("POST", "/accounts", {"name": "عميل", "phones": ["01001234567"]})
    assert created.status == 201, created.raw
    assert created.json["phones"] == ["+201001234567"]  # the stored default country applies
    changed = api.call("PUT", "/settings", {"refund_window_days": 7}, role="admin")
    assert changed.status == 200 and changed.json["version"] == 4 and "sms_provider" not in changed.json
