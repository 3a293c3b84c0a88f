"""Scheduled jobs, the outbox, coupons and erasure under injected faults (tests/api/faults.py).

- Throttling at the caller level (our code gets ``ThrottlingException`` as after botocore's last
  retry): a job run fails and the next run goes on; every message is delivered exactly once.
- A crash before each step of a ladder step, a follow-up send, a coupon redeem and an erasure
  (every DynamoDB call and the delivery, in order), then the retry / next run: the end state is
  the one without the crash; a message whose delivery was not confirmed ends ``failed``, never
  sent twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import messaging
from chalicelib.config import environment
from chalicelib.domain.errors import Conflict, NotFound, Unavailable
from chalicelib.domain.messages import NOT_CONFIRMED
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from tests.api.faults import SEND, Crash, CrashAt, Faults, injected
from tests.api.order_helpers import event, place
from tests.api.pipeline_helpers import account, lead, move

# Sunday 22 November 2026, 09:00 UTC = 12:00 in Riyadh: inside the default sending hours.
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MANAGER = {"user": "boss", "role": "manager"}
BOSS = Principal("boss", "org-a", "manager")


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    messaging.clear_recorded()
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0))
    yield
    messaging.clear_recorded()


def run(monkeypatch, job: str, at: datetime) -> dict[str, Any]:
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(at))
    return JOBS[job].run()


def deliveries() -> Counter[str]:
    """How many times each message id reached the (local) provider."""
    return Counter(envelope.message_id for envelope, _ in messaging.recorded())


def messages(api, **query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = "&".join(f"{k}={v}" for k, v in {**query, **({"cursor": cursor} if cursor else {})}.items())
        page = api.call("GET", f"/messages?{params}&limit=200", **MANAGER).json
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def paid_order(api, name: str, email: str) -> dict[str, Any]:
    acc = account(api, name, body={"emails": [email], "language": "en"})
    order = place(api, acc, body={"payment": "prepaid", "email": email})
    r = event(api, order["id"], "paid")
    assert r.status == 200, r.raw
    return dict(r.json)


# -- throttling --------------------------------------------------------------------------------


def test_every_job_under_throttling_sends_each_message_exactly_once(api, monkeypatch):
    """Five cash-on-delivery orders climb the ladder and five paid orders get their first
    follow-ups while 10% of DynamoDB calls fail as after botocore's retries. A failed run is
    retried by the next one (a minute later); at the end every message was delivered once, and
    none is left 'delivery not confirmed' (a throttled write is known not to have happened)."""
    for i in range(5):
        place(api, account(api, f"Ghost {i}"), body={"phone": f"05500000{i:02d}", "email": f"g{i}@example.com"})
        paid_order(api, f"Buyer {i}", f"b{i}@example.com")
    failed_runs = 0
    with injected(Faults(seed=7, throttle=0.10, level="caller")) as faults:
        for minute in [1, 2, 3, 4, 5, 6, 7, 8, 240, 241, 242, 243, 244, 245, 246, 480, 481, 482, 483, 484, 485, 486]:
            for job in ("confirmation_ladder", "follow_ups"):
                try:
                    run(monkeypatch, job, T0 + timedelta(minutes=minute))
                except Unavailable:
                    failed_runs += 1
    assert failed_runs > 3 and len(faults.throttled) > 10
    listed = messages(api)
    kinds = Counter((m["kind"], m["channel"]) for m in listed)
    # ladder: sms, whatsapp, e-mail for each order; follow-ups: bonus (day 0) for each paid order
    assert kinds == {
        ("order_confirmation", "sms"): 5,
        ("order_confirmation", "whatsapp"): 5,
        ("order_confirmation", "email"): 5,
        ("bonus_material", "email"): 5,
    }, kinds
    assert Counter(m["status"] for m in listed) == {"sent": 20}, [m["failure_reason"] for m in listed]
    assert deliveries() == {m["id"]: 1 for m in listed}


# -- crashes -----------------------------------------------------------------------------------

# One ladder step of one order, then the outbox pass: four shard Queries, the batch read of the
# due orders, the step's transaction; the message the step queued handed straight to the outbox
# (no read back): the claim, the delivery, the recorded outcome; then the outbox's four shard
# Queries for anything else due.
LADDER_STEPS = [
    *["Query"] * 4,
    "BatchGetItem",
    "TransactWriteItems",
    "UpdateItem",
    SEND,
    "TransactWriteItems",
    *["Query"] * 4,
]


def _ladder_setup(api) -> dict[str, Any]:
    return place(api, account(api, "Ghost"), body={"email": None})


def test_the_ladder_steps_are_the_ones_the_crash_tests_cover(api, monkeypatch):
    _ladder_setup(api)
    with injected(Faults()) as faults:
        run(monkeypatch, "confirmation_ladder", T0 + timedelta(minutes=1))
    assert faults.calls == LADDER_STEPS, " ".join(faults.calls)


def _assert_one_message(listed: list[dict[str, Any]]) -> None:
    """One message; delivered once and sent, or (its delivery not confirmed) failed and delivered
    at most once."""
    [message] = listed
    delivered = deliveries()[message["id"]]
    assert sum(deliveries().values()) == delivered
    if message["status"] == "sent":
        assert delivered == 1
    else:
        assert (message["status"], message["failure_reason"], delivered <= 1) == ("failed", NOT_CONFIRMED, True)


@pytest.mark.parametrize("step", range(1, len(LADDER_STEPS) + 2))
def test_a_ladder_run_dying_at_any_step_takes_the_step_once(api, monkeypatch, step):
    order = _ladder_setup(api)
    crash = CrashAt(step) if step <= len(LADDER_STEPS) else CrashAt(len(LADDER_STEPS), when="after")
    with injected(Faults(crash=crash)) as faults, pytest.raises(Crash):
        run(monkeypatch, "confirmation_ladder", T0 + timedelta(minutes=1))
    assert faults.crashed
    for minutes in (2, 3, 15):  # the next runs, the last past the outbox's send timeout
        run(monkeypatch, "confirmation_ladder", T0 + timedelta(minutes=minutes))
    got = api.call("GET", f"/orders/{order['id']}", **MANAGER).json
    assert (got["status"], got["ladder_step"], got["version"]) == ("pending_confirmation", "whatsapp", 2)
    _assert_one_message(messages(api, order_id=order["id"]))


# A follow-up: four shard Queries, the batch read of the due items and what they need, the
# item's transaction; then its message delivered and the outbox's shard Queries, as above.
FOLLOW_UP_STEPS = [
    *["Query"] * 4,
    "BatchGetItem",
    "TransactWriteItems",
    "UpdateItem",
    SEND,
    "TransactWriteItems",
    *["Query"] * 4,
]


def test_the_follow_up_steps_are_the_ones_the_crash_tests_cover(api, monkeypatch):
    paid_order(api, "Buyer", "b@example.com")
    with injected(Faults()) as faults:
        run(monkeypatch, "follow_ups", T0)
    assert faults.calls == FOLLOW_UP_STEPS, " ".join(faults.calls)


@pytest.mark.parametrize("step", range(1, len(FOLLOW_UP_STEPS) + 2))
def test_a_follow_up_run_dying_at_any_step_sends_at_most_once(api, monkeypatch, step):
    from chalicelib.persistence import follow_ups as follow_up_store

    order = paid_order(api, "Buyer", "b@example.com")
    crash = CrashAt(step) if step <= len(FOLLOW_UP_STEPS) else CrashAt(len(FOLLOW_UP_STEPS), when="after")
    with injected(Faults(crash=crash)) as faults, pytest.raises(Crash):
        run(monkeypatch, "follow_ups", T0)
    assert faults.crashed
    for minutes in (5, 10, 20):
        run(monkeypatch, "follow_ups", T0 + timedelta(minutes=minutes))
    bonus = [p for p in follow_up_store.plan_of("org-a", order["id"]) if p.kind == "bonus_material"]
    assert [p.status for p in bonus] == ["queued"]
    _assert_one_message(messages(api, order_id=order["id"]))


# A redeem: the order (visibility), the coupon, one transaction.
REDEEM_STEPS = ["GetItem", "GetItem", "TransactWriteItems"]


def _coupon_setup(api) -> tuple[str, str, str]:
    from chalicelib.domain.coupons import issue_coupon
    from chalicelib.domain.settings import CouponRule
    from chalicelib.persistence import coupons as coupon_store
    from chalicelib.persistence import db

    acc = account(api)
    coupon = issue_coupon(org_id="org-a", account_id=acc, order_id=None, rule=CouponRule(), now=T0)
    db.ready()
    with db.transaction() as tx:
        coupon_store.add(tx, coupon)
    return acc, coupon.code, place(api, acc)["id"]


@pytest.mark.parametrize("step", range(1, len(REDEEM_STEPS) + 2))
def test_a_redeem_dying_at_any_step_redeems_once_when_retried(api, step):
    from chalicelib.domain.coupons import RedeemIn
    from chalicelib.persistence import coupons as coupon_store
    from chalicelib.services import coupons

    acc, code, order_id = _coupon_setup(api)
    crash = CrashAt(step) if step <= len(REDEEM_STEPS) else CrashAt(len(REDEEM_STEPS), when="after")
    with injected(Faults(crash=crash)) as faults, pytest.raises(Crash):
        coupons.redeem(BOSS, code, RedeemIn(order_id=order_id))
    assert faults.calls == REDEEM_STEPS[:step]
    try:  # the client's retry
        coupons.redeem(BOSS, code, RedeemIn(order_id=order_id))
    except Conflict as refused:  # the first try had redeemed it: the 409 names this very order
        assert step > len(REDEEM_STEPS) and refused.extra["redeemed_order_id"] == order_id
    stored = coupon_store.find("org-a", code)
    assert stored is not None and (stored.status, stored.redeemed_order_id, stored.version) == (
        "redeemed",
        order_id,
        2,
    )
    timeline = api.call("GET", f"/accounts/{acc}/timeline", **MANAGER).json["items"]
    assert [e["kind"] for e in timeline].count("coupon_redeemed") == 1


# -- erasure -----------------------------------------------------------------------------------


def table() -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": environment().table_name}
    while True:  # test inspection only
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def counters(org: str) -> dict[tuple[str, str], str]:
    """The organisation's report counter items, with the organisation's name taken out."""
    return {
        (i["pk"]["S"].replace(org, "O"), i["sk"]["S"]): str(
            {k: v for k, v in sorted(i.items()) if k not in ("pk", "sk", "version", "updated_at", "applied")}
        ).replace(org, "O")
        for i in table()
        if i["pk"]["S"].startswith(f"ORG#{org}#STAT")
    }


def rich_customer(api, org: str) -> tuple[str, list[str]]:
    """A customer with everything that hangs off one: a won lead with a referral request, a lost
    lead with an objection, an inbound message, an order that was delivered and paid (events,
    match keys, follow-up plan and due entries), a queued ladder message. Returns the account id
    and every identifier that must be gone after the erasure."""
    kw = {"org": org, **MANAGER}
    acc = account(api, "زبون للحذف", body={"emails": ["erase.me@example.com"], "phones": ["0557654321"]}, **kw)
    won = lead(api, acc, "صفقة", **kw)
    assert move(api, won["id"], "closing", **kw).status == 200
    assert move(api, won["id"], "follow_up", **kw).status == 200
    api.call("POST", f"/leads/{won['id']}/referral-requests", {"channel": "phone"}, **kw)
    lost = lead(api, acc, "ثانية", **kw)
    api.call("POST", f"/leads/{lost['id']}/objections", {"category": "price", "text": "غالي"}, **kw)
    assert api.call("POST", f"/leads/{lost['id']}/lost", {"reason": "price"}, **kw).status == 200
    r = api.call(
        "POST",
        "/interactions",
        {
            "account_id": acc,
            "channel": "sms",
            "direction": "inbound",
            "occurred_at": "2026-11-21T09:00:00Z",
            "body": "hi",
        },
        **kw,
    )
    assert r.status == 201, r.raw
    paid = place(api, acc, **kw)
    for kind in ("confirmed", "shipped", "delivered", "paid"):
        assert event(api, paid["id"], kind, **kw).status == 200
    pending = place(api, acc, body={"phone": "0557654321"}, **kw)
    return acc, [acc, won["id"], lost["id"], paid["id"], pending["id"], "erase.me@example.com", "+966557654321"]


def leftovers(identifiers: list[str]) -> list[dict[str, Any]]:
    """Items that still name the customer (order match keys too: their pk names the phone or
    e-mail, their history the orders and the account)."""
    return [i for i in table() if any(x in str(i) for x in identifiers)]


def erase_and_let_the_jobs_drop_its_due_entries(api, monkeypatch, principal: Principal, account_id: str) -> None:
    """The erasure (the request, then the worker through the work queue), then one run of each job
    a month later: due entries of erased orders and messages are dropped by the job that reads
    them (by design, not by the erasure)."""
    from chalicelib.services import accounts

    try:
        accounts.delete_account(principal, account_id)
        api.drain_work_queue()
    finally:
        for job in ("confirmation_ladder", "follow_ups"):
            run(monkeypatch, job, T0 + timedelta(days=40))


def retry_erasure(api, monkeypatch, principal: Principal, account_id: str) -> None:
    """What follows a crash: the client asks again (404 once the request went through), and the
    sweeper queues the unfinished request for the worker again."""
    from chalicelib.services import accounts

    try:
        accounts.delete_account(principal, account_id)
    except NotFound:
        pass  # the first request went through: the account is gone from reads already
    later = max(T0 + timedelta(days=41), datetime.now(UTC) + timedelta(days=1))
    run(monkeypatch, "resume_erasures", later)
    api.drain_work_queue()
    for job in ("confirmation_ladder", "follow_ups"):
        run(monkeypatch, job, later)


def test_the_erasure_steps_are_the_ones_the_crash_tests_cover(api, monkeypatch):
    acc, identifiers = rich_customer(api, "org-a")
    assert leftovers(identifiers)
    with injected(Faults()) as faults:
        erase_and_let_the_jobs_drop_its_due_entries(api, monkeypatch, BOSS, acc)
    assert faults.calls[: len(ERASURE_STEPS)] == ERASURE_STEPS, " ".join(faults.calls)
    assert leftovers(identifiers) == []


def test_erasure_takes_the_customers_orders_out_of_the_match_keys(api, monkeypatch):
    acc, identifiers = rich_customer(api, "org-a")
    assert [i for i in leftovers(identifiers) if "#OMATCH#" in i["pk"]["S"]]
    erase_and_let_the_jobs_drop_its_due_entries(api, monkeypatch, BOSS, acc)
    assert leftovers(identifiers) == []
    assert [i for i in table() if "#OMATCH#" in i["pk"]["S"]] == []  # no empty history names a contact


# The request: the account, then one transaction (profile, claims and name keys out, the request's
# due entry in); its work-queue message is not a DynamoDB call. The worker: the due entry; the
# account partition and each linked one (two leads, two orders); the match keys its orders used
# (one batch read); the report counters taken off (one UpdateItem per counter item); the orders
# taken out of the match keys (one transaction, while the orders still name them); the deletes in
# 25s, the due entry last.
ERASURE_STEPS = [
    "GetItem",
    "TransactWriteItems",
    "GetItem",
    *["Query"] * 5,
    "BatchGetItem",
    *["UpdateItem"] * 5,
    "TransactWriteItems",
    *["BatchWriteItem"] * 3,
]


@pytest.mark.parametrize("step", range(1, len(ERASURE_STEPS) + 2))
def test_an_erasure_dying_at_any_step_finishes_when_retried_and_leaves_nothing(api, monkeypatch, step):
    from chalicelib.services import accounts

    reference, _ = rich_customer(api, "org-b")
    accounts.delete_account(Principal("boss", "org-b", "manager"), reference)
    assert api.drain_work_queue() == 1
    acc, identifiers = rich_customer(api, "org-a")
    crash = CrashAt(step) if step <= len(ERASURE_STEPS) else CrashAt(len(ERASURE_STEPS), when="after")

    with injected(Faults(crash=crash)) as faults, pytest.raises(Crash):
        accounts.delete_account(BOSS, acc)
        api.drain_work_queue()
    assert faults.crashed
    retry_erasure(api, monkeypatch, BOSS, acc)
    assert leftovers(identifiers) == []
    assert counters("org-a") == counters("org-b")  # the reports lost what the customer added, once
