"""Orders: items and their total, payment, delivery, and the order's state machine.

The state machine (``TRANSITIONS``) is the one the API, the confirmation page and the ladder job
follow. An event names the status it moves the order to:

cash on delivery (``cod``)::

    pending_confirmation -> confirmed | cancelled
    confirmed            -> shipped | cancelled
    shipped              -> delivered | refused | returned
    delivered            -> paid | returned
    paid                 -> refunded

prepaid: the customer paid (or is paying) up front, so the payment is the commitment the
confirmation ladder looks for: a prepaid order starts ``confirmed`` and is ``paid`` BEFORE it
ships (a prepaid order never ships unpaid); digital goods may be delivered straight from
``paid``::

    confirmed -> paid | cancelled
    paid      -> shipped | delivered | refunded
    shipped   -> delivered | refused | returned
    delivered -> returned | refunded
    refused   -> refunded
    returned  -> refunded

``cancelled``, ``refunded`` and (cod) ``refused``/``returned`` are final.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.errors import FieldError, InvalidTransition, ValidationFailed
from chalicelib.domain.model import Model
from chalicelib.domain.normalize import normalize_email, normalize_phone
from chalicelib.domain.validation import RecordId

Payment = Literal["cod", "prepaid"]
OrderStatus = Literal[
    "pending_confirmation",
    "confirmed",
    "cancelled",
    "shipped",
    "delivered",
    "paid",
    "refused",
    "returned",
    "refunded",
]
STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)
EventType = Literal["confirmed", "paid", "shipped", "delivered", "refused", "returned", "cancelled", "refunded"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
PAYMENTS: tuple[Payment, ...] = get_args(Payment)
# Once an order is here nothing more is sent about it: no confirmation request, check-in or perk
# (API.md: follow-ups stop at these). A prepaid refusal or return may still be refunded, but for
# the customer it is as closed as a cancellation.
ORDER_CLOSED: frozenset[OrderStatus] = frozenset({"refunded", "returned", "cancelled", "refused"})

TRANSITIONS: dict[Payment, dict[str, frozenset[str]]] = {
    "cod": {
        "pending_confirmation": frozenset({"confirmed", "cancelled"}),
        "confirmed": frozenset({"shipped", "cancelled"}),
        "shipped": frozenset({"delivered", "refused", "returned"}),
        "delivered": frozenset({"paid", "returned"}),
        "paid": frozenset({"refunded"}),
    },
    "prepaid": {
        # A prepaid order is created confirmed; pending_confirmation is listed for completeness.
        "pending_confirmation": frozenset({"confirmed", "cancelled"}),
        "confirmed": frozenset({"paid", "cancelled"}),
        "paid": frozenset({"shipped", "delivered", "refunded"}),
        "shipped": frozenset({"delivered", "refused", "returned"}),
        "delivered": frozenset({"returned", "refunded"}),
        "refused": frozenset({"refunded"}),
        "returned": frozenset({"refunded"}),
    },
}

# ISO 4217 minor units (the number of decimals a currency has). Currencies not listed have 2,
# the ISO default; this table lists every active code whose exponent differs (ISO 4217 list one,
# 2024 edition), plus the ones this product's markets use, for clarity.
CURRENCY_EXPONENTS: dict[str, int] = {
    # 0 decimals
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # 3 decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # 4 decimals
    "CLF": 4, "UYW": 4,
    # 2 decimals, listed because sellers here use them every day
    "SAR": 2, "AED": 2, "EGP": 2, "QAR": 2, "MAD": 2, "DZD": 2, "USD": 2, "EUR": 2,
}  # fmt: skip
MAX_WHOLE_DIGITS = 15  # like chalicelib.domain.money: far above any order, exact in Decimal


def currency_exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


def format_amount(amount: Decimal, currency: str) -> str:
    """The API's decimal string with exactly the currency's number of decimals."""
    exponent = currency_exponent(currency)
    return str(amount.quantize(Decimal(1).scaleb(-exponent)))


def parse_amount(raw: str, currency: str) -> Decimal:
    """A money amount as sent; more decimals than the currency has is an error, never rounded."""
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError('must be a decimal number written as a string, such as "199.00"')
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a finite, non-negative amount")
    if amount.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(f"must have at most {MAX_WHOLE_DIGITS} digits before the decimal point")
    exponent = currency_exponent(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise ValueError(f"{currency} has {exponent} decimal places; {raw!r} has more")
    return amount


# -- requests ---------------------------------------------------------------------------------


class PriceIn(Model):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[str, Field(examples=["199.00"], max_length=40, description="decimal string")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["SAR"])]


class OrderItemIn(Model):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    quantity: Annotated[int, Field(ge=1, le=100_000)]
    unit_price: PriceIn


class DeliveryAddress(Model):
    model_config = ConfigDict(extra="forbid")

    line1: Annotated[str, Field(min_length=1, max_length=500)]
    line2: Annotated[str, Field(max_length=500)] = ""
    city: Annotated[str, Field(min_length=1, max_length=200)]
    region: Annotated[str, Field(max_length=200)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

    @field_validator("line1", "city")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class OrderCreate(Model):
    model_config = ConfigDict(extra="forbid")

    account_id: RecordId
    lead_id: RecordId | None = None
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=100)]
    payment: Payment
    delivery_address: DeliveryAddress | None = Field(
        default=None, description="required for cash on delivery; optional for digital goods paid up front"
    )
    phone: Annotated[str | None, Field(max_length=40, description="any format; stored in E.164")] = None
    email: Annotated[str | None, Field(max_length=320)] = None
    owner_id: RecordId | None = Field(default=None, description="managers/admins may assign the order to a rep")
    note: Annotated[str, Field(max_length=2000)] = ""


class OrderEventIn(Model):
    model_config = ConfigDict(extra="forbid")

    type: Annotated[str, Field(description=f"one of {', '.join(EVENT_TYPES)}", examples=["shipped"])]
    note: Annotated[str, Field(max_length=2000)] = ""
    version: int | None = Field(default=None, description="optional: the version the event is based on")


# -- the order --------------------------------------------------------------------------------


def reference(order_id: str) -> str:
    """The short reference customers see in messages and on the confirmation page (the id's
    random tail, upper-cased: easy to read out on the phone)."""
    return order_id[-8:].upper()


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class Order:
    id: str
    org_id: str
    account_id: str
    owner_id: str
    items: list[OrderLine]
    currency: str
    payment: Payment
    created_at: datetime
    updated_at: datetime
    status: OrderStatus = "pending_confirmation"
    lead_id: str | None = None
    delivery_address: dict[str, str] = field(default_factory=dict)
    phone: str | None = None
    email: str | None = None
    note: str = ""
    needs_call: bool = False
    risk: dict[str, Any] = field(default_factory=lambda: {"level": "low", "reasons": [], "flags": []})
    language: str = "ar"
    # The confirmation ladder: its timings as ordered (an order follows the settings it was
    # placed under), the next step to take (0 = none taken yet) and when it is due.
    ladder: dict[str, int] = field(default_factory=dict)
    ladder_step: int = 0
    ladder_due_at: datetime | None = None
    support_email: str | None = None
    confirmed_by: str | None = None  # "good_customer", "prepaid", "page", "rep:<id>"
    cancel_reason: str | None = None
    delivered: bool = False
    paid: bool = False
    match_keys: list[str] = field(default_factory=list)  # partition keys of its match-key items
    version: int = 0

    @property
    def total(self) -> Decimal:
        return sum((line.total() for line in self.items), Decimal(0))


def order_total(lines: list[OrderLine]) -> Decimal:
    return sum((line.total() for line in lines), Decimal(0))


def build_lines(items: list[OrderItemIn]) -> tuple[list[OrderLine], str]:
    """The order's lines and its one currency; mixed currencies or too many decimals are 422."""
    errors: list[FieldError] = []
    currencies = {item.unit_price.currency for item in items}
    if len(currencies) > 1:
        raise ValidationFailed.single("items", f"an order has one currency; got {', '.join(sorted(currencies))}")
    currency = items[0].unit_price.currency
    lines: list[OrderLine] = []
    for i, item in enumerate(items):
        try:
            price = parse_amount(item.unit_price.amount, currency)
        except ValueError as error:
            errors.append(FieldError(f"items[{i}].unit_price.amount", str(error)))
            continue
        lines.append(OrderLine(item.sku.strip(), item.name.strip(), item.quantity, price))
    if errors:
        raise ValidationFailed(errors)
    if order_total(lines).adjusted() >= MAX_WHOLE_DIGITS:
        raise ValidationFailed.single("items", "the order total is too large")
    return lines, currency


def new_order(
    *,
    order_id: str,
    org_id: str,
    owner_id: str,
    data: OrderCreate,
    default_country: str,
    language: str,
    ladder: dict[str, int],
    support_email: str | None,
    now: datetime,
) -> Order:
    """A new order as the customer placed it (status and risk are decided by ``decide_start``)."""
    lines, currency = build_lines(data.items)
    errors: list[FieldError] = []
    if data.payment == "cod" and data.delivery_address is None:
        errors.append(FieldError("delivery_address", "is required for cash on delivery"))
    phone = None
    if data.phone is not None and data.phone.strip():
        phone = normalize_phone(data.phone, default_country)
        if phone is None:
            errors.append(
                FieldError("phone", f"{data.phone!r} is not a valid phone number (default country {default_country})")
            )
    email = None
    if data.email is not None and data.email.strip():
        email = normalize_email(data.email)
        if email is None:
            errors.append(FieldError("email", f"{data.email!r} is not an e-mail address"))
    if phone is None and email is None and not errors:
        errors.append(FieldError("phone", "an order needs a phone or an e-mail to reach the customer"))
    if errors:
        raise ValidationFailed(errors)
    address = {k: v for k, v in (data.delivery_address.model_dump() if data.delivery_address else {}).items() if v}
    return Order(
        id=order_id,
        org_id=org_id,
        account_id=data.account_id,
        owner_id=owner_id,
        items=lines,
        currency=currency,
        payment=data.payment,
        created_at=now,
        updated_at=now,
        lead_id=data.lead_id,
        delivery_address=address,
        phone=phone,
        email=email,
        note=data.note.strip(),
        language=language,
        ladder=dict(ladder),
        support_email=support_email,
    )


# -- the state machine ------------------------------------------------------------------------


def allowed_events(order: Order) -> list[str]:
    return sorted(TRANSITIONS[order.payment].get(order.status, frozenset()))


def check_event(order: Order, event_type: str) -> OrderStatus:
    """The status an event moves the order to, or why it may not: an unknown type is a 422, an
    event the current status does not allow a 409 naming that status."""
    if event_type not in EVENT_TYPES:
        raise ValidationFailed.single("type", f"must be one of {', '.join(EVENT_TYPES)}")
    allowed = TRANSITIONS[order.payment].get(order.status, frozenset())
    if event_type not in allowed:
        can = ", ".join(sorted(allowed)) or "nothing (it is final)"
        raise InvalidTransition(
            f"The order is {order.status}; a {order.payment} order in that status can become {can}, not {event_type}.",
            current_status=order.status,
        )
    return event_type  # type: ignore[return-value]


@dataclass(frozen=True)
class OrderEvent:
    order_id: str
    type: str
    from_status: str
    to_status: str
    by: str  # "rep:<id>", "customer" (the page), "ladder", "system"
    at: datetime
    note: str = ""
    seq: int = 0  # the order's version after the event: unique per order


def apply_event(order: Order, event_type: str, *, by: str, now: datetime, note: str = "") -> tuple[Order, OrderEvent]:
    """The order after the event, and the event to record. Leaving ``pending_confirmation``
    stops the ladder and clears the call flag."""
    target = check_event(order, event_type)
    after = replace(order, status=target, updated_at=now)
    if order.status == "pending_confirmation":
        after.needs_call = False
        after.ladder_due_at = None
        if target == "confirmed":
            after.confirmed_by = by
    if target == "cancelled":
        after.cancel_reason = note or f"cancelled by {by}"
        after.needs_call = False
        after.ladder_due_at = None
    if target == "delivered":
        after.delivered = True
    if target == "paid":
        after.paid = True
    event = OrderEvent(order.id, event_type, order.status, target, by, now, note, seq=order.version + 1)
    return after, event


def is_open_for_confirmation(order: Order) -> bool:
    return order.status == "pending_confirmation"
