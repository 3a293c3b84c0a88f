"""Coupon use cases: list an account's coupons, redeem a code on an order."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.config import now
from chalicelib.domain.coupons import Coupon, RedeemIn, check_redeemable, normalize_code, redeemed
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.paging import Page
from chalicelib.domain.principal import Principal
from chalicelib.persistence import coupons as store
from chalicelib.persistence import orders as order_store


def list_coupons(principal: Principal, account_id: str, *, limit: int, cursor: str | None) -> Page[Coupon]:
    return store.list_page(principal, account_id, limit=limit, cursor=cursor)


def redeem(principal: Principal, raw_code: str, data: RedeemIn) -> tuple[Coupon, Decimal, str]:
    """Read the order (visibility) and the coupon, then ONE conditional write (coupon +
    timeline entry). A lost race reads the coupon again to say why: 409 naming the order.
    Returns the redeemed coupon, the discount on the order and the order's currency."""
    code = normalize_code(raw_code)
    if code is None:
        raise NotFound("No such coupon.")
    order = order_store.get(principal, data.order_id)
    at = now()
    coupon = store.find(principal.org_id, code)
    check_redeemable(coupon, order, at)
    assert coupon is not None
    after = redeemed(coupon, order, f"rep:{principal.user_id}", at)
    discount = coupon.discount_on(order)
    try:
        store.redeem(coupon, after, order, discount, at)
    except Conflict:
        check_redeemable(store.find(principal.org_id, code), order, at)
        raise
    return after, discount, order.currency
