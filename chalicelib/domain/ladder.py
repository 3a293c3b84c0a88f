"""The confirmation ladder for cash-on-delivery orders (DOMAIN.md section 2).

An order waiting for confirmation climbs five steps, each at a time after the order was placed
(``settings.confirmation_ladder``, copied onto the order when it is placed):

1. ``sms``       an SMS with the confirmation link;
2. ``whatsapp``  a WhatsApp message with the same link;
3. ``email``     an e-mail WITHOUT the link, offering to reply with a new number or to cancel
                 (reply-to: the organisation's support address);
4. ``call``      the order is flagged ``needs_call``: it joins the reps' call queue;
5. ``cancel``    the order is cancelled and the customer marked a ghost (their risk rises).

Confirming or cancelling the order (page, rep, good-customer rule) stops the ladder. A step is
taken by one version- and step-conditioned write that also queues the step's message, so each
step happens exactly once however many job runs overlap.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.domain.order_risk import Assessment
from chalicelib.domain.orders import Order, OrderEvent

Step = Literal["sms", "whatsapp", "email", "call", "cancel"]
STEPS: tuple[Step, ...] = ("sms", "whatsapp", "email", "call", "cancel")
SETTING = {
    "sms": "sms_after_minutes",
    "whatsapp": "whatsapp_after_minutes",
    "email": "email_after_minutes",
    "call": "call_after_minutes",
    "cancel": "cancel_after_minutes",
}
TOKEN_MARGIN = timedelta(days=2)  # the link keeps working a while after the ladder gives up
GHOST_REASON = "ghost: order {order} was never confirmed (SMS, WhatsApp, e-mail and a call) and was cancelled on {day}"


def step_name(number: int) -> Step | None:
    return STEPS[number - 1] if 1 <= number <= len(STEPS) else None


def step_due(order: Order, number: int) -> datetime | None:
    step = step_name(number)
    if step is None:
        return None
    return order.created_at + timedelta(minutes=int(order.ladder.get(SETTING[step], 0)))


def token_expiry(order: Order) -> datetime:
    """Until when the confirmation link works: the ladder's cancel time plus a margin."""
    return order.created_at + timedelta(minutes=int(order.ladder.get(SETTING["cancel"], 2880))) + TOKEN_MARGIN


def decide_start(order: Order, assessment: Assessment) -> Order:
    """A new order's status: prepaid orders are confirmed by their payment, good customers at
    once; everyone else waits for confirmation with the ladder's first step due."""
    risk = assessment.as_risk()
    if order.payment == "prepaid":
        return replace(order, status="confirmed", confirmed_by="prepaid", risk=risk)
    if assessment.good_customer:
        return replace(order, status="confirmed", confirmed_by="good_customer", risk=risk)
    started = replace(order, status="pending_confirmation", risk=risk, ladder_step=1)
    started.ladder_due_at = step_due(started, 1)
    return started


def take_step(order: Order, step_number: int, now: datetime) -> tuple[Order, Step, OrderEvent | None] | None:
    """The order after taking ``step_number`` (if it is still that order's next step and due),
    the step taken and, for the final step, the cancellation event. None: nothing to do."""
    step = step_name(step_number)
    due = step_due(order, step_number)
    if step is None or due is None or order.status != "pending_confirmation" or order.ladder_step != step_number:
        return None
    if due > now:
        return None
    after = replace(order, updated_at=now, ladder_step=step_number + 1, ladder_due_at=step_due(order, step_number + 1))
    event = None
    if step == "call":
        after.needs_call = True
    elif step == "cancel":
        reason = GHOST_REASON.format(order=order.id, day=now.date().isoformat())
        after.status = "cancelled"
        after.needs_call = False
        after.ladder_due_at = None
        after.cancel_reason = reason
        event = OrderEvent(
            order.id, "cancelled", order.status, "cancelled", "ladder", now, reason, seq=order.version + 1
        )
    return after, step, event


def ghost_risk(current: dict[str, Any], reason: str) -> dict[str, Any]:
    """The account's risk after a ghost cancellation: high, with the reason added."""
    reasons = [str(r) for r in current.get("reasons") or []]
    return {"level": "high", "reasons": [*reasons, reason][-20:]}
