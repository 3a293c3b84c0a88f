"""Interactions, the merged customer timeline, rep profiles and erasure of pipeline data."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.config import environment
from tests.api.pipeline_helpers import account, lead, move, won_lead

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`

MANAGER = {"user": "boss", "role": "manager"}


def touch(api, account_id, channel, at, direction="inbound", body="مرحبا", **kw):
    payload = {
        "account_id": account_id,
        "channel": channel,
        "direction": direction,
        "body": body,
        "occurred_at": at,
        **kw.pop("body_extra", {}),
    }
    return api.call("POST", "/interactions", payload, **kw)


def all_items(table_filter=None):
    ddb = boto3.client("dynamodb")
    items = ddb.scan(TableName=environment().table_name)["Items"]  # test inspection only
    return [i for i in items if table_filter is None or table_filter(i)]


def test_interactions_on_every_channel_round_trip_arabic(api):
    acc = account(api)
    text = "السلام عليكم، هل المنتج متوفر؟ ١٢٣"
    for channel in ["phone", "email", "sms", "whatsapp", "chat", "social", "meeting", "note"]:
        r = touch(api, acc, channel, "2026-11-20T08:00:00Z", body=text, body_extra={"intent": "commercial"})
        assert r.status == 201, (channel, r.raw)
        assert (r.json["channel"], r.json["body"], r.json["intent"], r.json["rep_id"]) == (
            channel,
            text,
            "commercial",
            "rep-1",
        )
    assert text.encode() in api.call("GET", f"/accounts/{acc}/timeline").raw


def test_interaction_validation_and_visibility(api):
    acc = account(api)
    for extra in [
        {"channel": "fax"},
        {"direction": "up"},
        {"occurred_at": "tomorrow"},
        {"occurred_at": "2026-11-20T08:00:00"},
        {"intent": "spam"},
        {"mood": "happy"},
    ]:
        body = {
            "account_id": acc,
            "channel": "sms",
            "direction": "inbound",
            "body": "x",
            "occurred_at": "2026-11-20T08:00:00Z",
            **extra,
        }
        assert api.call("POST", "/interactions", body).is_problem(422), extra
    assert touch(api, acc, "sms", "2099-01-01T00:00:00Z").is_problem(422)  # in the future
    assert touch(api, acc, "sms", "2026-11-20T08:00:00Z", body="").is_problem(422)
    assert touch(api, acc, "sms", "2026-11-20T08:00:00Z", user="rep-2").is_problem(404)
    assert touch(api, acc, "sms", "2026-11-20T08:00:00Z", org="org-b", **MANAGER).is_problem(404)
    assert touch(api, "missing", "sms", "2026-11-20T08:00:00Z").is_problem(404)
    assert touch(api, acc, "sms", "2026-11-20T08:00:00Z", auth=False).is_problem(401)
    other = lead(api, account(api))
    bad_lead = touch(api, acc, "sms", "2026-11-20T08:00:00Z", body_extra={"lead_id": other["id"]})
    assert bad_lead.is_problem(422)
    theirs = lead(api, acc, body={"owner_id": "rep-2"}, **MANAGER)
    assert touch(api, acc, "sms", "2026-11-20T08:00:00Z", body_extra={"lead_id": theirs["id"]}).is_problem(404)
    r = touch(api, acc, "sms", "2026-11-20T08:00:00Z", body_extra={"lead_id": theirs["id"]}, **MANAGER)
    assert r.status == 201 and r.json["rep_id"] == "rep-2"  # the lead owner's inbox


def test_inbound_interactions_are_indexed_by_month_for_the_inquiry_report(api):
    acc = account(api)
    touch(api, acc, "whatsapp", "2026-10-31T23:59:00Z")
    touch(api, acc, "chat", "2026-11-01T00:01:00Z")
    touch(api, acc, "email", "2026-11-02T10:00:00Z", direction="outbound")
    ddb = boto3.client("dynamodb")
    november = ddb.query(
        TableName=environment().table_name,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "ORG#org-a#INQUIRIES#2026-11"}},
    )["Items"]
    assert [i["data"]["M"]["channel"]["S"] for i in november] == ["chat"]


def test_timeline_merges_everything_newest_first_across_channels(api):
    acc = account(api)
    touch(api, acc, "whatsapp", "2026-11-01T09:00:00Z", body="أول رسالة")
    touch(api, acc, "phone", "2026-11-03T09:00:00Z", direction="outbound", body="")
    created = lead(api, acc)
    move(api, created["id"], "objections")
    api.call("POST", f"/leads/{created['id']}/objections", {"category": "timing", "text": "بعد العيد"})
    touch(api, acc, "email", "2026-11-02T09:00:00Z", body="late-logged e-mail")
    move(api, created["id"], "closing")
    move(api, created["id"], "follow_up")
    api.call("POST", f"/leads/{created['id']}/referral-requests", {"channel": "sms"})
    second = lead(api, acc, "ثاني")
    api.call("POST", f"/leads/{second['id']}/lost", {"reason": "لا ميزانية"})

    items = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    kinds = [e["kind"] for e in items]
    assert kinds == [
        "lost",
        "lead_created",
        "referral_request",
        "stage_move",
        "stage_move",
        "objection",
        "stage_move",
        "lead_created",
        "interaction",
        "interaction",
        "interaction",
    ]
    assert [e["data"]["channel"] for e in items if e["kind"] == "interaction"] == ["phone", "email", "whatsapp"]
    ats = [e["at"] for e in items]
    assert ats == sorted(ats, reverse=True)
    # the same list, page by page
    paged, cursor = [], None
    while True:
        r = api.call("GET", f"/accounts/{acc}/timeline?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200 and len(r.json["items"]) <= 3
        paged += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert paged == items


def test_a_timeline_page_is_one_query(api, ddb_calls):
    acc = account(api)
    for day in range(1, 6):
        touch(api, acc, "sms", f"2026-11-0{day}T09:00:00Z")
    ddb_calls()
    r = api.call("GET", f"/accounts/{acc}/timeline?limit=2")
    assert ddb_calls() == ["BatchGetItem", "Query"]  # the rep's visibility read, then one Query
    api.call("GET", f"/accounts/{acc}/timeline?limit=2&cursor={r.json['next_cursor']}", **MANAGER)
    assert ddb_calls() == ["GetItem", "Query"]


def test_timeline_visibility(api):
    acc = account(api, **MANAGER)
    assert api.call("GET", f"/accounts/{acc}/timeline").is_problem(404)  # rep-1 has nothing here
    lead(api, acc, body={"owner_id": "rep-1"}, **MANAGER)
    assert api.call("GET", f"/accounts/{acc}/timeline").status == 200  # now they do
    assert api.call("GET", f"/accounts/{acc}/timeline", user="rep-2").is_problem(404)
    assert api.call("GET", f"/accounts/{acc}/timeline", org="org-b", **MANAGER).is_problem(404)
    assert api.call("GET", f"/accounts/{acc}/timeline", auth=False).is_problem(401)
    other = account(api)
    cursor_elsewhere = "eyJwayI6Ik9SRyNvcmctYSNBQ0MjeCIsInNrIjoiVEwjIn0"
    assert api.call("GET", f"/accounts/{other}/timeline?cursor={cursor_elsewhere}").is_problem(400)


def test_the_timeline_entry_helper_is_generic_for_orders_and_messages(api):
    from datetime import UTC, datetime

    from chalicelib.persistence import db
    from chalicelib.persistence.timeline import save_new, timeline_entry

    acc = account(api)
    db.ready()
    with db.transaction() as tx:
        save_new(
            tx,
            timeline_entry(
                "org-a",
                acc,
                "order",
                datetime(2026, 11, 5, tzinfo=UTC),
                "ord-1",
                {"total": {"amount": "10.00", "currency": "SAR"}, "status": "confirmed"},
            ),
        )
    entry = api.call("GET", f"/accounts/{acc}/timeline").json["items"][0]
    assert (entry["kind"], entry["entity_id"], entry["data"]["status"]) == ("order", "ord-1", "confirmed")


# -- reps -----------------------------------------------------------------------------------


def profile_of(body):
    """The profile fields (GET also carries the rep's first-response figures, and a team)."""
    return {k: v for k, v in body.items() if k not in ("first_response", "team")}


def test_rep_profile_defaults_changes_and_versions(api):
    r = api.call("GET", "/reps/rep-1")
    assert r.status == 200 and profile_of(r.json) == {
        "id": "rep-1",
        "timezone": "Asia/Riyadh",
        "working_hours": {},
        "available": True,
        "weekly_goals": {},
        "email": None,
        "created_at": None,
        "updated_at": None,
        "version": 0,
    }
    body = {
        "timezone": "Africa/Cairo",
        "working_hours": {"sun": ["09:00", "17:00"], "thu": ["10:00", "14:00"]},
        "weekly_goals": {"prospects": 20, "wins": 2},
    }
    r = api.call("PUT", "/reps/rep-1", body)
    assert r.status == 200 and r.json["version"] == 1 and r.json["working_hours"] == body["working_hours"]
    r = api.call("PUT", "/reps/rep-1", {"available": False})
    assert (r.json["available"], r.json["timezone"], r.json["version"]) == (False, "Africa/Cairo", 2)
    assert profile_of(api.call("GET", "/reps/rep-1").json) == profile_of(r.json)
    assert api.call("PUT", "/reps/rep-1", {"available": True, "version": 1}).is_problem(409)
    assert api.call("PUT", "/reps/rep-1", {"available": True, "version": 2}).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "Riyadh"},
        {"working_hours": {"mon": ["18:00", "09:00"]}},
        {"working_hours": {"xyz": []}},
        {"weekly_goals": {"wins": "two"}},
        {"available": "no"},
        {"colour": "blue"},
        {"timezone": None},
    ],
)
def test_rep_profile_validation(api, body):
    assert api.call("PUT", "/reps/rep-1", body).is_problem(422)


def test_rep_profile_visibility(api):
    assert api.call("GET", "/reps/rep-2").is_problem(404)
    assert api.call("PUT", "/reps/rep-2", {"available": False}).is_problem(404)
    assert api.call("PUT", "/reps/rep-2", {"available": False}, **MANAGER).status == 200
    assert api.call("GET", "/reps/rep-2", role="admin", user="root").json["available"] is False
    assert api.call("GET", "/reps/rep-2", org="org-b", **MANAGER).json["version"] == 0  # another tenant's rep
    assert api.call("GET", "/reps/rep-1", auth=False).is_problem(401)
    assert api.call("PUT", "/reps/rep-1", raw=b"[1").is_problem(400)


# -- erasure --------------------------------------------------------------------------------


def test_erasing_an_account_removes_its_leads_history_objections_requests_and_timeline(api):
    won = won_lead(api)
    acc = won["account_id"]
    api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "phone"})
    lost = lead(api, acc, "second")
    api.call("POST", f"/leads/{lost['id']}/objections", {"category": "price", "text": "غالي"})
    api.call("POST", f"/leads/{lost['id']}/lost", {"reason": "price"})
    touch(api, acc, "sms", "2026-11-01T09:00:00Z")
    keep = lead(api, account(api, "آخر"))  # another customer's data stays
    before = all_items()
    assert any(acc in i["pk"]["S"] or won["id"] in i["pk"]["S"] for i in before)

    assert api.erase(acc).status == 202
    left = all_items()
    for item in left:
        text = str(item)
        assert acc not in text and won["id"] not in text and lost["id"] not in text, item
    assert api.call("GET", f"/leads/{won['id']}", **MANAGER).is_problem(404)
    assert api.call("GET", f"/leads/{keep['id']}").status == 200
    assert [x["id"] for x in api.call("GET", "/leads", **MANAGER).json["items"]] == [keep["id"]]
