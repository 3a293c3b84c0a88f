"""The confirmation ladder job: take every due step exactly once, then send the outbox.

Reads: one Query per ladder shard, one batch read of the due orders (and, for orders at the
cancel step, their accounts), then the outbox pass. Each step is one transaction: the order
(version-conditioned, so two runs cannot both take it), its due entry moved to the next step,
the step's message queued (and for the last step the cancellation event, the ghost outcome in
the match keys and the account's raised risk).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import Conflict
from chalicelib.domain.messages import Message, new_message
from chalicelib.domain.orders import Order, format_amount, reference
from chalicelib.ids import new_id
from chalicelib.observability import logger
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence import messages as message_store
from chalicelib.persistence import orders as store
from chalicelib.persistence.models import AccountItem, OrderItem
from chalicelib.services import confirmation, outbox

CANCEL_STEP = len(ladder.STEPS)


def confirmation_link(order: Order) -> str:
    return confirmation.link(order).url


def order_ref(order: Order) -> str:
    return reference(order.id)


def step_message(order: Order, step: str, now: datetime) -> Message | None:
    """The message a step sends, or None when the customer left no address for that channel."""
    to = order.email if step == "email" else order.phone
    if step not in ("sms", "whatsapp", "email") or not to:
        return None
    placeholders = {
        "order_ref": order_ref(order),
        "total": f"{format_amount(order.total, order.currency)} {order.currency}",
    }
    if step != "email":  # the e-mail step deliberately carries no link
        placeholders["link"] = confirmation_link(order)
    return new_message(
        message_id=new_id(),
        org_id=order.org_id,
        account_id=order.account_id,
        order_id=order.id,
        kind="order_confirmation",
        channel=step,
        template=f"order_confirmation.{step}",
        language=order.language,
        placeholders=placeholders,
        to=to,
        now=now,
        reply_to=order.support_email,
    )


def run(now: datetime) -> dict[str, Any]:
    counts: dict[str, Any] = {"steps": 0, "lost_races": 0, "stale": 0}
    queued: list[Message] = []
    entries = store.ladder_due_entries(now)
    if entries:
        wanted = [(e.target_pk, e.target_sk) for e in entries]
        wanted += [
            (keys.account(e.org_id, e.account_id), keys.PROFILE)
            for e in entries
            if e.step == CANCEL_STEP and e.account_id
        ]
        found = store.read_many(wanted)
        orders = {i.pk: store.to_domain(i) for i in found if isinstance(i, OrderItem)}
        accounts = {i.id: account_store.to_domain(i) for i in found if isinstance(i, AccountItem)}
        for entry in entries:
            order = orders.get(entry.target_pk)
            if order is None or order.status != "pending_confirmation" or order.ladder_step != entry.step:
                store.drop_due(entry)  # the order was erased or moved on: nothing left to do here
                counts["stale"] += 1
                continue
            try:
                if take(order, int(entry.step or 0), now, accounts.get(order.account_id), queued=queued):
                    counts["steps"] += 1
            except Conflict:
                counts["lost_races"] += 1  # another run took this step first (or the account changed)
    counts["outbox"] = outbox.deliver_due(now, queued)  # this run's messages without reading them back
    return counts


def take(
    order: Order, step_number: int, now: datetime, account: Account | None, *, queued: list[Message] | None = None
) -> bool:
    """Take one step (one transaction); the message it queued, as stored, is added to ``queued``."""
    result = ladder.take_step(order, step_number, now)
    if result is None:
        return False
    after, step, event = result
    message = step_message(order, step, now)
    with db.transaction() as tx:
        store.update(tx, order, after)
        if message is not None:
            message_store.add(tx, message)
        if event is not None:
            store.add_event(tx, after, event)
            store.record_outcome(tx, after, "ghost", now)
            if account is not None:
                store.mark_ghost(tx, account, ladder.ghost_risk(account.risk, event.note), now)
    if message is not None and queued is not None:
        queued.append(message_store.as_queued(message))
    logger.info("ladder step", extra={"order_id": order.id, "org_id": order.org_id, "step": step})
    return True
