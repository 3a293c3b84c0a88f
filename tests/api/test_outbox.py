"""The outbox: messages sent exactly once, crashes never resend, and GET /messages."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import messaging
from chalicelib.domain.messages import NOT_CONFIRMED, new_message
from chalicelib.ids import new_id
from chalicelib.persistence import db
from chalicelib.persistence import messages as message_store
from chalicelib.services import outbox
from tests.api.order_helpers import atomic_requests
from tests.api.pipeline_helpers import account

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MANAGER = {"user": "boss", "role": "manager"}


@pytest.fixture(autouse=True)
def _clean_recorder():
    messaging.clear_recorded()
    yield
    messaging.clear_recorded()


def queue(account_id: str, *, channel: str = "sms", order_id: str | None = None, org: str = "org-a", at=T0) -> str:
    message = new_message(
        message_id=new_id(),
        org_id=org,
        account_id=account_id,
        order_id=order_id,
        kind="order_confirmation",
        channel=channel,
        template=f"order_confirmation.{channel}",
        language="en",
        placeholders={"order_ref": "AB12", "total": "44.00 SAR", "link": "https://x/confirm"},
        to="+966559998877" if channel != "email" else "buyer@example.com",
        now=at,
        reply_to="help@shop.example",
    )
    db.ready()
    with db.transaction() as tx:
        message_store.add(tx, message)
    return message.id


def test_a_due_message_is_sent_once_and_lands_on_the_timeline(api):
    acc = account(api)
    queue(acc, order_id="o-1")
    assert outbox.deliver_due(T0 - timedelta(seconds=1))["sent"] == 0  # not due yet
    assert outbox.deliver_due(T0)["sent"] == 1
    assert outbox.deliver_due(T0 + timedelta(minutes=30))["sent"] == 0
    [(envelope, provider_id)] = messaging.recorded()
    assert envelope.body.startswith("Automated message") and "https://x/confirm" in envelope.body
    [sent] = api.call("GET", f"/messages?account_id={acc}").json["items"]
    assert (sent["status"], sent["provider_id"], sent["sent_at"]) == ("sent", provider_id, "2026-11-22T09:00:00Z")
    timeline = api.call("GET", f"/accounts/{acc}/timeline").json["items"]
    assert [(e["kind"], e["entity_id"], e["data"]["status"]) for e in timeline] == [("message", sent["id"], "sent")]


def test_two_senders_at_once_send_it_once(api):
    acc = account(api)
    for _ in range(5):
        queue(acc)
    barrier = threading.Barrier(2)
    results = []

    def run() -> None:
        barrier.wait()
        results.append(outbox.deliver_due(T0))

    threads = [threading.Thread(target=run) for _ in range(2)]
    with atomic_requests():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(r["sent"] for r in results) == 5
    assert len(messaging.recorded()) == 5
    assert len({e.message_id for e, _ in messaging.recorded()}) == 5


def test_a_crash_between_sending_and_recording_never_resends(api, monkeypatch):
    acc = account(api)
    message_id = queue(acc)
    real_finish = message_store.finish

    def crash(claimed, after):
        raise SystemExit("the Lambda died")

    monkeypatch.setattr(message_store, "finish", crash)
    with pytest.raises(SystemExit):
        outbox.deliver_due(T0)
    monkeypatch.setattr(message_store, "finish", real_finish)
    assert len(messaging.recorded()) == 1
    # a retried run soon after: the claim is fresh, so it is left alone, not sent again
    assert outbox.deliver_due(T0 + timedelta(minutes=1))["skipped"] == 1
    [held] = api.call("GET", f"/messages?account_id={acc}").json["items"]
    assert held["status"] == "sending"
    # past the timeout: failed with the reason shown, still sent only once
    assert outbox.deliver_due(T0 + timedelta(minutes=11))["not_confirmed"] == 1
    [failed] = api.call("GET", f"/messages?account_id={acc}").json["items"]
    assert (failed["id"], failed["status"], failed["failure_reason"]) == (message_id, "failed", NOT_CONFIRMED)
    assert len(messaging.recorded()) == 1
    assert outbox.deliver_due(T0 + timedelta(hours=1))["not_confirmed"] == 0


def test_a_refused_send_is_failed_with_its_reason(api, monkeypatch):
    acc = account(api)
    queue(acc)

    def refuse(envelope):
        raise messaging.SendFailed("the number is not on WhatsApp", transient=False)

    monkeypatch.setattr(messaging, "deliver", refuse)
    assert outbox.deliver_due(T0)["failed"] == 1
    [failed] = api.call("GET", f"/messages?account_id={acc}&status=failed").json["items"]
    assert failed["failure_reason"] == "the number is not on WhatsApp"


def test_list_messages_filters_and_visibility(api, ddb_calls):
    acc, other = account(api), account(api, "سارة", user="rep-2")
    queue(acc, order_id="o-1")
    queue(acc, channel="email")
    queue(other)
    outbox.deliver_due(T0)
    queue(acc, at=T0 + timedelta(hours=1))  # still queued
    ddb_calls()
    mine = api.call("GET", f"/messages?account_id={acc}")
    assert mine.status == 200 and len(mine.json["items"]) == 3
    assert ddb_calls() == ["BatchGetItem", "Query"]  # visibility, one Query
    assert [m["channel"] for m in api.call("GET", f"/messages?account_id={acc}&status=sent").json["items"]] == [
        "email",
        "sms",
    ]
    ddb_calls()
    queued = api.call("GET", "/messages?status=queued", **MANAGER).json["items"]
    assert ddb_calls() == ["Query"] and len(queued) == 1
    assert len(api.call("GET", "/messages?kind=order_confirmation&status=sent", **MANAGER).json["items"]) == 3
    assert len(api.call("GET", "/messages", **MANAGER).json["items"]) == 4
    assert api.call("GET", "/messages?kind=coupon", **MANAGER).json["items"] == []
    assert api.call("GET", f"/messages?account_id={other}").is_problem(404)
    assert api.call("GET", "/messages").is_problem(422)  # a rep names an account or an order
    assert api.call("GET", "/messages?kind=spam", **MANAGER).is_problem(422)
    assert api.call("GET", "/messages?account_id=a%23b", **MANAGER).is_problem(422)
