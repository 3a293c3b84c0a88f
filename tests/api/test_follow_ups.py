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
from chalicelib.persistence import follow_ups as follow_up_store
from tests.api.order_helpers import event, place
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
