"""Coupons in DynamoDB: ``ORG#o#COUPON#<code> / #PROFILE``, listed per account on gsi1, linked
from the account's partition (erased with it). Redeeming is one conditional write."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from chalicelib.domain.coupons import Coupon
from chalicelib.domain.orders import Order, format_amount
from chalicelib.domain.principal import Principal
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import CouponItem, Item, LinkItem
from chalicelib.persistence.timeline import save_new, timeline_entry

MAX_LISTED = 200


def to_item(coupon: Coupon) -> CouponItem:
    row = CouponItem(
        keys.coupon(coupon.org_id, coupon.code),
        keys.PROFILE,
        gsi1pk=keys.account_coupons(coupon.org_id, coupon.account_id),
        gsi1sk=keys.sortable(coupon.created_at, coupon.code),
        code=coupon.code,
        org_id=coupon.org_id,
        account_id=coupon.account_id,
        order_id=coupon.order_id,
        percent_off=coupon.percent_off,
        amount_off=str(coupon.amount_off) if coupon.amount_off is not None else None,
        currency=coupon.currency,
        valid_until=coupon.valid_until,
        status=coupon.status,
        redeemed_order_id=coupon.redeemed_order_id,
        redeemed_at=coupon.redeemed_at,
        redeemed_by=coupon.redeemed_by,
        created_at=coupon.created_at,
        updated_at=coupon.updated_at,
    )
    if coupon.version:
        row.version = coupon.version
    return row


def to_domain(row: CouponItem) -> Coupon:
    return Coupon(
        code=row.code,
        org_id=row.org_id,
        account_id=row.account_id,
        order_id=row.order_id,
        percent_off=int(row.percent_off) if row.percent_off is not None else None,
        amount_off=Decimal(row.amount_off) if row.amount_off is not None else None,
        currency=row.currency,
        valid_until=row.valid_until,
        status=row.status,  # type: ignore[arg-type]
        redeemed_order_id=row.redeemed_order_id,
        redeemed_at=row.redeemed_at,
        redeemed_by=row.redeemed_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=int(row.version or 0),
    )


def add(tx: db.Transaction, coupon: Coupon) -> None:
    """A new coupon (the code is claimed by a conditional put) and its erasure link."""
    tx.save(to_item(coupon), CouponItem.pk.does_not_exist(), conflict="This coupon code exists already; retry.")
    account_pk = keys.account(coupon.org_id, coupon.account_id)
    tx.save(
        LinkItem(account_pk, keys.link(keys.COUPON, coupon.code), target_pk=keys.coupon(coupon.org_id, coupon.code))
    )


@db.bound
def find(org_id: str, code: str) -> Coupon | None:
    try:
        return to_domain(CouponItem.get(keys.coupon(org_id, code), keys.PROFILE, consistent_read=True))
    except CouponItem.DoesNotExist:
        return None


def _for_account(org_id: str, account_id: str, limit: int) -> list[Coupon]:
    rows = Item.gsi1.query(keys.account_coupons(org_id, account_id), scan_index_forward=False, limit=limit)
    return [to_domain(r) for r in rows if isinstance(r, CouponItem)]


@db.bound
def list_page(principal: Principal, account_id: str, *, limit: int, cursor: str | None) -> db.Page[Coupon]:
    """The account visibility read, then one Query on gsi1 (newest first)."""
    account_store.get(principal, account_id)
    hash_value = keys.account_coupons(principal.org_id, account_id)
    start = db.decode_cursor(cursor, hash_attribute="gsi1pk", hash_value=hash_value)
    rows = Item.gsi1.query(hash_value, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    found = [to_domain(r) for r in rows if isinstance(r, CouponItem)]
    return db.Page(found, db.encode_cursor(rows.last_evaluated_key))


@db.bound
def for_account(org_id: str, account_id: str) -> list[Coupon]:
    """One Query (the caller has already checked who may see the account)."""
    return _for_account(org_id, account_id, MAX_LISTED)


@db.bound
def redeem(before: Coupon, after: Coupon, order: Order, discount: Decimal, now: datetime) -> None:
    """One TransactWriteItems: the coupon, conditioned on being issued, unexpired and issued to
    the order's customer (so of 20 concurrent redeems exactly one succeeds), and its entry on
    the customer's timeline. A failed condition is a Conflict; the caller reads why."""
    row = to_item(after)
    condition = (
        CouponItem.pk.exists()
        & (CouponItem.status == "issued")
        & (CouponItem.valid_until > now)
        & (CouponItem.account_id == order.account_id)
    )
    with db.transaction() as tx:
        row.version = before.version
        tx.save(row, condition, conflict="The coupon was redeemed meanwhile.")
        data = {
            **after.summary(),
            "discount": {"amount": format_amount(discount, order.currency), "currency": order.currency},
        }
        save_new(tx, timeline_entry(order.org_id, order.account_id, "coupon_redeemed", now, after.code, data))
    after.version = before.version + 1
