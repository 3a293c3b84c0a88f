"""The confirmation ladder driven through time with an injected clock (TAWASUL_NOW)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import messaging
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from chalicelib.services import ladder, outbox
from tests.api.order_helpers import counted_reads, event, place, run_at_once, stored_order
from tests.api.pipeline_helpers import account

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MANAGER = {"user": "boss", "role": "manager"}
ADMIN = {"user": "root", "role": "admin"}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    messaging.clear_recorded()
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0))
    yield
    messaging.clear_recorded()


def at(monkeypatch, minutes: float) -> dict[str, Any]:
    """Run the scheduled job as it would run ``minutes`` after T0."""
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0 + timedelta(minutes=minutes)))
    return JOBS["confirmation_ladder"].run()


def sent() -> list[tuple[str, str, str | None]]:
    return [(e.channel, e.body, e.reply_to) for e, _ in messaging.recorded()]


def test_each_step_once_in_order(api, monkeypatch):
    assert api.call("PUT", "/settings", {"support_email": "help@shop.example"}, **ADMIN).status == 200
    acc = account(api, "زبون شبح")
    order = place(api, acc)
    assert at(monkeypatch, 0.5)["steps"] == 0 and sent() == []
    assert at(monkeypatch, 1)["steps"] == 1
    assert at(monkeypatch, 2)["steps"] == 0  # a step is taken once
    [(channel, body, _)] = sent()
    assert channel == "sms" and body.startswith("رسالة آلية") and f"/orders/{order['id']}/confirm?token=" in body
    link = body.split("http://127.0.0.1:8000")[1].split()[0]
    at(monkeypatch, 240)
    assert [s[0] for s in sent()] == ["sms", "whatsapp"] and link in sent()[1][1]
    at(monkeypatch, 480)
    channel, body, reply_to = sent()[2]
    assert channel == "email" and "/confirm" not in body and "http" not in body and reply_to == "help@shop.example"
    assert body.startswith("رسالة آلية")
    at(monkeypatch, 1440)
    assert len(sent()) == 3  # the call step sends nothing: it queues the order for a rep
    queue = api.call("GET", "/orders?needs_call=true", **MANAGER).json["items"]
    assert [(o["id"], o["needs_call"], o["ladder_step"]) for o in queue] == [(order["id"], True, "cancel")]
    assert at(monkeypatch, 2880)["steps"] == 1
    got = api.call("GET", f"/orders/{order['id']}").json
    assert (got["status"], got["needs_call"], got["ladder_step"]) == ("cancelled", False, None)
    assert got["events"][-1]["by"] == "ladder" and "ghost" in got["cancel_reason"]
    assert api.call("GET", "/orders?needs_call=true", **MANAGER).json["items"] == []
    customer = api.call("GET", f"/accounts/{acc}").json
    assert customer["risk"]["level"] == "high" and "ghost" in customer["tags"]
    assert order["id"] in customer["risk"]["reasons"][-1]
    assert at(monkeypatch, 5000)["steps"] == 0
    messages = api.call("GET", f"/messages?order_id={order['id']}").json["items"]
    assert sorted((m["channel"], m["status"]) for m in messages) == [
        ("email", "sent"),
        ("sms", "sent"),
        ("whatsapp", "sent"),
    ]
    # the ghost follows the customer's phone to their next order
    again = place(api, account(api, "اسم جديد"), body={"email": None})
    assert again["risk"]["flags"][0]["outcome"] == "ghost" and again["risk"]["flags"][0]["key"] == "phone"


def test_confirming_stops_the_ladder(api, monkeypatch):
    order = place(api, account(api))
    at(monkeypatch, 1)
    assert event(api, order["id"], "confirmed").status == 200
    for minutes in (240, 480, 1440, 2880):
        assert at(monkeypatch, minutes)["steps"] == 0
    assert [s[0] for s in sent()] == ["sms"]
    assert api.call("GET", f"/orders/{order['id']}").json["status"] == "confirmed"


def test_an_order_without_a_phone_skips_to_the_email(api, monkeypatch):
    place(api, account(api), body={"phone": None, "email": "only@example.com"})
    for minutes in (1, 240, 480):
        at(monkeypatch, minutes)
    assert [(s[0]) for s in sent()] == ["email"]


def test_two_runs_at_once_take_each_step_once(api, monkeypatch):
    for i in range(3):
        place(api, account(api, f"عميل {i}"), body={"phone": f"055000000{i}", "email": None})
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0 + timedelta(minutes=1)))
    results = run_at_once("confirmation_ladder")
    assert sum(r["steps"] for r in results) == 3
    assert sorted(e.to for e, _ in messaging.recorded()) == ["+966550000000", "+966550000001", "+966550000002"]


def test_a_run_that_crashed_after_queueing_sends_on_retry_once(api, monkeypatch):
    order = place(api, account(api))
    real = outbox.deliver_due

    def crash(now, queued=()):
        raise SystemExit("timeout")

    monkeypatch.setattr(outbox, "deliver_due", crash)
    with pytest.raises(SystemExit):
        at(monkeypatch, 1)
    monkeypatch.setattr(outbox, "deliver_due", real)
    assert sent() == []
    result = at(monkeypatch, 1.5)  # the retried run: the step is not taken again, its message goes out
    assert result["steps"] == 0 and result["outbox"]["sent"] == 1
    assert [s[0] for s in sent()] == ["sms"]
    [message] = api.call("GET", f"/messages?order_id={order['id']}").json["items"]
    assert message["status"] == "sent"


def test_the_jobs_reads_follow_the_due_orders_not_the_table(api, monkeypatch):
    from chalicelib.domain import order_risk
    from chalicelib.domain.ladder import decide_start
    from chalicelib.persistence import db
    from chalicelib.persistence import orders as store

    def build(i: int, created: datetime, *, with_order: bool = True) -> list[Any]:
        order = stored_order(i, f"ord-{i:05d}", payment="cod", now=created)
        order = decide_start(order, order_risk.assess({}))
        return [store.to_item(order), store._due_item(order)] if with_order else [store._due_item(order)]

    items: list[Any] = []
    # 5,000 orders waiting on the ladder but not due yet: their entries share the shards (their
    # profiles are left out to keep moto's batch writes short; the job never reads them)
    for i in range(5000):
        items += build(i, T0 + timedelta(minutes=10), with_order=False)
    for i in range(5000, 5020):  # placed earlier: due
        items += build(i, T0 - timedelta(minutes=5))
    db.ready()
    db.batch_write(items)

    # The steps' writes are left out: moto copies the whole table for every transaction, which
    # at this size takes minutes (other tests cover the writes); what is measured here is what
    # the job reads to find its work.
    taken: list[str] = []
    monkeypatch.setattr(ladder, "take", lambda order, step, now, account, **kw: taken.append(order.id) or True)
    with counted_reads() as reads:
        result = ladder.run(T0)
    assert result["steps"] == 20 and sorted(taken) == [f"ord-{i:05d}" for i in range(5000, 5020)]
    operations = [op for op, _ in reads]
    # one Query per ladder shard and one batch read of the due orders; then the outbox's one
    # Query per shard (nothing queued here)
    assert operations == ["Query"] * 4 + ["BatchGetItem"] + ["Query"] * 4
    assert sum(n for _, n in reads) == 20 + 20  # due entries read, due orders read: not 5,000


def test_a_run_reads_each_due_order_once_and_sends_what_it_queued_without_reading_it_back(api, monkeypatch):
    orders = [place(api, account(api, f"عميل {i}", body={"phones": [f"05011100{i:02d}"]})) for i in range(3)]
    with counted_reads() as reads:
        result = at(monkeypatch, 1)
    assert result["steps"] == 3 and result["outbox"]["sent"] == 3
    assert sorted(
        next(o["id"] for o in orders if f"/orders/{o['id']}/confirm" in body) for _, body, _ in sent()
    ) == sorted(o["id"] for o in orders)  # each order's SMS once
    # the ladder's Query per shard and batch read of the due orders; the outbox's Query per shard
    # finds nothing left: the three SMS went out straight from the run (before: + 3 due entries,
    # + a batch read of 3 messages and 3 orders)
    assert [op for op, _ in reads] == ["Query"] * 4 + ["BatchGetItem"] + ["Query"] * 4
    assert sum(n for _, n in reads) == 3 + 3  # two items per due order


def test_a_reminder_queued_before_the_customer_confirmed_is_not_sent(api, monkeypatch):
    order = place(api, account(api))
    real = outbox.deliver_due
    monkeypatch.setattr(outbox, "deliver_due", lambda now, queued=(): {})
    at(monkeypatch, 1)  # the SMS is queued; this run's outbox pass never happens
    monkeypatch.setattr(outbox, "deliver_due", real)
    assert event(api, order["id"], "confirmed").status == 200
    assert at(monkeypatch, 2)["outbox"]["obsolete"] == 1
    assert sent() == []
    [message] = api.call("GET", f"/messages?order_id={order['id']}").json["items"]
    assert (
        message["status"] == "failed"
        and message["failure_reason"] == "not sent: the order was confirmed before it went out"
    )


def test_erasing_the_customer_takes_the_orders_and_the_ladder_lets_go(api, monkeypatch):
    acc = account(api)
    order = place(api, acc)
    at(monkeypatch, 1)
    assert api.erase(acc).status == 202
    assert api.call("GET", f"/orders/{order['id']}", **MANAGER).is_problem(404)
    assert api.call("GET", f"/messages?order_id={order['id']}", **MANAGER).is_problem(404)
    result = at(monkeypatch, 240)
    assert (result["steps"], result["stale"]) == (0, 1)  # its due entry is dropped, nothing sent
    assert [s[0] for s in sent()] == ["sms"]
