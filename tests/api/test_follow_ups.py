"""After the sale: the plan made with the order event, the follow-up job over a simulated month
(injected clock, TAWASUL_NOW), exactly once under overlapping and retried runs, and coupons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import pytest

from chalicelib import messaging
from chalicelib.domain.errors import Conflict
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from chalicelib.persistence import follow_ups as follow_up_store
from tests.api.order_helpers import counted_reads, event, place, run_at_once, stored_order
from tests.api.pipeline_helpers import account

# Sunday 22 November 2026, 09:00 UTC = 12:00 in Riyadh: inside the default sending hours.
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MANAGER = {"user": "boss", "role": "manager"}
ADMIN = {"user": "root", "role": "admin"}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    messaging.clear_recorded()
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0))
    yield
    messaging.clear_recorded()


def set_clock(monkeypatch, at: datetime) -> None:
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(at))


def paid_order(api, monkeypatch, acc: str | None = None, **body: Any) -> dict[str, Any]:
    """A prepaid order paid at T0: day 0 of its follow-ups."""
    acc = acc or account(api, "سارة", body={"emails": ["sara@example.com"], "language": "en"})
    order = place(api, acc, body={"payment": "prepaid", **body})
    set_clock(monkeypatch, T0)
    r = event(api, order["id"], "paid")
    assert r.status == 200, r.raw
    return dict(r.json)


def test_day_zero_plans_the_follow_ups_in_the_event_transaction(api, monkeypatch, ddb_calls):
    acc = account(api, "سارة", body={"emails": ["sara@example.com"]})
    order = place(api, acc, body={"payment": "prepaid"})
    ddb_calls()
    assert event(api, order["id"], "paid").status == 200
    # the order, the settings (the plan's source), one transaction with everything
    assert ddb_calls() == ["GetItem", "GetItem", "TransactWriteItems"]
    plan = follow_up_store.plan_of("org-a", order["id"])
    assert sorted((p.kind, p.day) for p in plan) == [
        ("bonus_material", 0),
        ("checkin", 1),
        ("checkin", 3),
        ("coupon", 14),
        ("referral_request", 10),
        ("review_request", 7),
    ]
    assert {p.day0 for p in plan} == {T0}
    # shipping and delivering a paid order plans nothing more
    assert event(api, order["id"], "shipped").status == 200
    assert event(api, order["id"], "delivered").status == 200
    assert len(follow_up_store.plan_of("org-a", order["id"])) == 6


def test_cash_on_delivery_starts_on_delivery(api, monkeypatch):
    acc = account(api)
    order = place(api, acc)
    for kind in ("confirmed", "shipped"):
        assert event(api, order["id"], kind).status == 200
    assert follow_up_store.plan_of("org-a", order["id"]) == []
    assert event(api, order["id"], "delivered").status == 200
    assert len(follow_up_store.plan_of("org-a", order["id"])) == 6
    assert event(api, order["id"], "paid").status == 200
    assert len(follow_up_store.plan_of("org-a", order["id"])) == 6


def test_planning_twice_plans_nothing_new(api, monkeypatch):
    from chalicelib.domain import follow_ups
    from chalicelib.domain.settings import OrgSettings
    from chalicelib.persistence import db
    from chalicelib.persistence import orders as order_store

    order = paid_order(api, monkeypatch)
    before = follow_up_store.plan_of("org-a", order["id"])
    stored = order_store.find("org-a", order["id"])
    assert stored is not None
    again = follow_ups.plan_follow_ups(stored, OrgSettings(), T0 + timedelta(hours=1))
    with pytest.raises(Conflict, match="already planned"):
        with db.transaction() as tx:
            follow_up_store.add_plan(tx, again)
    assert follow_up_store.plan_of("org-a", order["id"]) == before


def test_the_largest_plan_fits_in_one_transaction(api, monkeypatch):
    days = list(range(20))
    assert api.call("PUT", "/settings", {"follow_up": {"checkin_days": days}}, **ADMIN).status == 200
    sizes: list[int] = []
    original = botocore.client.BaseClient._make_api_call

    def measuring(self: Any, operation: str, params: Any) -> Any:
        if operation == "TransactWriteItems":
            sizes.append(len(params["TransactItems"]))
        return original(self, operation, params)

    acc = account(api)
    order = place(api, acc)  # cod: delivery is day 0, and the order has phone, e-mail and address keys
    for kind in ("confirmed", "shipped"):
        assert event(api, order["id"], kind).status == 200
    botocore.client.BaseClient._make_api_call = measuring  # type: ignore[method-assign]
    try:
        assert event(api, order["id"], "delivered").status == 200
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert len(follow_up_store.plan_of("org-a", order["id"])) == 24
    assert sizes == [2 * 24 + 1 + 2 + 3]  # plan + due entries, order, event + timeline entry, 3 match keys
    assert sizes[0] <= 100


# -- the job over a simulated month -------------------------------------------------------------


def run_job(monkeypatch, at: datetime) -> dict[str, Any]:
    set_clock(monkeypatch, at)
    return JOBS["follow_ups"].run()


def run_month(monkeypatch, start: datetime = T0, days: int = 31, every_hours: int = 24) -> list[dict[str, Any]]:
    return [run_job(monkeypatch, start + timedelta(hours=h)) for h in range(0, days * 24, every_hours)]


def sent() -> list[messaging.Envelope]:
    return [envelope for envelope, _ in messaging.recorded()]


def messages_of(api, order_id: str, status: str | None = None) -> list[dict[str, Any]]:
    query = f"/messages?order_id={order_id}" + (f"&status={status}" if status else "")
    r = api.call("GET", query, **MANAGER)
    assert r.status == 200, r.raw
    return list(r.json["items"])


def test_the_whole_plan_is_sent_once_over_a_month(api, monkeypatch):
    assert api.call("PUT", "/settings", {"support_email": "help@shop.example"}, **ADMIN).status == 200
    order = paid_order(api, monkeypatch)
    run_month(monkeypatch)
    envelopes = sent()
    assert [e.message_id for e in envelopes] == list(dict.fromkeys(e.message_id for e in envelopes))
    by_kind = {m["id"]: m["kind"] for m in messages_of(api, order["id"])}
    assert [by_kind[e.message_id] for e in envelopes] == [
        "bonus_material",
        "checkin",
        "checkin",
        "review_request",
        "referral_request",
        "coupon",
    ]
    assert {e.channel for e in envelopes} == {"email"} and {e.to for e in envelopes} == {"sara@example.com"}
    assert all(e.body.startswith("Automated message") and e.subject for e in envelopes)
    assert all(e.reply_to == "help@shop.example" for e in envelopes)
    bonus, checkin, _, review, _, coupon_message = envelopes
    assert "a free gift — nothing was added to your order" in bonus.body
    assert "Starter guide: https://example.com/guide.pdf" in bonus.body
    # within the refund window (30 days from day 0): support is reachable, and until when
    assert "2026-12-22" in checkin.body and "help@shop.example" in checkin.body
    assert "reply to this message with 1 to 5 stars" in review.body
    [coupon] = api.call("GET", f"/accounts/{order['account_id']}/coupons").json["items"]
    assert coupon["code"] in coupon_message.body and "10%" in coupon_message.body
    assert coupon["percent_off"] == 10 and coupon["usable"] and coupon["order_id"] == order["id"]
    assert coupon["valid_until"] == format_rfc3339(T0 + timedelta(days=14, hours=0) + timedelta(days=30))
    # the plan is spent: later runs send nothing
    run_month(monkeypatch, T0 + timedelta(days=31), days=3)
    assert len(sent()) == 6
    assert sorted(m["status"] for m in messages_of(api, order["id"])) == ["sent"] * 6
    timeline = api.call("GET", f"/accounts/{order['account_id']}/timeline").json["items"]
    assert sum(1 for e in timeline if e["kind"] == "message") == 6


def test_arabic_by_default_and_whatsapp_without_an_email(api, monkeypatch):
    acc = account(api, "محمد", body={"phones": ["0501234567"]})
    order = paid_order(api, monkeypatch, acc, email=None, phone="0501234567")
    run_job(monkeypatch, T0)
    [bonus] = sent()
    assert bonus.channel == "whatsapp" and bonus.to == "+966501234567" and bonus.subject is None
    assert bonus.body.startswith("رسالة آلية") and "هدية مجانية — لم يُضف أي مبلغ إلى طلبك" in bonus.body
    assert messages_of(api, order["id"])[0]["channel"] == "whatsapp"


def test_the_organisation_names_the_channel_and_the_text(api, monkeypatch):
    change = {
        "follow_up": {"channels": {"bonus_material": "sms"}},
        "message_templates": {"bonus_material": {"en": "Thanks {customer_name}! {link}"}},
    }
    assert api.call("PUT", "/settings", change, **ADMIN).status == 200
    acc = account(api, "Sara", body={"emails": ["sara@example.com"], "phones": ["0501234567"], "language": "en"})
    paid_order(api, monkeypatch, acc)
    run_job(monkeypatch, T0)
    [bonus] = sent()
    assert bonus.channel == "sms" and bonus.to == "+966501234567"
    assert bonus.body.startswith("Automated message: ") and "Thanks Sara!" in bonus.body
    assert "a free gift — nothing was added to your order" in bonus.body


def test_overlapping_runs_send_nothing_twice(api, monkeypatch):
    orders = [
        paid_order(api, monkeypatch, account(api, f"عميل {i}", body={"emails": [f"c{i}@example.com"]}))
        for i in range(3)
    ]
    set_clock(monkeypatch, T0 + timedelta(days=1))  # bonus (day 0) and first check-in (day 1) of each order
    results = run_at_once("follow_ups")
    assert sum(r["queued"] for r in results) == 6
    assert sum(r["outbox"]["sent"] for r in results) == 6
    assert len(sent()) == 6 and len({e.message_id for e in sent()}) == 6
    assert sorted(e.to for e in sent()) == sorted(f"c{i}@example.com" for i in range(3) for _ in range(2))
    for order in orders:
        assert sorted(m["kind"] for m in messages_of(api, order["id"])) == ["bonus_material", "checkin"]


def test_a_retried_run_sends_nothing_twice(api, monkeypatch):
    from chalicelib.services import outbox

    order = paid_order(api, monkeypatch)
    real = outbox.deliver_due
    # the run dies after queueing the bonus message, before its outbox pass
    monkeypatch.setattr(outbox, "deliver_due", lambda now, queued=(): (_ for _ in ()).throw(SystemExit("timeout")))
    with pytest.raises(SystemExit):
        run_job(monkeypatch, T0)
    monkeypatch.setattr(outbox, "deliver_due", real)
    assert sent() == []
    result = run_job(monkeypatch, T0 + timedelta(minutes=5))  # the retry: nothing queued again, the message goes
    assert result["queued"] == 0 and result["outbox"]["sent"] == 1 and len(sent()) == 1
    # the next run dies while the provider takes the check-in (sent, but never recorded sent)
    real_deliver = messaging.deliver

    def deliver_then_die(envelope: messaging.Envelope) -> str:
        real_deliver(envelope)
        raise SystemExit("timeout")

    monkeypatch.setattr(messaging, "deliver", deliver_then_die)
    with pytest.raises(SystemExit):
        run_job(monkeypatch, T0 + timedelta(days=1))
    monkeypatch.setattr(messaging, "deliver", real_deliver)
    assert len(sent()) == 2
    for minutes in (1, 5, 30):  # retries, before and after the send timeout: never resent
        run_job(monkeypatch, T0 + timedelta(days=1, minutes=minutes))
    assert len(sent()) == 2
    checkin = [m for m in messages_of(api, order["id"]) if m["kind"] == "checkin"]
    assert [(m["status"], m["failure_reason"]) for m in checkin] == [
        ("failed", "delivery not confirmed; not resent to avoid a duplicate")
    ]


def test_a_refund_on_day_5_stops_the_rest(api, monkeypatch):
    order = paid_order(api, monkeypatch)
    run_month(monkeypatch, days=5)
    assert len(sent()) == 3  # bonus, check-ins on days 1 and 3
    set_clock(monkeypatch, T0 + timedelta(days=5))
    assert event(api, order["id"], "refunded").status == 200
    run_month(monkeypatch, T0 + timedelta(days=5), days=26)
    assert len(sent()) == 3
    skipped = messages_of(api, order["id"], "skipped")
    assert sorted(m["kind"] for m in skipped) == ["coupon", "referral_request", "review_request"]
    assert {m["failure_reason"] for m in skipped} == {"not sent: the order is refunded"}
    assert api.call("GET", f"/accounts/{order['account_id']}/coupons").json["items"] == []
    timeline = api.call("GET", f"/accounts/{order['account_id']}/timeline").json["items"]
    assert sorted(e["data"]["status"] for e in timeline if e["kind"] == "message") == ["sent"] * 3 + ["skipped"] * 3
    assert {e["data"].get("failure_reason") for e in timeline if e["kind"] == "message"} == {
        None,
        "not sent: the order is refunded",
    }


def test_an_opt_out_stops_everything(api, monkeypatch):
    acc = account(api, "سارة", body={"emails": ["sara@example.com"]})
    profile = api.call("GET", f"/accounts/{acc}").json
    r = api.call("PATCH", f"/accounts/{acc}", {"contact_opt_out": True, "version": profile["version"]})
    assert r.status == 200, r.raw
    order = paid_order(api, monkeypatch, acc)
    run_month(monkeypatch)
    assert sent() == []
    skipped = messages_of(api, order["id"], "skipped")
    assert len(skipped) == 6 and {m["failure_reason"] for m in skipped} == {
        "not sent: the customer opted out of contact"
    }
    assert messages_of(api, order["id"], "sent") == []


def test_quiet_hours_delay_then_send(api, monkeypatch):
    night = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # Sunday 03:00 in Riyadh
    acc = account(api, "سارة", body={"emails": ["sara@example.com"]})
    order = place(api, acc, body={"payment": "prepaid"})
    set_clock(monkeypatch, night)
    assert event(api, order["id"], "paid").status == 200
    assert run_job(monkeypatch, night)["waiting"] == 1 and sent() == []
    [bonus] = [p for p in follow_up_store.plan_of("org-a", order["id"]) if p.kind == "bonus_material"]
    assert bonus.due_at == datetime(2026, 11, 22, 6, 0, tzinfo=UTC) and "09:00" in (bonus.reason or "")
    assert run_job(monkeypatch, night + timedelta(hours=2, minutes=59))["waiting"] == 0 and sent() == []
    assert run_job(monkeypatch, night + timedelta(hours=6))["queued"] == 1 and len(sent()) == 1
    # the first check-in falls on Monday 03:00 and goes at 09:00; the day-3 one, due on Wednesday
    # 03:00, too
    run_month(monkeypatch, night + timedelta(days=1), days=3, every_hours=3)
    times = [m["sent_at"] for m in sorted(messages_of(api, order["id"], "sent"), key=lambda m: m["sent_at"])]
    assert times == ["2026-11-22T06:00:00Z", "2026-11-23T06:00:00Z", "2026-11-25T06:00:00Z"]


def test_the_weekend_waits(api, monkeypatch):
    thursday = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday noon in Riyadh; Friday and Saturday off
    acc = account(api, "سارة", body={"emails": ["sara@example.com"]})
    order = place(api, acc, body={"payment": "prepaid"})
    set_clock(monkeypatch, thursday)
    assert event(api, order["id"], "paid").status == 200
    run_month(monkeypatch, thursday, days=4, every_hours=3)
    times = [m["sent_at"] for m in sorted(messages_of(api, order["id"], "sent"), key=lambda m: m["sent_at"])]
    # the bonus at once; Friday's check-in on Sunday at 09:00; Sunday's (day 3) on time
    assert times == ["2026-11-26T09:00:00Z", "2026-11-29T06:00:00Z", "2026-11-29T09:00:00Z"]


def test_the_jobs_reads_follow_the_due_items_not_the_table(api, monkeypatch):
    from chalicelib.domain import follow_ups
    from chalicelib.domain.settings import OrgSettings
    from chalicelib.persistence import db, keys
    from chalicelib.persistence import orders as order_store
    from chalicelib.persistence.models import AccountItem, DueItem
    from chalicelib.services import follow_ups as service

    # Written directly (no transactions: moto copies the whole table for each one, minutes at this size).
    items: list[Any] = []
    for i in range(20):  # 20 orders paid at T0: their bonus materials are due now
        order = stored_order(i, f"ord-{i:02d}", payment="prepaid", now=T0)
        order.status = "paid"
        [bonus] = [p for p in follow_ups.plan_follow_ups(order, OrgSettings(), T0) if p.kind == "bonus_material"]
        account_item = AccountItem(
            keys.account("org-a", f"acc-{i}"), keys.PROFILE, id=f"acc-{i}", org_id="org-a", name=f"c{i}",
            owner_id="rep-1", created_at=T0, updated_at=T0,
        )  # fmt: skip
        account_item.version = 1
        items += [order_store.to_item(order), account_item, follow_up_store.to_item(bonus)]
        items.append(follow_up_store._due_item(bonus))
    items += [  # 5,000 follow-ups due later share the shards
        DueItem(
            keys.follow_up_due(i % keys.FOLLOW_UP_SHARDS),
            keys.due_entry(T0 + timedelta(days=1 + i % 30), "org-a", f"later-{i}"),
            org_id="org-a",
            target_pk=keys.order("org-a", f"later-{i}"),
            target_sk=keys.follow_up("checkin", 1),
            account_id="nobody",
            order_id=f"later-{i}",
        )
        for i in range(5000)
    ]
    db.ready()
    db.batch_write(items)
    # What is measured is what the job reads to find its work; the writes per item are covered above.
    handled: list[str] = []
    monkeypatch.setattr(service, "handle", lambda item, *a, **kw: handled.append(item.order_id) or "queued")
    with counted_reads() as reads:
        result = service.run(T0 + timedelta(minutes=1))
    assert result["queued"] == 20 and len(set(handled)) == 20
    # one Query per shard, one batch read (accounts, settings); then the outbox's Queries
    assert [op for op, _ in reads] == ["Query"] * 4 + ["BatchGetItem"] + ["Query"] * 4
    # 20 due entries (each carries its planned item, which carries what it needs of its order);
    # 20 accounts: not 5,000 (and not the 20 items and orders again: 80 before the entries carried
    # the items, 60 before the items carried their order's snapshot)
    assert sum(n for _, n in reads) == 20 + 20


def test_the_referral_request_opens_one_on_the_won_lead(api, monkeypatch):
    from tests.api.pipeline_helpers import lead as new_lead
    from tests.api.pipeline_helpers import move

    acc = account(api, "شركة النور", body={"emails": ["noor@example.com"]})
    lead = new_lead(api, acc)
    assert move(api, lead["id"], "closing").status == 200 and move(api, lead["id"], "follow_up").status == 200
    order = paid_order(api, monkeypatch, acc, lead_id=lead["id"])
    run_month(monkeypatch, days=11)
    requests = api.call("GET", f"/leads/{lead['id']}/referral-requests").json["items"]
    assert [(r["asked_by"], r["channel"], r["status"]) for r in requests] == [("follow_up", "email", "requested")]
    assert order["id"] in requests[0]["note"]
    referral = [m for m in messages_of(api, order["id"]) if m["kind"] == "referral_request"]
    assert [m["status"] for m in referral] == ["sent"]


def test_the_openapi_document_describes_skipped_messages_and_coupons(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    status = next(p for p in doc["paths"]["/messages"]["get"]["parameters"] if p["name"] == "status")
    assert "skipped" in status["schema"]["enum"]
    redeem = doc["paths"]["/coupons/{code}/redeem"]["post"]
    assert {"404", "409", "422"} <= set(redeem["responses"]) and "422" in redeem["summary"]
    assert "/accounts/{account_id}/coupons" in doc["paths"]


def test_a_follow_up_queued_before_a_refund_is_skipped_not_sent(api, monkeypatch):
    from chalicelib.services import outbox

    order = paid_order(api, monkeypatch)
    real = outbox.deliver_due
    monkeypatch.setattr(outbox, "deliver_due", lambda now, queued=(): {})
    assert run_job(monkeypatch, T0)["queued"] == 1  # the bonus is queued; this run's outbox pass never happens
    monkeypatch.setattr(outbox, "deliver_due", real)
    assert event(api, order["id"], "refunded").status == 200
    assert run_job(monkeypatch, T0 + timedelta(minutes=5))["outbox"]["obsolete"] == 1
    assert sent() == []
    [bonus] = messages_of(api, order["id"])
    assert (bonus["kind"], bonus["status"], bonus["failure_reason"]) == (
        "bonus_material",
        "skipped",
        "not sent: the order is refunded",
    )


# -- the order: carried by the plan, its status checked by the write -----------------------------


def _keys_read(requests: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """(pk, sk) of every item read by key (GetItem, BatchGetItem)."""
    found: list[tuple[str, str]] = []
    for operation, params in requests:
        wanted = [params["Key"]] if operation == "GetItem" else []
        if operation == "BatchGetItem":
            wanted = [k for table in params["RequestItems"].values() for k in table["Keys"]]
        found += [(k["pk"]["S"], k["sk"]["S"]) for k in wanted]
    return found


def _order_checks(requests: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The condition checks on order items in the transactions sent."""
    from chalicelib.persistence import keys

    return [
        op["ConditionCheck"]
        for operation, params in requests
        if operation == "TransactWriteItems"
        for op in params["TransactItems"]
        if "ConditionCheck" in op and op["ConditionCheck"]["Key"]["sk"]["S"] == keys.PROFILE
    ]


def test_the_job_reads_no_order_and_its_write_checks_the_order_instead(api, monkeypatch, ddb_requests):
    from chalicelib.persistence import keys

    order = paid_order(api, monkeypatch)
    order_key = (keys.order("org-a", order["id"]), keys.PROFILE)
    for day in (0, 1):  # the bonus materials, then the check-in (it names the products and the order)
        ddb_requests.clear()
        result = run_job(monkeypatch, T0 + timedelta(days=day))
        assert (result["queued"], result["outbox"]["sent"], result["stale"], result["lost_races"]) == (1, 1, 0, 0)
        assert order_key not in _keys_read(ddb_requests)
        [check] = _order_checks(ddb_requests)  # in the transaction that queued the message
        assert (check["Key"]["pk"]["S"], check["Key"]["sk"]["S"]) == order_key
    bonus, checkin = sent()
    assert bonus.message_id != checkin.message_id and {bonus.to, checkin.to} == {"sara@example.com"}
    assert "is everything working with شاي أخضر and 1 more?" in checkin.body
    assert checkin.subject == f"Automated message: How is your order {order['id'][-8:].upper()}?"
    run_job(monkeypatch, T0 + timedelta(days=1, minutes=5))
    assert len(sent()) == 2  # each exactly once


@pytest.mark.parametrize(
    "case",
    ["due in sending hours", "due at night", "customer opted out", "cancelled after a return"],
)
def test_an_order_closed_after_planning_is_skipped_with_its_reason_once(api, monkeypatch, ddb_requests, case):
    """The job decides from the plan, not the order; the write's check on the order refuses, the
    job reads the order and skips the item as if it had read the order first: the order's
    reason (not the opt-out's, not a wait for sending hours), a skipped message, nothing sent."""
    from chalicelib.persistence import keys

    acc = account(api, "سارة", body={"emails": ["sara@example.com"], "language": "en"})
    if case == "customer opted out":
        profile = api.call("GET", f"/accounts/{acc}").json
        r = api.call("PATCH", f"/accounts/{acc}", {"contact_opt_out": True, "version": profile["version"]})
        assert r.status == 200, r.raw
    if case == "cancelled after a return":  # cash on delivery: delivered is day 0, then returned
        order = place(api, acc)
        for kind in ("confirmed", "shipped", "delivered", "returned"):
            assert event(api, order["id"], kind).status == 200
        reason = "not sent: the order is returned"
        at = T0
    else:
        at = datetime(2026, 11, 22, 0, 0, tzinfo=UTC) if case == "due at night" else T0  # 03:00 in Riyadh
        order = place(api, acc, body={"payment": "prepaid"})
        set_clock(monkeypatch, at)
        assert event(api, order["id"], "paid").status == 200
        assert event(api, order["id"], "refunded").status == 200
        reason = "not sent: the order is refunded"
    ddb_requests.clear()
    result = run_job(monkeypatch, at + timedelta(minutes=1))
    assert (result["skipped"], result["queued"], result["waiting"], result["lost_races"]) == (1, 0, 0, 0)
    operations = [op for op, _ in ddb_requests]
    # the write refused by its check on the order; the order read (one GetItem); the skip
    assert operations[:8] == ["Query"] * 4 + ["BatchGetItem", "TransactWriteItems", "GetItem", "TransactWriteItems"]
    assert _keys_read(ddb_requests)[-1] == (keys.order("org-a", order["id"]), keys.PROFILE)
    assert sent() == []
    [bonus] = messages_of(api, order["id"])
    assert (bonus["kind"], bonus["status"], bonus["failure_reason"]) == ("bonus_material", "skipped", reason)
    # once: a rerun, and later runs over the whole plan, skip each item once and send nothing
    assert run_job(monkeypatch, at + timedelta(minutes=6))["skipped"] == 0
    run_month(monkeypatch, T0, days=15)
    assert sent() == []
    skipped = messages_of(api, order["id"])
    assert len(skipped) == 6 and {(m["status"], m["failure_reason"]) for m in skipped} == {("skipped", reason)}
    assert {p.status for p in follow_up_store.plan_of("org-a", order["id"])} == {"skipped"}


def test_two_runs_at_once_skip_a_closed_orders_follow_up_once(api, monkeypatch):
    order = paid_order(api, monkeypatch)
    assert event(api, order["id"], "refunded").status == 200
    results = run_at_once("follow_ups")
    assert sum(r["skipped"] for r in results) == 1 and sum(r["queued"] for r in results) == 0
    assert sent() == []
    [bonus] = messages_of(api, order["id"])
    assert (bonus["status"], bonus["failure_reason"]) == ("skipped", "not sent: the order is refunded")


def test_a_follow_up_of_an_erased_order_is_dropped_unsent(api, monkeypatch):
    """An order gone while its account is still there (the erasure request removes the profile
    first, so this is a partition lost some other way): the run still finds the account, but its
    write finds no order. Nothing is sent, nothing is written for the customer; the due entry is
    dropped."""
    from chalicelib.persistence import db, keys
    from chalicelib.persistence.models import Item

    order = paid_order(api, monkeypatch)
    acc = order["account_id"]
    db.ready()
    partition = list(Item.query(keys.order("org-a", order["id"])))
    db.batch_write(deletes=[(row.pk, row.sk) for row in partition])
    result = run_job(monkeypatch, T0)
    assert (result["stale"], result["queued"], result["skipped"], result["lost_races"]) == (1, 0, 0, 0)
    assert sent() == []
    assert api.call("GET", f"/messages?account_id={acc}", **MANAGER).json["items"] == []
    assert run_job(monkeypatch, T0 + timedelta(minutes=5))["stale"] == 0  # the entry is gone
    # the whole erasure: the account goes too, and the rest of the plan is dropped as it falls due
    assert api.erase(acc, **MANAGER).status == 202
    run_month(monkeypatch, T0, days=15)
    assert sent() == []


@pytest.mark.parametrize("old", ["plan without the order's snapshot", "due entry without the planned item"])
def test_follow_ups_planned_before_the_snapshot_read_their_order(api, monkeypatch, ddb_requests, old):
    from dataclasses import replace

    from chalicelib.persistence import db, keys

    order = paid_order(api, monkeypatch)
    db.ready()
    rows: list[Any] = []
    for planned in follow_up_store.plan_of("org-a", order["id"]):
        before = replace(planned, order=None)  # as planned before plans carried the snapshot
        entry = follow_up_store._due_item(before, version=before.version)
        if old == "due entry without the planned item":
            entry.target = None
        rows += [follow_up_store.to_item(before), entry]
    db.batch_write(rows)
    assert all(p.order is None for p in follow_up_store.plan_of("org-a", order["id"]))
    order_key = (keys.order("org-a", order["id"]), keys.PROFILE)
    for day in (0, 1):
        ddb_requests.clear()
        assert run_job(monkeypatch, T0 + timedelta(days=day))["outbox"]["sent"] == 1
        assert order_key in _keys_read(ddb_requests)
    bonus, checkin = sent()
    assert "is everything working with شاي أخضر and 1 more?" in checkin.body
    assert checkin.subject == f"Automated message: How is your order {order['id'][-8:].upper()}?"
    # a refund: the order as read says so (no failed write first)
    assert event(api, order["id"], "refunded").status == 200
    ddb_requests.clear()
    assert run_job(monkeypatch, T0 + timedelta(days=3))["skipped"] == 1
    assert "GetItem" not in [op for op, _ in ddb_requests] and _order_checks(ddb_requests) == []
    assert sent() == [bonus, checkin]
    [skipped] = messages_of(api, order["id"], "skipped")
    assert (skipped["kind"], skipped["failure_reason"]) == ("checkin", "not sent: the order is refunded")
