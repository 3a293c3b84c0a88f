"""After the sale: the plan, sending hours, channels, templates and coupons. Pure rules, no AWS."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.domain import coupons, follow_ups, templates
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.orders import OrderCreate, new_order
from chalicelib.domain.settings import ConfirmationLadder, OrgSettings, merge_settings

# Sunday 22 November 2026, 09:00 UTC = 12:00 in Riyadh (UTC+3)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _order(payment: str = "prepaid", lead_id: str | None = None, names: tuple[str, ...] = ("دورة التصوير",)):
    data = OrderCreate.model_validate(
        {
            "account_id": "a1",
            "lead_id": lead_id,
            "items": [
                {"sku": f"s{i}", "name": n, "quantity": 1, "unit_price": {"amount": "100", "currency": "SAR"}}
                for i, n in enumerate(names)
            ],
            "payment": payment,
            "delivery_address": {"line1": "x", "city": "y", "country": "SA"},
            "email": "buyer@example.com",
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


# -- the plan ---------------------------------------------------------------------------------


def test_day_zero_is_paid_for_prepaid_and_delivered_for_cod():
    prepaid, cod = _order("prepaid"), _order("cod")
    assert follow_ups.starts_follow_ups(prepaid, "paid")
    assert not follow_ups.starts_follow_ups(prepaid, "delivered")
    assert follow_ups.starts_follow_ups(cod, "delivered")
    assert not follow_ups.starts_follow_ups(cod, "paid")
    assert not follow_ups.starts_follow_ups(cod, "shipped")


def test_the_default_plan():
    plan = follow_ups.plan_follow_ups(_order(), OrgSettings(), T0)
    assert [(p.kind, p.day) for p in plan] == [
        ("bonus_material", 0),
        ("checkin", 1),
        ("checkin", 3),
        ("review_request", 7),
        ("referral_request", 10),
        ("coupon", 14),
    ]
    assert all(p.due_at == T0 + timedelta(days=p.day) and p.status == "planned" for p in plan)
    assert all(p.refund_until == T0 + timedelta(days=30) for p in plan)
    assert plan[0].details["materials"] == [{"title": "Starter guide", "url": "https://example.com/guide.pdf"}]


def test_one_item_per_kind_and_day_and_never_more_than_the_transaction_allows():
    settings = merge_settings(
        OrgSettings(),
        {"follow_up": {"checkin_days": list(range(20)), "bonus_materials": [], "review_request_day": 3}},
    )
    plan = follow_ups.plan_follow_ups(_order(), settings, T0)
    keys = [(p.kind, p.day) for p in plan]
    assert len(keys) == len(set(keys)) == 23  # 20 check-ins, review, referral, coupon; no bonus
    assert len(plan) <= follow_ups.MAX_PLAN_ITEMS
    # two writes per item plus the order, its event, its timeline entry and 3 match keys
    assert 2 * follow_ups.MAX_PLAN_ITEMS + 6 <= 100
    with pytest.raises(ValidationError):
        merge_settings(OrgSettings(), {"follow_up": {"checkin_days": list(range(21))}})


# -- when to send -----------------------------------------------------------------------------


def _at_local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Riyadh time (UTC+3, no daylight saving)."""
    return (
        datetime(2026, 11, day, hour - 3, minute, tzinfo=UTC)
        if hour >= 3
        else datetime(2026, 11, day - 1, hour + 21, minute, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_at_local(22, 12), _at_local(22, 12)),  # Sunday noon: now
        (_at_local(22, 3), _at_local(22, 9)),  # 03:00 waits until 09:00
        (_at_local(22, 21, 30), _at_local(23, 9)),  # after hours: next morning
        (_at_local(26, 22), _at_local(29, 9)),  # Thursday night: Friday and Saturday are the weekend
        (_at_local(27, 12), _at_local(29, 9)),  # Friday noon: Sunday
        (_at_local(22, 9), _at_local(22, 9)),  # the window's first minute
        (_at_local(22, 21), _at_local(23, 9)),  # its end is outside
    ],
)
def test_sending_hours_and_the_weekend(at, expected):
    s = OrgSettings().follow_up
    assert follow_ups.next_send_moment(at, "Asia/Riyadh", s.send_hours, s.weekend_days) == expected


def test_sending_hours_follow_the_organisation_settings():
    s = merge_settings(
        OrgSettings(),
        {
            "timezone": "Africa/Cairo",
            "follow_up": {"send_hours": {"start": "10:30", "end": "18:00"}, "weekend_days": []},
        },
    )
    friday_8_cairo = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # Cairo is UTC+2 in November
    moment = follow_ups.next_send_moment(friday_8_cairo, s.timezone, s.follow_up.send_hours, s.follow_up.weekend_days)
    assert moment == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    with pytest.raises(ValidationError):
        merge_settings(OrgSettings(), {"follow_up": {"send_hours": {"start": "18:00", "end": "09:00"}}})


def test_decide_skips_closed_orders_and_opted_out_customers_before_waiting():
    item = follow_ups.plan_follow_ups(_order(), OrgSettings(), T0)[1]
    settings = OrgSettings()
    night = _at_local(23, 2)
    for status in ("refunded", "returned", "cancelled", "refused"):
        d = follow_ups.decide(item, order_status=status, opted_out=False, settings=settings, now=night)
        assert (d.action, d.reason) == ("skip", f"not sent: the order is {status}")
    d = follow_ups.decide(item, order_status="paid", opted_out=True, settings=settings, now=night)
    assert (d.action, d.reason) == ("skip", "not sent: the customer opted out of contact")
    d = follow_ups.decide(item, order_status="paid", opted_out=False, settings=settings, now=night)
    assert d.action == "wait" and d.until == _at_local(23, 9)
    d = follow_ups.decide(item, order_status="delivered", opted_out=False, settings=settings, now=_at_local(23, 10))
    assert d.action == "send"


def test_channels():
    s = OrgSettings()
    assert follow_ups.choose_channel("checkin", emails=["a@x.co"], phones=["+966501234567"], settings=s) == (
        "email",
        "a@x.co",
    )
    assert follow_ups.choose_channel("checkin", emails=[], phones=["+966501234567"], settings=s) == (
        "whatsapp",
        "+966501234567",
    )
    assert follow_ups.choose_channel("checkin", emails=[], phones=[], settings=s) is None
    named = merge_settings(s, {"follow_up": {"channels": {"coupon": "sms"}}})
    assert follow_ups.choose_channel("coupon", emails=["a@x.co"], phones=["+966501234567"], settings=named) == (
        "sms",
        "+966501234567",
    )
    # the named channel cannot reach this customer: the usual order applies
    assert follow_ups.choose_channel("coupon", emails=["a@x.co"], phones=[], settings=named) == ("email", "a@x.co")
    no_whatsapp = merge_settings(s, {"follow_up": {"channel_preference": ["email", "sms"]}})
    assert follow_ups.choose_channel("checkin", emails=[], phones=["+1"], settings=no_whatsapp) == ("sms", "+1")


def test_checkins_within_the_refund_window_remind_of_support():
    item = follow_ups.plan_follow_ups(_order(), OrgSettings(), T0)[1]
    assert follow_ups.template_for(item, T0 + timedelta(days=1)) == "checkin_refund_window"
    assert follow_ups.template_for(item, T0 + timedelta(days=31)) == "checkin"


# -- templates --------------------------------------------------------------------------------


def test_every_default_template_is_valid_and_says_it_is_automated():
    values = {name: "X" for name in set().union(*templates.PLACEHOLDERS.values())}
    for (name, language), text in templates.DEFAULTS.items():
        assert templates.template_problems(name, text.body) == [], (name, language)
        rendered = templates.render(name, language, values)
        assert rendered.body.startswith(templates.AUTOMATED[language])
        assert rendered.subject and rendered.subject.startswith(templates.AUTOMATED[language])
    assert {lang for _, lang in templates.DEFAULTS} == {"ar", "en"}
    assert {name for name, _ in templates.DEFAULTS} == set(templates.TEMPLATE_NAMES)


def test_bonus_materials_are_labelled_free_even_in_an_organisations_own_text():
    custom = {"bonus_material": {"en": "Enjoy {link}", "ar": "استمتع {link}"}}
    en = templates.render("bonus_material", "en", {"link": "https://x.example/a"}, custom)
    ar = templates.render("bonus_material", "ar", {"link": "https://x.example/a"}, custom)
    assert "a free gift — nothing was added to your order" in en.body and "https://x.example/a" in en.body
    assert "هدية مجانية — لم يُضف أي مبلغ إلى طلبك" in ar.body
    assert en.body.startswith("Automated message") and ar.body.startswith("رسالة آلية")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("checkin", "Hi {customer_name}", None),
        ("checkin", "Hi {coupon_code}", "unknown placeholder {coupon_code}"),
        ("coupon", "Use {coupon_code} before {coupon_expires}", None),
        ("review_request", "Hi {nme}", "unknown placeholder {nme}"),
        ("checkin", "Hi {customer_name", "malformed"),
        ("checkin", "Hi }", "malformed"),
        ("checkin", "Hi {}", "malformed placeholder {}"),
        ("checkin", "Hi {0}", "malformed placeholder {0}"),
        ("checkin", "Hi {customer_name!r}", "malformed placeholder {customer_name!r}"),
        ("checkin", "Hi {customer_name:>20}", "malformed placeholder {customer_name:>20}"),
        ("checkin", "Hi {customer_name.upper}", "malformed placeholder {customer_name.upper}"),
        ("checkin", "Braces {{like this}}", None),
    ],
)
def test_template_validation(name, text, expected):
    problems = templates.template_problems(name, text)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0] and name in problems[0]


def test_settings_refuse_bad_templates_and_merge_per_template():
    with pytest.raises(ValidationError) as caught:
        merge_settings(OrgSettings(), {"message_templates": {"checkin": {"en": "Hi {coupon_code}"}}})
    assert "message_templates.checkin.en" in str(caught.value) and "{coupon_code}" in str(caught.value)
    with pytest.raises(ValidationError):
        merge_settings(OrgSettings(), {"message_templates": {"spam": {"en": "hi"}}})
    with pytest.raises(ValidationError):
        merge_settings(OrgSettings(), {"message_templates": {"checkin": {"fr": "salut"}}})
    s = merge_settings(OrgSettings(), {"message_templates": {"checkin": {"en": "Hi {customer_name}"}}})
    s = merge_settings(s, {"message_templates": {"coupon": {"ar": "الرمز {coupon_code}"}}})
    assert set(s.message_templates) == {"checkin", "coupon"}
    s = merge_settings(s, {"message_templates": {"checkin": {}}})  # back to the defaults
    assert set(s.message_templates) == {"coupon"}


# -- coupons ----------------------------------------------------------------------------------


def test_codes_are_unguessable_and_readable_over_the_phone():
    assert len(coupons.ALPHABET) == 31 and not set("0O1IL") & set(coupons.ALPHABET)
    assert coupons.CODE_LENGTH * math.log2(len(coupons.ALPHABET)) >= 50
    codes = {coupons.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(coupons.normalize_code(c) == c for c in codes)
    code = next(iter(codes))
    assert coupons.normalize_code(coupons.display_code(code).lower()) == code
    assert coupons.normalize_code("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert coupons.normalize_code("short") is None


def test_coupon_value_and_redeem_rules():
    order = _order(names=("a", "b"))  # 200.00 SAR
    rule = OrgSettings().follow_up.coupon
    pct = coupons.issue_coupon(org_id="org", account_id="a1", order_id="o0", rule=rule, now=T0)
    assert pct.percent_off == 10 and pct.valid_until == T0 + timedelta(days=30)
    assert pct.discount_on(order) == Decimal("20.00") and pct.value_text("en") == "10%"
    fixed_rule = merge_settings(
        OrgSettings(), {"follow_up": {"coupon": {"amount_off": {"amount": "250", "currency": "SAR"}}}}
    ).follow_up.coupon
    fixed = coupons.issue_coupon(org_id="org", account_id="a1", order_id="o0", rule=fixed_rule, now=T0)
    assert fixed.value_text("en") == "250.00 SAR" and fixed.discount_on(order) == Decimal("200.00")
    coupons.check_redeemable(pct, order, T0 + timedelta(days=1))
    with pytest.raises(NotFound):
        coupons.check_redeemable(None, order, T0)
    with pytest.raises(ValidationFailed):
        coupons.check_redeemable(pct, order, T0 + timedelta(days=30))
    other = coupons.issue_coupon(org_id="org", account_id="a2", order_id=None, rule=rule, now=T0)
    with pytest.raises(ValidationFailed):
        coupons.check_redeemable(other, order, T0)
    used = coupons.redeemed(pct, order, "rep:r", T0)
    with pytest.raises(Conflict) as caught:
        coupons.check_redeemable(used, order, T0)
    assert caught.value.extra["redeemed_order_id"] == "o1" and "o1" in caught.value.detail
