"""/accounts/{id}/coupons and /coupons/{code}/redeem: coupons issued as follow-up perks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import Field

from chalicelib.api.http import Call, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.config import now
from chalicelib.domain.coupons import Coupon, RedeemIn, display_code
from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.orders import format_amount
from chalicelib.domain.timeutil import format_rfc3339

if TYPE_CHECKING:
    from chalicelib.services import coupons
else:  # imported on the first call (cold start)
    coupons = service("coupons")

bp = Blueprint(__name__)
TAGS = ["coupons"]

REDEEM_RULES = (
    "A coupon redeems once, on an order of the customer it was issued to: one conditional write, so of "
    "concurrent redeems exactly one succeeds. Unknown code: 404. Already redeemed: 409 with "
    "redeemed_order_id (the order that used it). Expired: 422 (field code) — the request breaks a rule "
    "that no retry can fix. Issued to another customer, or a fixed amount in another currency than the "
    "order's: 422 (field order_id). Codes may be sent in any case, with or without the dashes."
)


class CouponOut(Model):
    code: str = Field(description="12 characters without 0/O/1/I/L, shown in groups of four (59 random bits)")
    account_id: str
    order_id: str | None = Field(description="the order whose follow-up issued the coupon")
    percent_off: int | None
    amount_off: Money | None = Field(description="a fixed amount off (then percent_off is null)")
    valid_until: str
    status: str = Field(description="issued or redeemed")
    usable: bool = Field(description="issued and not expired")
    redeemed_order_id: str | None
    redeemed_at: str | None
    created_at: str
    updated_at: str
    version: int
    discount: Money | None = Field(default=None, description="on redeem: what the coupon takes off that order")


class CouponPage(Model):
    items: list[CouponOut]
    next_cursor: str | None


def _time(at: datetime | None) -> str | None:
    return format_rfc3339(at) if at else None


def coupon_out(
    coupon: Coupon, now: datetime, discount: Decimal | None = None, currency: str | None = None
) -> CouponOut:
    amount = None
    if coupon.amount_off is not None and coupon.currency:
        amount = Money.model_construct(
            amount=format_amount(coupon.amount_off, coupon.currency), currency=coupon.currency
        )
    return CouponOut(
        code=display_code(coupon.code),
        account_id=coupon.account_id,
        order_id=coupon.order_id,
        percent_off=coupon.percent_off,
        amount_off=amount,
        valid_until=format_rfc3339(coupon.valid_until),
        status=coupon.status,
        usable=coupon.usable(now),
        redeemed_order_id=coupon.redeemed_order_id,
        redeemed_at=_time(coupon.redeemed_at),
        created_at=format_rfc3339(coupon.created_at),
        updated_at=format_rfc3339(coupon.updated_at),
        version=coupon.version,
        discount=Money.model_construct(amount=format_amount(discount, currency), currency=currency)
        if discount is not None and currency
        else None,
    )


@endpoint(
    bp,
    "/accounts/{account_id}/coupons",
    summary="The coupons issued to an account, newest first: the account visibility read and one Query per "
    "page. Coupons are issued by the follow-up job (settings.follow_up.coupon)",
    tags=TAGS,
    response=CouponPage,
    paginated=True,
    errors=[404],
)
def list_coupons(call: Call) -> dict[str, Any]:
    at = now()
    limit, cursor = call.page_args()
    result = coupons.list_coupons(call.principal, call.path["account_id"], limit=limit, cursor=cursor)
    return page([coupon_out(c, at) for c in result.items], result.next_cursor)


@endpoint(
    bp,
    "/coupons/{code}/redeem",
    "POST",
    summary="Redeem a coupon on an order: " + REDEEM_RULES,
    tags=TAGS,
    body=RedeemIn,
    response=CouponOut,
    errors=[404, 409],
)
def redeem_coupon(call: Call) -> CouponOut:
    coupon, discount, currency = coupons.redeem(call.principal, call.path["code"], call.body)
    return coupon_out(coupon, coupon.redeemed_at or coupon.updated_at, discount, currency)
