"""Orders through the HTTP API: placing, totals, visibility, lists and the state machine."""

from __future__ import annotations

from tests.api.order_helpers import event, order_body, place
from tests.api.pipeline_helpers import account, lead

MANAGER = {"user": "boss", "role": "manager"}


def test_place_order_computes_the_total_and_waits_for_confirmation(api, ddb_calls):
    acc = account(api)
    ddb_calls()
    r = api.call("POST", "/orders", order_body(acc))
    assert r.status == 201, r.raw
    # settings, one batch read (account, access link, match keys), one transaction
    assert ddb_calls() == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    body = r.json
    assert r.header("Location") == f"/orders/{body['id']}"
    assert body["total"] == {"amount": "44.00", "currency": "SAR"}
    assert body["items"][0]["line_total"] == {"amount": "39.00", "currency": "SAR"}
    assert body["items"][1]["unit_price"] == {"amount": "5.00", "currency": "SAR"}
    assert (body["status"], body["needs_call"], body["phone"], body["email"]) == (
        "pending_confirmation",
        False,
        "+966559998877",
        "buyer@example.com",
    )
    assert body["risk"] == {"level": "low", "reasons": [], "flags": []}
    assert body["ladder_step"] == "sms" and body["version"] == 1
    assert sorted(body["allowed_events"]) == ["cancelled", "confirmed"]
    timeline = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    assert [(e["kind"], e["entity_id"]) for e in timeline] == [("order", body["id"])]
    got = api.call("GET", f"/orders/{body['id']}")
    assert got.status == 200 and got.json["total"] == body["total"] and got.json["events"] == []


def test_currency_rules(api):
    acc = account(api)
    kwd = [{"sku": "A", "name": "a", "quantity": 3, "unit_price": {"amount": "1.125", "currency": "KWD"}}]
    r = api.call("POST", "/orders", order_body(acc, items=kwd))
    assert r.status == 201 and r.json["total"] == {"amount": "3.375", "currency": "KWD"}
    jpy = [{"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "100", "currency": "JPY"}}]
    assert api.call("POST", "/orders", order_body(acc, items=jpy)).json["total"]["amount"] == "100"
    bad = [
        [{"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "1.999", "currency": "SAR"}}],
        [{"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "1.5", "currency": "JPY"}}],
        [
            {"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "1", "currency": "SAR"}},
            {"sku": "B", "name": "b", "quantity": 1, "unit_price": {"amount": "1", "currency": "AED"}},
        ],
        [{"sku": "A", "name": "a", "quantity": 0, "unit_price": {"amount": "1", "currency": "SAR"}}],
        [{"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "-1", "currency": "SAR"}}],
        [{"sku": "A", "name": "a", "quantity": 1, "unit_price": {"amount": "abc", "currency": "SAR"}}],
        [],
    ]
    for items in bad:
        assert api.call("POST", "/orders", order_body(acc, items=items)).is_problem(422), items


def test_order_validation(api):
    acc = account(api)
    for body in [
        order_body(acc, delivery_address=None),  # cod needs an address
        order_body(acc, phone="12"),
        order_body(acc, email="not-mail"),
        order_body(acc, phone=None, email=None),
        order_body(acc, payment="card"),
        order_body(acc, lead_id="nope"),
        order_body(acc, owner_id="rep-2"),  # a rep cannot assign
        {**order_body(acc), "status": "confirmed"},
    ]:
        assert api.call("POST", "/orders", body).is_problem(422), body
    assert api.call("POST", "/orders", raw=b"{").is_problem(400)
    assert api.call("POST", "/orders", order_body("nope")).is_problem(404)
    assert api.call("POST", "/orders", order_body(acc), auth=False).is_problem(401)
    digital = order_body(acc, payment="prepaid", delivery_address=None)
    assert api.call("POST", "/orders", digital).status == 201


def test_lead_must_belong_to_the_account(api):
    acc, other = account(api), account(api, "عميل آخر")
    mine = lead(api, acc)
    assert api.call("POST", "/orders", order_body(other, lead_id=mine["id"])).is_problem(422)
    r = api.call("POST", "/orders", order_body(acc, lead_id=mine["id"]))
    assert r.status == 201 and r.json["lead_id"] == mine["id"]


def test_visibility_follows_the_accounts_a_rep_sees(api):
    acc = account(api)
    mine = place(api, acc)
    assert api.call("GET", f"/orders/{mine['id']}", user="rep-2").is_problem(404)
    assert api.call("GET", f"/orders/{mine['id']}", org="org-b").is_problem(404)
    assert api.call("GET", f"/orders/{mine['id']}", **MANAGER).status == 200
    # a manager places an order on rep-1's account: it is rep-1's, and rep-1 sees it
    by_boss = place(api, acc, **MANAGER)
    assert by_boss["owner_id"] == "rep-1"
    assert api.call("GET", f"/orders/{by_boss['id']}").status == 200
    assert api.call("POST", "/orders", order_body(acc), user="rep-2").is_problem(404)
    assert event(api, mine["id"], "confirmed", user="rep-2").is_problem(404)


def test_lists_by_status_call_queue_and_account(api, ddb_calls):
    acc, other = account(api), account(api, "سارة")
    first = place(api, acc)
    second = place(api, other)
    assert event(api, second["id"], "confirmed").status == 200
    ddb_calls()
    everything = api.call("GET", "/orders", **MANAGER).json["items"]
    assert ddb_calls() == ["Query"]
    assert [o["id"] for o in everything] == [second["id"], first["id"]]
    pending = api.call("GET", "/orders?status=pending_confirmation").json["items"]
    assert ddb_calls() == ["Query"]
    assert [o["id"] for o in pending] == [first["id"]]
    assert api.call("GET", "/orders?needs_call=true", **MANAGER).json["items"] == []
    ddb_calls()
    by_account = api.call("GET", f"/orders?account_id={other}").json["items"]
    assert [o["id"] for o in by_account] == [second["id"]]
    assert ddb_calls() == ["BatchGetItem", "Query", "BatchGetItem"]  # visibility, links, the orders
    assert api.call("GET", "/orders", user="rep-2").json["items"] == []
    assert api.call("GET", f"/orders?account_id={other}", user="rep-2").is_problem(404)
    assert api.call("GET", "/orders?status=lost").is_problem(422)
    assert api.call("GET", "/orders?needs_call=maybe").is_problem(422)


def test_state_machine_through_events(api, ddb_calls):
    acc = account(api)
    order = place(api, acc)
    r = event(api, order["id"], "shipped")
    assert r.is_problem(409)
    assert r.json["current_status"] == "pending_confirmation" and "pending_confirmation" in r.json["detail"]
    assert event(api, order["id"], "exploded").is_problem(422)
    ddb_calls()
    assert event(api, order["id"], "confirmed").json["status"] == "confirmed"
    assert ddb_calls() == ["GetItem", "TransactWriteItems"]
    for kind in ("shipped", "delivered", "paid", "refunded"):
        r = event(api, order["id"], kind)
        assert r.status == 200 and r.json["status"] == kind, r.raw
    assert event(api, order["id"], "refunded").is_problem(409)
    got = api.call("GET", f"/orders/{order['id']}").json
    assert [e["to_status"] for e in got["events"]] == ["confirmed", "shipped", "delivered", "paid", "refunded"]
    assert got["version"] == 6 and got["confirmed_by"] == "rep:rep-1"
    kinds = [e["kind"] for e in api.call("GET", f"/accounts/{acc}/timeline").json["items"]]
    assert kinds == ["order_event"] * 5 + ["order"]


def test_prepaid_orders_start_confirmed_and_are_paid_before_shipping(api):
    acc = account(api)
    order = place(api, acc, body={"payment": "prepaid"})
    assert order["status"] == "confirmed" and order["confirmed_by"] == "prepaid" and order["ladder_step"] is None
    assert event(api, order["id"], "shipped").is_problem(409)  # never ships unpaid
    for kind in ("paid", "shipped", "delivered", "returned", "refunded"):
        assert event(api, order["id"], kind).json["status"] == kind


def test_stale_version_and_idempotent_post(api):
    acc = account(api)
    order = place(api, acc)
    r = api.call("POST", f"/orders/{order['id']}/events", {"type": "confirmed", "version": 7})
    assert r.is_problem(409) and r.json["current_version"] == 1
    headers = {"Idempotency-Key": "k-1"}
    a = api.call("POST", "/orders", order_body(acc), headers=headers)
    b = api.call("POST", "/orders", order_body(acc), headers=headers)
    assert a.status == b.status == 201 and a.json["id"] == b.json["id"]
    assert api.call("POST", "/orders", order_body(acc, note="x"), headers=headers).is_problem(409)
    assert len(api.call("GET", f"/orders?account_id={acc}").json["items"]) == 2
