"""Order use cases: place an order (risk, good customers, the ladder's start), list, read, and
move an order through its state machine."""

from __future__ import annotations

from chalicelib.config import now
from chalicelib.domain import follow_ups, ladder
from chalicelib.domain.coupons import Coupon, is_good_customer
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.order_risk import KeyType, assess, match_keys
from chalicelib.domain.orders import STATUSES, Order, OrderCreate, OrderEvent, OrderEventIn, apply_event, new_order
from chalicelib.domain.principal import Principal
from chalicelib.ids import new_id
from chalicelib.persistence import coupons as coupon_store
from chalicelib.persistence import db
from chalicelib.persistence import follow_ups as follow_up_store
from chalicelib.persistence import orders as store
from chalicelib.persistence import org as org_store
from chalicelib.persistence.timeline import account_exists_check
from chalicelib.services.accounts import check_version

# Events that write the order's fate into its match keys (what later orders are judged by).
OUTCOME_EVENTS = {"refused": "refused", "returned": "returned", "delivered": None, "paid": None}


def create_order(principal: Principal, data: OrderCreate) -> Order:
    """Settings (one read), one batch read (account, access link, lead, match-key histories),
    one transaction (order, links, timeline entry, match keys, ladder due entry)."""
    at = now()
    settings = org_store.get_settings(principal.org_id).settings
    if data.owner_id and data.owner_id != principal.user_id and not principal.sees_whole_org:
        raise ValidationFailed.single("owner_id", "only a manager or admin may assign an order to someone else")
    order = new_order(
        order_id=new_id(),
        org_id=principal.org_id,
        owner_id=principal.user_id,
        data=data,
        default_country=settings.default_country,
        language=settings.default_language,
        ladder=settings.confirmation_ladder.model_dump(),
        support_email=settings.support_email,
        now=at,
    )
    wanted: dict[str, KeyType] = {
        store.match_pk(principal.org_id, key_type, value): key_type
        for key_type, value in match_keys(order.phone, order.email, order.delivery_address)
    }
    context = store.read_for_new_order(principal, data.account_id, data.lead_id, wanted)
    if not context.visible or context.account is None or context.account_created_at is None:
        raise NotFound("No such account.")
    if data.lead_id and context.lead_account_id != data.account_id:
        raise ValidationFailed.single("lead_id", "is not a lead of this account that you can see")
    account = context.account
    order.language = account.language or settings.default_language
    order.match_keys = list(wanted)
    if principal.sees_whole_org:
        order.owner_id = data.owner_id or account.owner_id
    history = {h.key_type: h.past() for h in context.histories}
    assessment = assess(history, account_risk=account.risk)
    order = ladder.decide_start(order, assessment)
    with db.transaction() as tx:
        store.add(tx, order, context.account_created_at)
        store.add_match_keys(tx, order, context.histories)
        account_exists_check(tx, order.org_id, order.account_id)
    order.version = 1
    return order


def place_order(principal: Principal, data: OrderCreate) -> tuple[Order, list[Coupon]]:
    """``create_order``; a good returning customer also sees the coupons they can use on it
    (DOMAIN.md section 2: good customers always get the latest discounts; one more Query)."""
    order = create_order(principal, data)
    if not is_good_customer(order.risk):
        return order, []
    offers = coupon_store.for_account(order.org_id, order.account_id)
    return order, [c for c in offers if c.usable(order.created_at)]


def get_order(principal: Principal, order_id: str) -> Order:
    return store.get(principal, order_id)


def order_events(order: Order) -> list[OrderEvent]:
    return store.events(order)


def list_orders(
    principal: Principal,
    *,
    status: str | None,
    needs_call: bool,
    account_id: str | None,
    limit: int,
    cursor: str | None,
) -> db.Page[Order]:
    if status is not None and status not in STATUSES:
        raise ValidationFailed.single("status", f"must be one of {', '.join(STATUSES)}")
    return store.list_page(
        principal, status=status, needs_call=needs_call, account_id=account_id, limit=limit, cursor=cursor
    )


def record_event(principal: Principal, order_id: str, request: OrderEventIn) -> Order:
    """One read, one transaction: the order (version-conditioned), the event, the timeline entry
    and, for outcomes later orders are judged by, the order's match keys."""
    before = store.get(principal, order_id)
    if request.version is not None:
        check_version(before.version, request.version)
    return change_status(before, request.type, by=f"rep:{principal.user_id}", note=request.note.strip())


def change_status(before: Order, event_type: str, *, by: str, note: str = "") -> Order:
    """One transaction; on day 0 of the follow-ups (a prepaid order paid, a cod order delivered)
    it also plans them, from the settings (one more read)."""
    after, event = apply_event(before, event_type, by=by, now=now(), note=note)
    plan = []
    if follow_ups.starts_follow_ups(before, event_type):
        plan = follow_ups.plan_follow_ups(after, org_store.get_settings(before.org_id).settings, event.at)
    with db.transaction() as tx:
        store.update(tx, before, after)
        store.add_event(tx, after, event)
        if event_type in OUTCOME_EVENTS:
            store.record_outcome(tx, after, OUTCOME_EVENTS[event_type], event.at)
        follow_up_store.add_plan(tx, plan)
    after.version = before.version + 1
    return after
