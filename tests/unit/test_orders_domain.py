"""Orders, risk from history and the confirmation ladder: pure rules, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain import ladder
from chalicelib.domain.errors import InvalidTransition, ValidationFailed
from chalicelib.domain.order_risk import (
    PastOrder,
    address_key,
    assess,
    forgotten,
    match_keys,
    normalize_address_text,
    trim,
)
from chalicelib.domain.orders import (
    OrderCreate,
    apply_event,
    format_amount,
    new_order,
    parse_amount,
)
from chalicelib.domain.settings import ConfirmationLadder

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _order(payment: str = "cod", **kw: object):
    data = OrderCreate.model_validate(
        {
            "account_id": "a1",
            "items": [{"sku": "s", "name": "n", "quantity": 3, "unit_price": {"amount": "0.10", "currency": "SAR"}}],
            "payment": payment,
            "delivery_address": {"line1": "x", "city": "y", "country": "SA"},
            "phone": "+966 55 999 8877",
            **kw,
        }
    )
    return new_order(
        order_id="o1",
        org_id="org",
        owner_id="rep",
        data=data,
        default_country="SA",
        language="ar",
        ladder=ConfirmationLadder().model_dump(),
        support_email=None,
        now=T0,
    )


def test_total_is_exact_decimal():
    order = _order()
    assert order.total == Decimal("0.30") and format_amount(order.total, "SAR") == "0.30"
    assert parse_amount("1.250", "KWD") == Decimal("1.25") and format_amount(Decimal("1.25"), "KWD") == "1.250"
    with pytest.raises(ValueError):
        parse_amount("1.001", "SAR")
    with pytest.raises(ValueError):
        parse_amount("10.5", "JPY")


def test_phone_is_read_with_the_default_country():
    assert _order(phone="٠٥٥٩٩٩٨٨٧٧").phone == "+966559998877"
    with pytest.raises(ValidationFailed):
        _order(phone="123")


@pytest.mark.parametrize(
    ("payment", "path"),
    [
        ("cod", ["confirmed", "shipped", "delivered", "paid", "refunded"]),
        ("cod", ["confirmed", "shipped", "refused"]),
        ("cod", ["cancelled"]),
        ("prepaid", ["confirmed", "paid", "shipped", "delivered", "returned", "refunded"]),
        ("prepaid", ["confirmed", "paid", "delivered"]),  # digital goods
    ],
)
def test_allowed_paths(payment, path):
    order = _order(payment)
    for step in path:
        order, event = apply_event(order, step, by="rep:x", now=T0)
        order.version += 1
        assert order.status == step and event.to_status == step


@pytest.mark.parametrize(
    ("payment", "path", "refused"),
    [
        ("cod", [], "shipped"),
        ("cod", ["confirmed", "shipped"], "cancelled"),
        ("cod", ["cancelled"], "confirmed"),
        ("cod", ["confirmed", "shipped", "refused"], "refunded"),
        ("prepaid", ["confirmed"], "shipped"),  # a prepaid order ships only once paid
        ("cod", ["confirmed"], "paid"),  # cash is collected on delivery
    ],
)
def test_refused_transitions_name_the_status(payment, path, refused):
    order = _order(payment)
    for step in path:
        order, _ = apply_event(order, step, by="rep:x", now=T0)
    with pytest.raises(InvalidTransition) as caught:
        apply_event(order, refused, by="rep:x", now=T0)
    assert caught.value.extra["current_status"] == order.status
    with pytest.raises(ValidationFailed):
        apply_event(order, "teleported", by="rep:x", now=T0)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("شارع التحلية، عمارة ١٢، جدة", "ش. التحليه عماره 12 جده"),
        ("طريق الملك فهد - مبنى 7", "طريق الملك فهد مبنى ٧"),
        ("حي النَّسيم، شارع الأمير", "حي النسيم شارع الامير"),
        ("12 King Fahd St.", "12 king fahd street"),
        ("5 Olaya Rd, Apt 3", "5 OLAYA ROAD APARTMENT 3"),
        ("مكة المكرمة ـ العزيزية", "مكه المكرمه العزيزيه"),
    ],
)
def test_address_spellings_fold_to_one_key(a, b):
    assert normalize_address_text(a) == normalize_address_text(b)
    assert address_key({"line1": a, "city": "c", "country": "SA"}) == address_key(
        {"line1": b, "city": "c", "country": "SA"}
    )


def test_different_addresses_differ():
    assert address_key({"line1": "شارع التحلية 12", "country": "SA"}) != address_key(
        {"line1": "شارع التحلية 13", "country": "SA"}
    )
    assert address_key({}) is None
    assert [k for k, _ in match_keys("+966559998877", "a@b.co", {"line1": "x"})] == ["phone", "email", "address"]


def past(order_id: str, outcome: str | None = None, delivered: bool = False, paid: bool = False) -> PastOrder:
    return PastOrder(order_id, "acc", "2026-01-01T00:00:00Z", outcome, "2026-01-05T00:00:00Z", delivered, paid)


def test_risk_levels_follow_the_documented_points():
    assert assess({}).level == "low"
    assert assess({"phone": [past("o1", "returned")]}).level == "medium"  # 1 point
    assert assess({"phone": [past("o1", "refused")]}).level == "medium"  # 2 points
    # the same order matched by two keys counts once; two flags say which keys matched
    both = assess({"phone": [past("o1", "refused")], "email": [past("o1", "refused")]})
    assert (both.level, both.points, [f.key for f in both.flags]) == ("medium", 2, ["phone", "email"])
    high = assess({"phone": [past("o1", "refused")], "address": [past("o2", "returned")]})
    assert (high.level, high.points) == ("high", 3)
    assert "order o1" in high.reasons[0] and "refused" in high.reasons[0] and "2026-01-05" in high.reasons[0]
    assert high.as_risk()["flags"][0] == {
        "key": "phone",
        "order_id": "o1",
        "outcome": "refused",
        "at": "2026-01-05T00:00:00Z",
    }


def test_good_customers():
    good = assess({"email": [past("o1", delivered=True, paid=True)]})
    assert good.good_customer and good.level == "low"
    assert not assess({"email": [past("o1", delivered=True)]}).good_customer  # delivered but not paid
    mixed = assess({"email": [past("o1", delivered=True, paid=True)], "phone": [past("o2", "ghost")]})
    assert not mixed.good_customer and mixed.level == "medium"
    marked = assess(
        {"email": [past("o1", delivered=True, paid=True)]}, account_risk={"level": "high", "reasons": ["ghost"]}
    )
    assert not marked.good_customer and marked.level == "high"


def test_trim_keeps_failures():
    entries = {f"o{i}": {"at": f"2026-01-{i + 1:02d}", "outcome": "refused" if i == 0 else None} for i in range(60)}
    dropped = trim(entries)
    assert len(dropped) == 60 - 49 and "o0" not in dropped and "o1" in dropped


def test_an_erased_customer_takes_their_orders_and_any_entry_naming_them_out_of_a_history():
    entries = {
        "o3": {"account_id": "acc-a", "outcome": "refused"},
        "o1": {"account_id": "acc-b", "outcome": "refused"},
        "o2": {"account_id": "acc-a"},  # no link named it (an order of theirs all the same)
        "o4": {"account_id": "acc-c"},
    }
    assert forgotten(entries, {"o3", "o9"}, "acc-a") == ["o2", "o3"]
    assert forgotten(entries, set(), "acc-x") == []
    assert forgotten({}, {"o1"}, "acc-a") == []


def test_ladder_steps_in_time_order():
    order = ladder.decide_start(_order(), assess({}))
    assert order.status == "pending_confirmation" and order.ladder_step == 1
    assert order.ladder_due_at == T0 + timedelta(minutes=1)
    assert ladder.take_step(order, 1, T0) is None  # not due yet
    taken = []
    at = T0
    for minutes in (1, 240, 480, 1440, 2880):
        at = T0 + timedelta(minutes=minutes)
        result = ladder.take_step(order, order.ladder_step, at)
        assert result is not None
        order, step, event = result
        taken.append(step)
        assert ladder.take_step(order, order.ladder_step - 1, at) is None  # a step is taken once
    assert taken == ["sms", "whatsapp", "email", "call", "cancel"]
    assert order.status == "cancelled" and order.ladder_due_at is None and "ghost" in (order.cancel_reason or "")
    assert event is not None and event.by == "ladder"
    assert ladder.token_expiry(order) == T0 + timedelta(minutes=2880) + ladder.TOKEN_MARGIN


def test_prepaid_and_good_customers_skip_the_ladder():
    assert ladder.decide_start(_order("prepaid"), assess({})).status == "confirmed"
    good = assess({"phone": [past("o0", delivered=True, paid=True)]})
    started = ladder.decide_start(_order(), good)
    assert (started.status, started.confirmed_by, started.ladder_due_at) == ("confirmed", "good_customer", None)
    assert ladder.ghost_risk({"level": "low", "reasons": []}, "r")["level"] == "high"
