"""Risk from history through the API: match keys across spellings, flags, good customers."""

from __future__ import annotations

from tests.api.order_helpers import event, order_body, place
from tests.api.pipeline_helpers import account

MANAGER = {"user": "boss", "role": "manager"}


def _refused(api, acc, **body):
    order = place(api, acc, body=body)
    kinds = ("confirmed", "shipped", "refused") if order["status"] == "pending_confirmation" else ("shipped", "refused")
    for kind in kinds:
        assert event(api, order["id"], kind).status == 200
    return order


def test_a_refusal_flags_the_next_order_across_phone_spellings(api, ddb_calls):
    first_customer = account(api, "خالد")
    refused = _refused(
        api,
        first_customer,
        phone="0559998877",
        email=None,
        delivery_address={"line1": "شارع التحلية، عمارة ١٢", "city": "جدة", "country": "SA"},
    )
    other = account(api, "خالد الثاني")
    ddb_calls()
    r = api.call(
        "POST",
        "/orders",
        order_body(
            other,
            phone="+966 55 999 8877",
            email="new@example.com",
            delivery_address={"line1": "حي الروضة", "city": "الرياض", "country": "SA"},
        ),
    )
    assert r.status == 201
    assert ddb_calls() == ["GetItem", "BatchGetItem", "TransactWriteItems"]  # one batch read for every key
    risk = r.json["risk"]
    assert risk["level"] == "medium" and r.json["status"] == "pending_confirmation"
    assert risk["flags"] == [
        {"key": "phone", "order_id": refused["id"], "outcome": "refused", "at": risk["flags"][0]["at"]}
    ]
    assert refused["id"] in risk["reasons"][0] and "refused" in risk["reasons"][0]


def test_arabic_address_variants_match(api):
    acc = account(api)
    _refused(api, acc, phone="0551111111", email=None)  # ADDRESS: "شارع التحلية، عمارة ١٢" / "جدة"
    variant = {"line1": "ش. التحليه - عماره 12", "city": "جده", "country": "SA"}
    r = api.call("POST", "/orders", order_body(acc, phone="0552222222", email=None, delivery_address=variant))
    assert [f["key"] for f in r.json["risk"]["flags"]] == ["address"]
    elsewhere = {"line1": "ش. التحليه - عماره 14", "city": "جده", "country": "SA"}
    r = api.call("POST", "/orders", order_body(acc, phone="0553333333", email=None, delivery_address=elsewhere))
    assert r.json["risk"]["flags"] == []


def test_two_failures_make_it_high(api):
    acc = account(api)
    _refused(api, acc)
    returned = place(api, acc)
    for kind in ("confirmed", "shipped", "returned"):
        assert event(api, returned["id"], kind).status == 200
    r = api.call("POST", "/orders", order_body(acc, email="BUYER@example.com"))
    assert r.json["risk"]["level"] == "high"  # refused 2 + returned 1
    keys = {(f["key"], f["outcome"]) for f in r.json["risk"]["flags"]}
    assert keys == {(k, o) for k in ("phone", "email", "address") for o in ("refused", "returned")}


def test_good_customers_are_confirmed_at_once(api):
    acc = account(api)
    first = place(api, acc)
    assert first["status"] == "pending_confirmation"
    for kind in ("confirmed", "shipped", "delivered"):
        assert event(api, first["id"], kind).status == 200
    # delivered but not yet paid: not proven
    assert place(api, acc)["status"] == "pending_confirmation"
    assert event(api, first["id"], "paid").status == 200
    again = place(api, acc, body={"phone": "+966 55 999 8877", "email": None})
    assert (again["status"], again["confirmed_by"], again["ladder_step"]) == ("confirmed", "good_customer", None)
    assert "good customer" in again["risk"]["reasons"][-1]


def test_a_failure_spoils_a_good_history(api):
    acc = account(api)
    good = place(api, acc)
    for kind in ("confirmed", "shipped", "delivered", "paid"):
        assert event(api, good["id"], kind).status == 200
    _refused(api, acc, email="other@example.com", phone="0550000000")  # same address
    assert place(api, acc)["status"] == "pending_confirmation"


def test_match_keys_are_per_organisation(api):
    acc = account(api)
    _refused(api, acc)
    elsewhere = account(api, org="org-b")
    r = api.call("POST", "/orders", order_body(elsewhere), org="org-b")
    assert r.json["risk"]["flags"] == []
