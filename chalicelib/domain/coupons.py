"""Coupons for the next purchase: unguessable codes that can be read over the phone, percent or
fixed amount off, an expiry, single use, issued to one account.

Codes are 12 characters from an alphabet without 0/O/1/I/L (31 symbols): 12 x log2(31) = 59 bits
from ``secrets``, shown in groups of four (``K7QX-3MZP-A9RT``). Customers may type them in any
case, with or without the dashes; ``normalize_code`` gives the stored form.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import ConfigDict

from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.model import Model
from chalicelib.domain.orders import Order, currency_exponent, format_amount
from chalicelib.domain.settings import CouponRule
from chalicelib.domain.validation import RecordId

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 12
CODE_BITS = 59  # floor(12 * log2(31))
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")

CouponStatus = Literal["issued", "redeemed"]


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The stored form of a code as typed (any case, dashes and spaces ignored), or None."""
    code = re.sub(r"[\s-]", "", raw).upper()
    return code if _CODE.match(code) else None


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class RedeemIn(Model):
    model_config = ConfigDict(extra="forbid")

    order_id: RecordId


@dataclass
class Coupon:
    code: str
    org_id: str
    account_id: str
    valid_until: datetime
    created_at: datetime
    updated_at: datetime
    order_id: str | None = None  # the order whose follow-up issued it
    percent_off: int | None = None
    amount_off: Decimal | None = None
    currency: str | None = None
    status: CouponStatus = "issued"
    redeemed_order_id: str | None = None
    redeemed_at: datetime | None = None
    redeemed_by: str | None = None
    version: int = 0

    def usable(self, now: datetime) -> bool:
        return self.status == "issued" and now < self.valid_until

    def value_text(self, language: str) -> str:
        """What the coupon is worth, as the message says it: ``10%`` or ``25.00 SAR``."""
        if self.amount_off is not None and self.currency:
            return f"{format_amount(self.amount_off, self.currency)} {self.currency}"
        return f"{self.percent_off}%"

    def discount_on(self, order: Order) -> Decimal:
        """What the coupon takes off this order (never more than its total)."""
        quantum = Decimal(1).scaleb(-currency_exponent(order.currency))
        if self.amount_off is not None:
            return min(self.amount_off, order.total).quantize(quantum)
        share = order.total * Decimal(self.percent_off or 0) / Decimal(100)
        return share.quantize(quantum, rounding=ROUND_HALF_UP)

    def summary(self) -> dict[str, Any]:
        return {
            "code": display_code(self.code),
            "status": self.status,
            "percent_off": self.percent_off,
            "amount_off": format_amount(self.amount_off, self.currency) if self.amount_off and self.currency else None,
            "currency": self.currency if self.amount_off is not None else None,
            "order_id": self.redeemed_order_id,
        }


def issue_coupon(
    *, org_id: str, account_id: str, order_id: str | None, rule: CouponRule, now: datetime, code: str | None = None
) -> Coupon:
    coupon = Coupon(
        code=code or new_code(),
        org_id=org_id,
        account_id=account_id,
        order_id=order_id,
        valid_until=now + timedelta(days=rule.valid_days),
        created_at=now,
        updated_at=now,
    )
    if rule.amount_off is not None:
        coupon.amount_off, coupon.currency = rule.amount_off.decimal(), rule.amount_off.currency
    else:
        coupon.percent_off = rule.percent_off
    return coupon


def check_redeemable(coupon: Coupon | None, order: Order, now: datetime) -> None:
    """Why this coupon cannot be used on this order, as a domain error (nothing: it can).

    Unknown code: 404. Already used: 409 naming the order that used it. Expired, issued to
    another customer, or a fixed amount in another currency than the order's: 422."""
    if coupon is None:
        raise NotFound("No such coupon.")
    if coupon.status == "redeemed":
        raise Conflict(
            f"The coupon was already used on order {coupon.redeemed_order_id}.",
            redeemed_order_id=coupon.redeemed_order_id,
        )
    if now >= coupon.valid_until:
        raise ValidationFailed.single("code", f"the coupon expired at {coupon.valid_until.isoformat()}")
    if coupon.account_id != order.account_id:
        raise ValidationFailed.single("order_id", "the coupon was issued to another customer than this order's")
    if coupon.amount_off is not None and coupon.currency != order.currency:
        raise ValidationFailed.single("order_id", f"the coupon is in {coupon.currency}, the order in {order.currency}")


def redeemed(coupon: Coupon, order: Order, by: str, now: datetime) -> Coupon:
    return replace(
        coupon, status="redeemed", redeemed_order_id=order.id, redeemed_at=now, redeemed_by=by, updated_at=now
    )


def is_good_customer(risk: dict[str, Any]) -> bool:
    """The risk assessment recognised a good returning customer (see ``order_risk.assess``)."""
    return any(str(reason).startswith("good customer") for reason in risk.get("reasons") or [])
