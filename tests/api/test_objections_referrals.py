"""The objection log and referral flows through the HTTP API."""

from __future__ import annotations

from tests.api.pipeline_helpers import account, lead, move, won_lead

MANAGER = {"user": "boss", "role": "manager"}


def objection(api, lead_id, category="price", text="السعر مرتفع", **kw):
    body = {"category": category, "text": text, **kw.pop("body", {})}
    return api.call("POST", f"/leads/{lead_id}/objections", body, **kw)


def test_objection_log_with_counter_offer_and_resolution(api):
    created = lead(api, account(api))
    move(api, created["id"], "objections")
    r = objection(api, created["id"], body={"counter_offer": {"amount": "900", "currency": "SAR"}})
    assert r.status == 201, r.raw
    first = r.json
    assert (first["category"], first["status"], first["counter_offer"]) == (
        "price",
        "open",
        {"amount": "900.00", "currency": "SAR"},
    )
    second = objection(api, created["id"], "financing", "نحتاج تقسيط").json
    listed = api.call("GET", f"/leads/{created['id']}/objections").json["items"]
    assert [o["id"] for o in listed] == [first["id"], second["id"]]
    path = f"/leads/{created['id']}/objections/{first['id']}"
    assert api.call("PATCH", path, {"status": "resolved"}).is_problem(422)  # version needed
    r = api.call("PATCH", path, {"status": "resolved", "response": "خصم 10٪", "version": 1})
    assert r.status == 200 and r.json["status"] == "resolved" and r.json["resolved_at"] and r.json["version"] == 2
    assert api.call("PATCH", path, {"status": "unresolved", "version": 1}).is_problem(409)
    assert api.call("PATCH", path, {"status": "maybe", "version": 2}).is_problem(422)
    assert api.call("PATCH", f"/leads/{created['id']}/objections/nope", {"version": 1}).is_problem(404)
    kinds = [e["kind"] for e in api.call("GET", f"/accounts/{created['account_id']}/timeline").json["items"]]
    assert kinds.count("objection") == 2


def test_objection_validation_and_visibility(api):
    created = lead(api, account(api))
    for body in [
        {"category": "weather", "text": "x"},
        {"category": "price"},
        {"category": "price", "text": ""},
        {"category": "price", "text": "x", "counter_offer": {"amount": "-1", "currency": "SAR"}},
        {"category": "price", "text": "x", "colour": "red"},
    ]:
        assert api.call("POST", f"/leads/{created['id']}/objections", body).is_problem(422), body
    assert objection(api, created["id"], user="rep-2").is_problem(404)
    assert objection(api, created["id"], org="org-b", **MANAGER).is_problem(404)
    assert api.call("GET", f"/leads/{created['id']}/objections", user="rep-2").is_problem(404)
    oid = objection(api, created["id"]).json["id"]
    patch = f"/leads/{created['id']}/objections/{oid}"
    assert api.call("PATCH", patch, {"status": "resolved", "version": 1}, user="rep-2").is_problem(404)
    assert objection(api, created["id"], **MANAGER).status == 201
    assert objection(api, created["id"], auth=False).is_problem(401)


def test_no_objections_on_closed_leads(api):
    won = won_lead(api)
    assert objection(api, won["id"]).is_problem(409)


def test_losing_after_an_objection_links_the_loss_to_it(api):
    created = lead(api, account(api))
    move(api, created["id"], "objections")
    price = objection(api, created["id"]).json
    timing = objection(api, created["id"], "timing", "ليس الآن").json
    api.call("PATCH", f"/leads/{created['id']}/objections/{timing['id']}", {"status": "resolved", "version": 1})
    r = api.call("POST", f"/leads/{created['id']}/lost", {"reason": "السعر"})
    assert r.status == 200
    assert r.json["lost_after_objection_id"] == price["id"]  # the latest one not resolved
    listed = {o["id"]: o for o in api.call("GET", f"/leads/{created['id']}/objections").json["items"]}
    assert listed[price["id"]]["preceded_loss"] is True and listed[timing["id"]]["preceded_loss"] is False
    entry = api.call("GET", f"/accounts/{created['account_id']}/timeline").json["items"][0]
    assert entry["kind"] == "lost" and entry["data"]["objection_id"] == price["id"]


def test_losing_names_an_objection_explicitly_or_none(api):
    acc = account(api)
    first = lead(api, acc)
    chosen = objection(api, first["id"], "competitor", "وجدنا أرخص").json
    objection(api, first["id"], "authority", "المدير يقرر")
    bad = api.call("POST", f"/leads/{first['id']}/lost", {"reason": "x", "objection_id": "not-mine"})
    assert bad.is_problem(422)
    r = api.call("POST", f"/leads/{first['id']}/lost", {"reason": "x", "objection_id": chosen["id"]})
    assert r.json["lost_after_objection_id"] == chosen["id"]
    plain = lead(api, acc)
    r = api.call("POST", f"/leads/{plain['id']}/lost", {"reason": "no budget"})
    assert r.status == 200 and r.json["lost_after_objection_id"] is None


# -- referrals ------------------------------------------------------------------------------


def test_referral_requests_only_for_won_leads(api):
    open_lead = lead(api, account(api))
    r = api.call("POST", f"/leads/{open_lead['id']}/referral-requests", {"channel": "phone"})
    assert r.is_problem(409)
    won = won_lead(api)
    for body in [{}, {"channel": "pigeon"}, {"channel": "phone", "extra": 1}]:
        assert api.call("POST", f"/leads/{won['id']}/referral-requests", body).is_problem(422)
    assert api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "phone"}, user="rep-2").is_problem(404)
    assert api.call("GET", f"/leads/{won['id']}/referral-requests", user="rep-2").is_problem(404)


def test_referral_flow_creates_a_linked_lead_and_counts_the_yield(api, ddb_calls):
    won = won_lead(api, name="العميل الراضي")
    r = api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "whatsapp", "note": "بعد التسليم"})
    assert r.status == 201, r.raw
    request = r.json
    assert (request["status"], request["asked_by"], request["referral_count"]) == ("requested", "rep-1", 0)
    ddb_calls()
    r = api.call(
        "POST",
        f"/referral-requests/{request['id']}/referrals",
        {"account": {"name": "صديق العميل", "phones": ["0501234567"]}, "value": {"amount": "300", "currency": "SAR"}},
    )
    assert r.status == 201, r.raw
    # which lead (gsi3); the request (consistent), its lead and the settings in one batch; one
    # transaction (was 5 calls: a GetItem of each)
    assert ddb_calls() == ["Query", "BatchGetItem", "TransactWriteItems"]
    referred = r.json
    assert (referred["stage"], referred["status"], referred["source"]) == ("prospecting", "open", "referral")
    assert referred["referred_by_account_id"] == won["account_id"]
    assert referred["referral_request_id"] == request["id"]
    new_account = api.call("GET", f"/accounts/{referred['account_id']}").json
    assert (new_account["source"], new_account["referred_by_account_id"]) == ("referral", won["account_id"])
    assert new_account["phones"] == ["+966501234567"]
    requests = api.call("GET", f"/leads/{won['id']}/referral-requests").json["items"]
    assert [(x["status"], x["referral_count"], x["referred_lead_ids"]) for x in requests] == [
        ("received", 1, [referred["id"]])
    ]
    referrer_timeline = api.call("GET", f"/accounts/{won['account_id']}/timeline").json["items"]
    assert [e["kind"] for e in referrer_timeline[:2]] == ["referral", "referral_request"]
    assert referrer_timeline[0]["entity_id"] == referred["id"]
    assert "صديق" not in str(referrer_timeline[0])  # the prospect's name stays in their own record
    prospect_timeline = api.call("GET", f"/accounts/{referred['account_id']}/timeline").json["items"]
    assert [e["kind"] for e in prospect_timeline] == ["lead_created"]
    # a phone already claimed by another account rolls the whole referral back
    dup = api.call(
        "POST", f"/referral-requests/{request['id']}/referrals", {"account": {"name": "آخر", "phones": ["0501234567"]}}
    )
    assert dup.is_problem(409)
    again = api.call("GET", f"/leads/{won['id']}/referral-requests").json["items"][0]
    assert again["referral_count"] == 1 and again["version"] == request["version"] + 1


def test_referral_request_patch_and_visibility(api, ddb_calls):
    won = won_lead(api)
    request = api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "meeting"}).json
    path = f"/referral-requests/{request['id']}"
    assert api.call("PATCH", path, {"status": "declined"}).is_problem(422)  # version needed
    assert api.call("PATCH", path, {"status": "later", "version": 1}).is_problem(422)
    assert api.call("PATCH", path, {"status": "declined", "version": 1}, user="rep-2").is_problem(404)
    assert api.call("PATCH", path, {"status": "declined", "version": 1}, org="org-b", **MANAGER).is_problem(404)
    assert api.call("PATCH", "/referral-requests/nope", {"status": "declined", "version": 1}).is_problem(404)
    ddb_calls()
    r = api.call("PATCH", path, {"status": "declined", "note": "لا يعرف أحدا", "version": 1})
    assert r.status == 200 and (r.json["status"], r.json["version"]) == ("declined", 2)
    assert ddb_calls() == ["Query", "BatchGetItem", "PutItem"]  # was 4: a GetItem of the request and the lead
    assert api.call("PATCH", path, {"status": "requested", "version": 1}).is_problem(409)
    prospect = {"account": {"name": "x"}}
    assert api.call("POST", f"{path}/referrals", prospect, user="rep-2").is_problem(404)
    assert api.call("POST", f"{path}/referrals", {"account": {}}).is_problem(422)
    assert api.call("POST", f"{path}/referrals", {"account": {"name": "x"}, "owner_id": "rep-2"}).is_problem(422)
    assert api.call("POST", f"{path}/referrals", {"account": {"name": "x", "owner_id": "rep-2"}}).is_problem(422)
    assert api.call("POST", f"{path}/referrals", prospect, auth=False).is_problem(401)


def test_managers_assign_referred_leads_respecting_availability(api):
    won = won_lead(api)
    request = api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "sms"}).json
    api.call("PUT", "/reps/rep-2", {"available": False}, **MANAGER)
    path = f"/referral-requests/{request['id']}/referrals"
    assert api.call("POST", path, {"account": {"name": "x", "owner_id": "rep-2"}}, **MANAGER).is_problem(409)
    r = api.call("POST", path, {"account": {"name": "x", "owner_id": "rep-3"}}, **MANAGER)
    assert r.status == 201 and r.json["owner_id"] == "rep-3"
    assert api.call("GET", f"/accounts/{r.json['account_id']}", user="rep-3").status == 200


def test_a_lagging_index_does_not_turn_a_correct_referral_edit_into_a_409(api, monkeypatch):
    """gsi3 is eventually consistent on DynamoDB: the request it returns may be a version behind.
    The edit must be checked against the request as stored, not as the index last saw it."""
    from chalicelib.persistence.models import Item

    won = won_lead(api, name="Lagging Index")
    request = api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "sms"}).json
    first = api.call("PATCH", f"/referral-requests/{request['id']}", {"version": 1, "note": "called back"})
    assert first.status == 200 and first.json["version"] == 2, first.raw
    real_query = Item.gsi3.query

    def stale_query(*args, **kwargs):
        for item in real_query(*args, **kwargs):
            item.version, item.note = 1, None  # what the index held before the first edit
            yield item

    monkeypatch.setattr(Item.gsi3, "query", stale_query)
    second = api.call("PATCH", f"/referral-requests/{request['id']}", {"version": 2, "status": "declined"})
    assert second.status == 200 and second.json["version"] == 3, second.raw
    assert second.json["note"] == "called back"  # the edit built on the stored request


def _pages(api, path, limit, ddb_calls):
    """Every page of a list, with the DynamoDB calls each page made."""
    ids, calls, cursor = [], [], None
    for _ in range(10):
        ddb_calls()
        r = api.call("GET", f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r.raw
        calls.append(ddb_calls())
        assert len(r.json["items"]) <= limit
        ids += [x["id"] for x in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            return ids, calls
    raise AssertionError("the list never ended")


def test_objection_and_referral_request_lists_page_with_limit_and_cursor(api, ddb_calls):
    """The defect: these lists ignored ``limit`` and ``cursor`` and returned everything at once."""
    created = lead(api, account(api))
    made = [objection(api, created["id"], text=f"o{i}").json["id"] for i in range(5)]
    ids, calls = _pages(api, f"/leads/{created['id']}/objections", 2, ddb_calls)
    assert ids == made and len(calls) == 3  # oldest first, two per page
    assert all(c == ["GetItem", "Query"] for c in calls)  # the lead (visibility), then one Query
    won = won_lead(api)
    asked = [
        api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "sms", "note": f"r{i}"}).json["id"]
        for i in range(3)
    ]
    ids, calls = _pages(api, f"/leads/{won['id']}/referral-requests", 2, ddb_calls)
    assert ids == asked and len(calls) == 2
    assert all(c == ["GetItem", "Query"] for c in calls)
    # a cursor belongs to its lead's list; a bad limit is refused like everywhere else
    cursor = api.call("GET", f"/leads/{created['id']}/objections?limit=1").json["next_cursor"]
    assert api.call("GET", f"/leads/{won['id']}/objections?cursor={cursor}").is_problem(400)
    assert api.call("GET", f"/leads/{won['id']}/referral-requests?limit=0").is_problem(422)
    assert api.call("GET", f"/leads/{won['id']}/referral-requests?cursor=garbage").is_problem(400)
    assert api.call("GET", f"/leads/{created['id']}/objections?limit=2", user="rep-2").is_problem(404)
