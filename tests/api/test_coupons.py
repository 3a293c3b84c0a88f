"""Coupons: listing, redeeming once (also under 20 concurrent redeems), expiry, unknown codes,
the offers a good customer sees on a new order, and template validation at PUT /settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.coupons import Coupon, RedeemIn, display_code, issue_coupon
from chalicelib.domain.errors import Conflict
from chalicelib.domain.principal import Principal
from chalicelib.domain.settings import CouponRule
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.persistence import coupons as coupon_store
from chalicelib.persistence import db
from chalicelib.services import coupons as service
from tests.api.order_helpers import atomic_requests, event, place
from tests.api.pipeline_helpers import account

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MANAGER = {"user": "boss", "role": "manager"}
ADMIN = {"user": "root", "role": "admin"}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0))


def issue(account_id: str, **rule: Any) -> Coupon:
    coupon = issue_coupon(org_id="org-a", account_id=account_id, order_id=None, rule=CouponRule(**rule), now=T0)
    with db.transaction() as tx:
        coupon_store.add(tx, coupon)
    return coupon


def redeem(api, code: str, order_id: str, **kw: Any):
    return api.call("POST", f"/coupons/{code}/redeem", {"order_id": order_id}, **kw)


def test_list_and_redeem_once(api, ddb_calls):
    acc = account(api)
    coupon = issue(acc)
    order = place(api, acc)  # 2 x 19.50 + 5 = 44.00 SAR
    ddb_calls()
    listed = api.call("GET", f"/accounts/{acc}/coupons", **MANAGER)
    assert ddb_calls() == ["GetItem", "Query"]  # the account, its coupons
    [shown] = listed.json["items"]
    assert shown["code"] == display_code(coupon.code) and shown["status"] == "issued" and shown["usable"]
    assert shown["percent_off"] == 10 and shown["valid_until"] == "2026-12-22T09:00:00Z"
    r = redeem(api, display_code(coupon.code).lower(), order["id"], **MANAGER)  # any case, with dashes
    assert ddb_calls() == ["GetItem", "GetItem", "TransactWriteItems"]  # order, coupon, one conditional write
    assert r.status == 200, r.raw
    assert (r.json["status"], r.json["redeemed_order_id"], r.json["usable"]) == ("redeemed", order["id"], False)
    assert r.json["discount"] == {"amount": "4.40", "currency": "SAR"}
    again = place(api, acc)
    ddb_calls()
    second = redeem(api, coupon.code, again["id"], **MANAGER)
    assert ddb_calls() == ["GetItem", "GetItem"]  # refused before any write
    assert second.is_problem(409) and second.json["redeemed_order_id"] == order["id"]
    assert order["id"] in second.json["detail"]
    timeline = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    [entry] = [e for e in timeline if e["kind"] == "coupon_redeemed"]
    assert entry["data"]["order_id"] == order["id"] and entry["data"]["discount"]["amount"] == "4.40"
    assert api.call("GET", f"/accounts/{acc}/coupons").json["items"][0]["status"] == "redeemed"


def test_a_fixed_amount_coupon(api):
    acc = account(api)
    coupon = issue(acc, amount_off={"amount": "50", "currency": "SAR"})
    order = place(api, acc)
    r = redeem(api, coupon.code, order["id"])
    assert r.status == 200 and r.json["discount"] == {"amount": "44.00", "currency": "SAR"}  # never above the total
    assert r.json["amount_off"] == {"amount": "50.00", "currency": "SAR"} and r.json["percent_off"] is None


def test_expired_unknown_and_someone_elses(api, monkeypatch):
    acc = account(api)
    coupon = issue(acc, valid_days=1)
    order = place(api, acc)
    assert redeem(api, "ABCD-EFGH-JKMN", order["id"]).is_problem(404)  # well formed, never issued
    assert redeem(api, "not-a-code", order["id"]).is_problem(404)
    assert redeem(api, coupon.code, "no-such-order").is_problem(404)
    other = place(api, account(api, "عميل آخر"))
    r = redeem(api, coupon.code, other["id"])
    assert r.is_problem(422) and r.json["errors"][0]["field"] == "order_id"
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0 + timedelta(days=1)))
    r = redeem(api, coupon.code, order["id"])
    assert r.is_problem(422) and r.json["errors"][0]["field"] == "code" and "expired" in r.json["detail"]
    assert api.call("GET", f"/accounts/{acc}/coupons").json["items"][0]["status"] == "issued"


def test_visibility(api):
    acc = account(api)  # rep-1's customer
    coupon = issue(acc)
    order = place(api, acc)
    assert api.call("GET", f"/accounts/{acc}/coupons", user="rep-2").is_problem(404)
    assert redeem(api, coupon.code, order["id"], user="rep-2").is_problem(404)
    assert api.call("GET", f"/accounts/{acc}/coupons", org="org-b", role="admin").is_problem(404)


def test_twenty_concurrent_redeems_exactly_one_succeeds(api):
    acc = account(api)
    coupon = issue(acc)
    orders = [place(api, acc)["id"] for _ in range(20)]
    principal = Principal("boss", "org-a", "manager")
    barrier = threading.Barrier(20)
    won: list[str] = []
    refused: list[Conflict] = []

    def attempt(order_id: str) -> None:
        barrier.wait()
        try:
            service.redeem(principal, coupon.code, RedeemIn(order_id=order_id))
            won.append(order_id)
        except Conflict as error:
            refused.append(error)

    with atomic_requests():
        threads = [threading.Thread(target=attempt, args=(o,)) for o in orders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(won) == 1 and len(refused) == 19
    assert {e.extra.get("redeemed_order_id") for e in refused} == {won[0]}
    stored = coupon_store.find("org-a", coupon.code)
    assert stored is not None and stored.redeemed_order_id == won[0]


def test_a_good_customers_new_order_shows_their_unused_coupons(api, ddb_calls):
    acc = account(api)
    first = place(api, acc)
    for kind in ("confirmed", "shipped", "delivered", "paid"):
        assert event(api, first["id"], kind).status == 200
    used, unused = issue(acc), issue(acc, valid_days=60)
    assert redeem(api, used.code, first["id"]).status == 200
    ddb_calls()
    again = place(api, acc)
    assert ddb_calls() == ["GetItem", "BatchGetItem", "TransactWriteItems", "Query"]  # + the coupons
    assert again["confirmed_by"] == "good_customer"
    assert [c["code"] for c in again["coupons"]] == [display_code(unused.code)]
    newcomer = place(api, account(api, "زبون جديد"), body={"phone": "0551112233", "email": None})
    assert newcomer["coupons"] is None


# -- templates at PUT /settings ----------------------------------------------------------------


def test_settings_refuse_unknown_placeholders_and_malformed_templates(api):
    r = api.call("PUT", "/settings", {"message_templates": {"checkin": {"en": "Hi {coupon_code}"}}}, **ADMIN)
    assert r.is_problem(422)
    [error] = r.json["errors"]
    assert error["field"] == "message_templates"
    assert "message_templates.checkin.en" in error["message"] and "{coupon_code}" in error["message"]
    r = api.call("PUT", "/settings", {"message_templates": {"review_request": {"ar": "قيّم {product"}}}, **ADMIN)
    assert r.is_problem(422) and "review_request" in r.json["errors"][0]["message"]
    assert "malformed" in r.json["errors"][0]["message"]
    r = api.call("PUT", "/settings", {"message_templates": {"thank_you": {"en": "Thanks"}}}, **ADMIN)
    assert r.is_problem(422) and "thank_you" in r.json["errors"][0]["field"]
    good = {"coupon": {"ar": "رمزك {coupon_code} حتى {coupon_expires}", "en": "Your code {coupon_code}"}}
    r = api.call("PUT", "/settings", {"message_templates": good}, **ADMIN)
    assert r.status == 200 and r.json["message_templates"] == good
    assert api.call("GET", "/settings").json["message_templates"] == good
    assert api.call("PUT", "/settings", {"message_templates": good}).is_problem(403)  # a rep
