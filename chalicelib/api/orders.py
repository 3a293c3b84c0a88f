"""/orders and their events (the confirmation page lives in ``confirm.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api.coupons import CouponOut, coupon_out
from chalicelib.api.http import PATH_VALUE, Call, QueryParam, Result, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.api.schemas import Resource
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ladder import step_name
from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.orders import (
    EVENT_TYPES,
    STATUSES,
    Order,
    OrderCreate,
    OrderEventIn,
    allowed_events,
    format_amount,
)
from chalicelib.domain.timeutil import format_rfc3339, parse_rfc3339

if TYPE_CHECKING:
    from chalicelib.services import confirmation, orders
else:  # imported on the first call (cold start)
    confirmation = service("confirmation")
    orders = service("orders")

bp = Blueprint(__name__)
TAGS = ["orders"]

STATE_MACHINE = (
    "Cash on delivery: pending_confirmation -> confirmed | cancelled; confirmed -> shipped | cancelled; "
    "shipped -> delivered | refused | returned; delivered -> paid | returned; paid -> refunded. "
    "Prepaid (starts confirmed; paid before it ships): confirmed -> paid | cancelled; "
    "paid -> shipped | delivered | refunded; shipped -> delivered | refused | returned; "
    "delivered -> returned | refunded; refused | returned -> refunded."
)


class OrderLineOut(Model):
    model_config = ConfigDict(extra="forbid")

    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


class RiskFlagOut(Model):
    key: str = Field(description="phone, email or address: the match key shared with the earlier order")
    order_id: str
    outcome: str = Field(description="refused, returned or ghost (never confirmed, cancelled by the ladder)")
    at: str | None


class OrderRiskOut(Model):
    level: str = Field(description="low (0 points), medium (1-2), high (3+): refused 2, ghost 2, returned 1")
    reasons: list[str]
    flags: list[RiskFlagOut]


class ConfirmationLinkOut(Model):
    url: str = Field(description="the page the ladder's SMS and WhatsApp messages link to")
    token: str
    expires_at: str


class OrderOut(Resource):
    account_id: str
    lead_id: str | None
    owner_id: str
    items: list[OrderLineOut]
    total: Money
    payment: str
    delivery_address: dict[str, str]
    phone: str | None
    email: str | None
    note: str
    status: str = Field(description=STATE_MACHINE)
    needs_call: bool = Field(description="the confirmation ladder reached the manual-call step")
    risk: OrderRiskOut
    confirmed_by: str | None = Field(description="good_customer, prepaid, customer (the page) or rep:<id>")
    cancel_reason: str | None
    ladder_step: str | None = Field(description="the ladder's next step while the order waits for confirmation")
    ladder_due_at: str | None
    allowed_events: list[str]
    events: list[dict[str, Any]] | None = Field(default=None, description="oldest first; on GET /orders/{id}")
    confirmation: ConfirmationLinkOut | None = Field(
        default=None,
        description="on GET /orders/{id} while the order is pending_confirmation: the signed link the ladder "
        "sends, for a rep to pass on by hand (e.g. on the manual call)",
    )
    coupons: list[CouponOut] | None = Field(
        default=None,
        description="on POST /orders for a good returning customer: their unused, unexpired coupons (latest first)",
    )


class OrderPage(Model):
    items: list[OrderOut]
    next_cursor: str | None


def _api_time(stored: str | None) -> str | None:
    """A time kept as a string inside the order's risk (stored exact) in the API's form."""
    return format_rfc3339(parse_rfc3339(stored)) if stored else None


def _money(amount: Any, currency: str) -> Money:
    return Money.model_construct(amount=format_amount(amount, currency), currency=currency)


def order_out(order: Order, events: list[Any] | None = None, link: confirmation.Link | None = None) -> OrderOut:
    risk = order.risk or {}
    return OrderOut(
        confirmation=ConfirmationLinkOut(url=link.url, token=link.token, expires_at=format_rfc3339(link.expires_at))
        if link
        else None,
        id=order.id,
        created_at=format_rfc3339(order.created_at),
        updated_at=format_rfc3339(order.updated_at),
        version=order.version,
        account_id=order.account_id,
        lead_id=order.lead_id,
        owner_id=order.owner_id,
        items=[
            OrderLineOut(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=_money(line.unit_price, order.currency),
                line_total=_money(line.total(), order.currency),
            )
            for line in order.items
        ],
        total=_money(order.total, order.currency),
        payment=order.payment,
        delivery_address=order.delivery_address,
        phone=order.phone,
        email=order.email,
        note=order.note,
        status=order.status,
        needs_call=order.needs_call,
        risk=OrderRiskOut(
            level=str(risk.get("level") or "low"),
            reasons=[str(r) for r in risk.get("reasons") or []],
            flags=[RiskFlagOut.model_validate({**f, "at": _api_time(f.get("at"))}) for f in risk.get("flags") or []],
        ),
        confirmed_by=order.confirmed_by,
        cancel_reason=order.cancel_reason,
        ladder_step=step_name(order.ladder_step) if order.status == "pending_confirmation" else None,
        ladder_due_at=format_rfc3339(order.ladder_due_at) if order.ladder_due_at else None,
        allowed_events=allowed_events(order),
        events=None
        if events is None
        else [
            {
                "type": e.type,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": e.by,
                "at": format_rfc3339(e.at),
                "note": e.note,
            }
            for e in events
        ],
    )


@endpoint(
    bp,
    "/orders",
    "POST",
    summary="Place an order: the server computes the total (one currency, no more decimals than it has), "
    "matches phone/e-mail/address against earlier orders (risk), confirms good customers and prepaid orders "
    "at once and starts the confirmation ladder for the rest",
    tags=TAGS,
    body=OrderCreate,
    response=OrderOut,
    status=201,
    errors=[404],
)
def create_order(call: Call) -> Result:
    order, offers = orders.place_order(call.principal, call.body)
    body = order_out(order)
    if offers:
        body.coupons = [coupon_out(c, order.created_at) for c in offers]
    return Result(body, 201, {"Location": f"/orders/{order.id}"})


def _flag(call: Call, name: str) -> bool:
    raw = call.query.get(name)
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise ValidationFailed.single(name, "must be true or false")


@endpoint(
    bp,
    "/orders",
    summary="List orders, newest first. status=, needs_call=true (the reps' call queue) and account_id= are "
    "each served by an index; a rep sees the orders they own, and with account_id= those of an account they see",
    tags=TAGS,
    response=OrderPage,
    paginated=True,
    errors=[404],  # an account_id that is not there, or not visible to the caller
    query=[
        QueryParam("status", "one status", {"type": "string", "enum": list(STATUSES)}),
        QueryParam(
            "needs_call", "true: the orders waiting for a manual call", {"type": "string", "enum": ["true", "false"]}
        ),
        QueryParam("account_id", "the orders of one account"),
    ],
)
def list_orders(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    account_id = call.query.get("account_id") or None
    if account_id is not None:
        if not PATH_VALUE.fullmatch(account_id):
            raise ValidationFailed.single("account_id", "is not an account id")
    result = orders.list_orders(
        call.principal,
        status=call.query.get("status") or None,
        needs_call=_flag(call, "needs_call"),
        account_id=account_id,
        limit=limit,
        cursor=cursor,
    )
    return page([order_out(o) for o in result.items], result.next_cursor)


@endpoint(bp, "/orders/{order_id}", summary="Read an order with its events", tags=TAGS, response=OrderOut)
def get_order(call: Call) -> OrderOut:
    order = orders.get_order(call.principal, call.path["order_id"])
    return order_out(order, orders.order_events(order), confirmation.pending_link(order))


@endpoint(
    bp,
    "/orders/{order_id}/events",
    "POST",
    summary=f"Record what happened to an order: type is one of {', '.join(EVENT_TYPES)}. {STATE_MACHINE} "
    "An event the status does not allow is a 409 naming the current status; an unknown type is a 422",
    tags=TAGS,
    body=OrderEventIn,
    response=OrderOut,
    errors=[409],
)
def post_event(call: Call) -> OrderOut:
    return order_out(orders.record_event(call.principal, call.path["order_id"], call.body))
