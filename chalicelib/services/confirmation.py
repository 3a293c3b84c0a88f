"""The customer's side of the confirmation ladder: the signed link's page and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.config import confirm_secret, environment, now
from chalicelib.domain import confirm_token, ladder
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.orders import Order
from chalicelib.persistence import orders as store
from chalicelib.services.orders import change_status

# Statuses past confirmation: confirming again is harmless, cancelling is too late once shipped.
CONFIRMED_OR_LATER = frozenset({"confirmed", "shipped", "delivered", "paid"})
CUSTOMER_MAY_CANCEL = frozenset({"pending_confirmation", "confirmed"})


@dataclass(frozen=True)
class Answer:
    order: Order
    outcome: str  # confirmed, cancelled, already_confirmed, already_cancelled, too_late
    changed: bool

    @property
    def refused(self) -> bool:
        return self.outcome in ("already_cancelled", "too_late")


@dataclass(frozen=True)
class Link:
    url: str
    token: str
    expires_at: datetime


def link(order: Order) -> Link:
    """The signed link the ladder's SMS and WhatsApp messages carry (valid until the ladder's
    cancel time plus a margin)."""
    expires_at = ladder.token_expiry(order)
    token = confirm_token.issue(confirm_secret(), order.org_id, order.id, expires_at)
    url = f"{environment().public_base_url.rstrip('/')}/orders/{order.id}/confirm?token={token}"
    return Link(url, token, expires_at)


def pending_link(order: Order) -> Link | None:
    """The link while the order waits for the customer, for a rep to send by hand; else None."""
    return link(order) if order.status == "pending_confirmation" else None


def open_order(order_id: str, token: str) -> Order:
    """The order the link names, if the token is genuine, for this order and unexpired (one read).
    Raises ``confirm_token.TokenRejected``/``TokenExpired`` or ``NotFound``; never changes anything."""
    org_id = confirm_token.verify(confirm_secret(), token, order_id, now())
    order = store.find(org_id, order_id)
    if order is None:
        raise NotFound("This order no longer exists.")
    return order


def answer(order_id: str, token: str, action: str) -> Answer:
    """Confirm or cancel as the customer asked: one read and at most one transaction. Repeats
    are harmless (a double tap confirms once); a lost race re-reads and answers from the result."""
    order = open_order(order_id, token)
    try:
        return _apply(order, action)
    except Conflict:
        order = open_order(order_id, token)
        return _apply(order, action)


def _apply(order: Order, action: str) -> Answer:
    if action == "confirm":
        if order.status == "pending_confirmation":
            return Answer(change_status(order, "confirmed", by="customer"), "confirmed", True)
        if order.status in CONFIRMED_OR_LATER:
            return Answer(order, "already_confirmed", False)
        if order.status == "cancelled":
            return Answer(order, "already_cancelled", False)
        return Answer(order, "too_late", False)
    if order.status in CUSTOMER_MAY_CANCEL:
        return Answer(
            change_status(order, "cancelled", by="customer", note="cancelled by the customer"), "cancelled", True
        )
    if order.status == "cancelled":
        return Answer(order, "already_cancelled", False)
    return Answer(order, "too_late", False)
