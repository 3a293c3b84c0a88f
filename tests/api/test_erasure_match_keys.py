"""Erasure and the order match keys: an erased customer's orders no longer weigh on the risk of
whoever shares their phone, e-mail or address, and an order placed for the same key while the
erasure runs is never lost (nor an empty key left behind)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.config import environment
from chalicelib.domain.order_risk import address_key
from chalicelib.domain.principal import Principal
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import keys
from tests.api.order_helpers import event, place
from tests.api.pipeline_helpers import account

PHONE = "0559998877"
SHARED = keys.order_match("org-a", "phone", "+966559998877")
HOME_A = {"line1": "شارع التحلية، عمارة ١٢", "city": "جدة", "country": "SA"}
HOME_B = {"line1": "حي الروضة ٤", "city": "الرياض", "country": "SA"}
ELSEWHERE = {"line1": "طريق الملك فهد ٩", "city": "الدمام", "country": "SA"}
BOSS = Principal("boss", "org-a", "manager")


def history(pk: str) -> set[str] | None:
    """The order ids a match key holds, None when the item is gone (test inspection only)."""
    item = boto3.client("dynamodb").get_item(
        TableName=environment().table_name, Key={"pk": {"S": pk}, "sk": {"S": keys.MATCH_HISTORY}}
    )
    return set(item["Item"]["orders"]["M"]) if "Item" in item else None


def address_pk(address: dict[str, str]) -> str:
    return keys.order_match("org-a", "address", address_key(address) or "")


def refused_order(api, acc: str, **body: Any) -> dict[str, Any]:
    order = place(api, acc, body=body)
    for kind in ("confirmed", "shipped", "refused"):
        assert event(api, order["id"], kind).status == 200
    return order


def test_an_erased_customers_refusal_no_longer_flags_who_shares_their_phone(api, ddb_calls):
    a = account(api, "أحمد")
    refused = refused_order(api, a, phone=PHONE, email=None, delivery_address=HOME_A)
    b = account(api, "بدر")
    first = place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})
    assert [f["order_id"] for f in first["risk"]["flags"]] == [refused["id"]]  # A's refusal weighs on B
    for kind in ("confirmed", "shipped", "delivered", "paid"):
        assert event(api, first["id"], kind).status == 200
    assert history(SHARED) == {refused["id"], first["id"]}

    ddb_calls()
    assert api.call("DELETE", f"/accounts/{a}").status == 204
    calls = ddb_calls()  # one transaction, before the deletes
    assert calls.count("TransactWriteItems") == 1 and calls.index("TransactWriteItems") < calls.index("BatchWriteItem")

    assert history(SHARED) == {first["id"]}  # the shared key keeps B's order
    assert history(address_pk(HOME_A)) is None  # A's own address is forgotten with them
    again = place(api, b, body={"phone": "+966 55 999 8877", "email": None, "delivery_address": ELSEWHERE})
    assert again["risk"]["level"] == "low" and again["risk"]["flags"] == []
    assert not any(refused["id"] in reason for reason in again["risk"]["reasons"])
    # B's own delivered and paid order on the shared phone still counts: a good customer now
    assert (again["status"], again["confirmed_by"]) == ("confirmed", "good_customer")


def test_an_order_placed_between_the_read_and_the_write_keeps_its_entry(api, ddb_calls):
    """The erasure read the phone key holding only A's order; B's order lands on it before the
    erasure writes: the conditional delete fails, the keys are read again and A's entry is removed."""
    a = account(api, "أحمد")
    refused = refused_order(api, a, phone=PHONE, email=None, delivery_address=HOME_A)
    plan = account_store.plan_erasure(account_store.get(BOSS, a))
    assert {(c.pk, tuple(c.entries), c.others) for c in plan.match_keys} == {
        (SHARED, (refused["id"],), 0),
        (address_pk(HOME_A), (refused["id"],), 0),
    }
    b = account(api, "بدر")
    meanwhile = place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})

    ddb_calls()
    account_store.erase(plan)
    # the transaction lost, the keys read again, the transaction won, the deletes
    assert ddb_calls() == ["TransactWriteItems", "BatchGetItem", "TransactWriteItems", *["BatchWriteItem"] * 2]
    assert history(SHARED) == {meanwhile["id"]}
    assert history(address_pk(HOME_A)) is None


def test_a_shared_key_emptied_by_another_erasure_meanwhile_is_deleted_not_left_empty(api, ddb_calls):
    """A and B share a phone; A's erasure reads the key (B's entry in it: remove A's only), B is
    erased first: removing A's entry would leave an empty item whose key names the phone."""
    a = account(api, "أحمد")
    refused = refused_order(api, a, phone=PHONE, email=None, delivery_address=HOME_A)
    b = account(api, "بدر")
    place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})
    plan = account_store.plan_erasure(account_store.get(BOSS, a))
    assert [(c.entries, c.others) for c in plan.match_keys if c.pk == SHARED] == [([refused["id"]], 1)]
    assert api.call("DELETE", f"/accounts/{b}").status == 204
    assert history(SHARED) == {refused["id"]}

    ddb_calls()
    account_store.erase(plan)
    assert ddb_calls()[:3] == ["TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
    assert history(SHARED) is None


def test_an_erasure_that_keeps_losing_the_race_is_a_409_and_a_retry_finishes_it(api, monkeypatch, ddb_calls):
    a = account(api, "أحمد")
    refused = refused_order(api, a, phone=PHONE, email=None, delivery_address=HOME_A)
    stale = account_store.plan_erasure(account_store.get(BOSS, a)).match_keys
    b = account(api, "بدر")
    meanwhile = place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})
    with monkeypatch.context() as patched:  # every read of the keys answers what the first one did
        patched.setattr(account_store, "_match_key_erasures", lambda *_: stale)
        ddb_calls()
        r = api.call("DELETE", f"/accounts/{a}")
        assert r.is_problem(409), r.raw
        assert ddb_calls().count("TransactWriteItems") == account_store.MATCH_KEY_ATTEMPTS
    assert api.call("GET", f"/accounts/{a}").status == 200  # nothing was deleted
    assert history(SHARED) == {refused["id"], meanwhile["id"]}

    assert api.call("DELETE", f"/accounts/{a}").status == 204
    assert history(SHARED) == {meanwhile["id"]}
    assert api.call("GET", f"/accounts/{a}").status == 404


@pytest.mark.parametrize("orders", [0, 1])
def test_a_customer_without_orders_reads_no_match_keys(api, ddb_calls, orders):
    a = account(api, "أحمد")
    for _ in range(orders):
        place(api, a, body={"phone": PHONE, "email": None, "delivery_address": HOME_A})
    ddb_calls()
    assert api.call("DELETE", f"/accounts/{a}", user="boss", role="manager").status == 204
    calls = ddb_calls()  # a manager's visibility read is a GetItem: any BatchGetItem reads match keys
    assert (calls.count("BatchGetItem"), calls.count("TransactWriteItems")) == (orders, orders), calls
    assert history(SHARED) is None
