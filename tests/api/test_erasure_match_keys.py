"""Erasure and the order match keys: an erased customer's orders no longer weigh on the risk of
whoever shares their phone, e-mail or address, and an order placed for the same key while the
erasure runs is never lost (nor an empty key left behind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.config import environment
from chalicelib.domain.order_risk import address_key
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import keys
from tests.api.order_helpers import event, place
from tests.api.pipeline_helpers import account

PHONE = "0559998877"
SHARED = keys.order_match("org-a", "phone", "+966559998877")
HOME_A = {"line1": "شارع التحلية، عمارة ١٢", "city": "جدة", "country": "SA"}
HOME_B = {"line1": "حي الروضة ٤", "city": "الرياض", "country": "SA"}
ELSEWHERE = {"line1": "طريق الملك فهد ٩", "city": "الدمام", "country": "SA"}


def history(pk: str) -> set[str] | None:
    """The order ids a match key holds, None when the item is gone (test inspection only)."""
    item = boto3.client("dynamodb").get_item(
        TableName=environment().table_name, Key={"pk": {"S": pk}, "sk": {"S": keys.MATCH_HISTORY}}
    )
    return set(item["Item"]["orders"]["M"]) if "Item" in item else None


def request(account_id: str) -> account_store.ErasureRequest:
    """An erasure request for calling the store's ``erase`` directly (its entry need not exist)."""
    return account_store.ErasureRequest("org-a", account_id, "2026-01-01T00:00:00.000000Z#org-a#" + account_id)


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
    assert api.erase(a).status == 202
    calls = ddb_calls()  # the request's transaction; the worker's one for the keys, before the deletes
    assert calls.count("TransactWriteItems") == 2
    assert calls.index("TransactWriteItems", 1) < calls.index("BatchWriteItem")

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
    plan = account_store.plan_erasure("org-a", a)
    assert {(c.pk, tuple(c.entries), c.others) for c in plan.match_keys} == {
        (SHARED, (refused["id"],), 0),
        (address_pk(HOME_A), (refused["id"],), 0),
    }
    b = account(api, "بدر")
    meanwhile = place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})

    ddb_calls()
    account_store.erase(plan, request(a))
    # the transaction lost, the keys read again, the transaction won, the deletes, the request's entry
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
    plan = account_store.plan_erasure("org-a", a)
    assert [(c.entries, c.others) for c in plan.match_keys if c.pk == SHARED] == [([refused["id"]], 1)]
    assert api.erase(b).status == 202
    assert history(SHARED) == {refused["id"]}

    ddb_calls()
    account_store.erase(plan, request(a))
    assert ddb_calls()[:3] == ["TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
    assert history(SHARED) is None


def test_an_erasure_that_keeps_losing_the_race_waits_and_the_sweeper_finishes_it(api, monkeypatch, ddb_calls):
    a = account(api, "أحمد")
    refused = refused_order(api, a, phone=PHONE, email=None, delivery_address=HOME_A)
    stale = account_store.plan_erasure("org-a", a).match_keys
    b = account(api, "بدر")
    meanwhile = place(api, b, body={"phone": PHONE, "email": None, "delivery_address": HOME_B})
    with monkeypatch.context() as patched:  # every read of the keys answers what the first one did
        patched.setattr(account_store, "_match_key_erasures", lambda *_: stale)
        ddb_calls()
        assert api.erase(a).status == 202
        # the request's transaction, then the worker's attempts on the keys, all lost
        assert ddb_calls().count("TransactWriteItems") == 1 + account_store.MATCH_KEY_ATTEMPTS
    assert api.call("GET", f"/accounts/{a}").is_problem(404)  # gone from every read at once
    assert history(SHARED) == {refused["id"], meanwhile["id"]}  # nothing of the keys was lost
    later = datetime.now(UTC) + account_store.ERASURE_RETRY_AFTER + timedelta(minutes=1)
    assert [r.account_id for r in account_store.stalled_erasures(later)] == [a]  # the request waits

    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(later))
    assert JOBS["resume_erasures"].run() == {"queued": 1, "not_queued": 0}
    assert api.drain_work_queue() == 1
    assert history(SHARED) == {meanwhile["id"]}
    assert account_store.stalled_erasures(later) == []


@pytest.mark.parametrize("orders", [0, 1])
def test_a_customer_without_orders_reads_no_match_keys(api, ddb_calls, orders):
    a = account(api, "أحمد")
    for _ in range(orders):
        place(api, a, body={"phone": PHONE, "email": None, "delivery_address": HOME_A})
    ddb_calls()
    assert api.erase(a, user="boss", role="manager").status == 202
    calls = ddb_calls()  # a manager's visibility read is a GetItem: any BatchGetItem reads match keys
    # (one TransactWriteItems is the request's)
    assert (calls.count("BatchGetItem"), calls.count("TransactWriteItems")) == (orders, 1 + orders), calls
    assert history(SHARED) is None
