"""Orders in DynamoDB: the order item, its events, its match keys and its ladder due entry.

Functions named ``add_*``/``update`` ADD to a transaction the service opens, so an order change
and everything that records it (event, timeline entry, match-key history, due entry, a queued
message) commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import NotFound
from chalicelib.domain.order_risk import KeyType, PastOrder, trim
from chalicelib.domain.orders import Order, OrderEvent, OrderLine, format_amount
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeutil import format_exact
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, due, keys
from chalicelib.persistence.models import (
    AccessItem,
    AccountItem,
    DueItem,
    Item,
    LeadItem,
    LinkItem,
    MatchKeyItem,
    OrderEventItem,
    OrderItem,
)
from chalicelib.persistence.timeline import save_new, timeline_entry

STALE = "The order was changed by someone else meanwhile; reload it and try again."


def _status_sort(order: Order) -> str:
    base = keys.sortable(order.created_at, order.id)
    return f"{keys.CALL_QUEUE_PREFIX}{base}" if order.needs_call else base


def to_item(order: Order) -> OrderItem:
    item = OrderItem(
        keys.order(order.org_id, order.id),
        keys.PROFILE,
        gsi1pk=keys.orders_list(order.org_id),
        gsi1sk=keys.sortable(order.created_at, order.id),
        gsi2pk=keys.owner_orders(order.org_id, order.owner_id),
        gsi2sk=keys.sortable(order.created_at, order.id),
        gsi3pk=keys.orders_by_status(order.org_id, order.status),
        gsi3sk=_status_sort(order),
        id=order.id,
        org_id=order.org_id,
        account_id=order.account_id,
        owner_id=order.owner_id,
        lead_id=order.lead_id,
        items=[
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": str(line.unit_price)}
            for line in order.items
        ],
        currency=order.currency,
        total=format_amount(order.total, order.currency),
        payment=order.payment,
        status=order.status,
        delivery_address=order.delivery_address or None,
        phone=order.phone,
        email=order.email,
        note=order.note or None,
        needs_call=order.needs_call,
        risk=order.risk,
        language=order.language,
        ladder=order.ladder or None,
        ladder_step=order.ladder_step,
        ladder_due_at=order.ladder_due_at,
        support_email=order.support_email,
        confirmed_by=order.confirmed_by,
        cancel_reason=order.cancel_reason,
        delivered=order.delivered,
        paid=order.paid,
        match_keys=order.match_keys or None,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )
    if order.version:
        item.version = order.version
    return item


def to_domain(item: OrderItem) -> Order:
    a = db.fields(item)
    return Order(
        id=a.get("id"),
        org_id=a.get("org_id"),
        account_id=a.get("account_id"),
        owner_id=a.get("owner_id"),
        items=[
            OrderLine(str(line["sku"]), str(line["name"]), int(line["quantity"]), Decimal(str(line["unit_price"])))
            for line in (db.plain(raw) for raw in a.get("items") or [])
        ],
        currency=a.get("currency"),
        payment=a.get("payment"),
        created_at=a.get("created_at"),
        updated_at=a.get("updated_at"),
        status=a.get("status"),
        lead_id=a.get("lead_id"),
        delivery_address=db.plain(a.get("delivery_address")),
        phone=a.get("phone"),
        email=a.get("email"),
        note=a.get("note") or "",
        needs_call=bool(a.get("needs_call")),
        risk=db.plain(a.get("risk")) or {"level": "low", "reasons": [], "flags": []},
        language=a.get("language") or "ar",
        ladder={k: int(v) for k, v in db.plain(a.get("ladder")).items()},
        ladder_step=int(a.get("ladder_step") or 0),
        ladder_due_at=a.get("ladder_due_at"),
        support_email=a.get("support_email"),
        confirmed_by=a.get("confirmed_by"),
        cancel_reason=a.get("cancel_reason"),
        delivered=bool(a.get("delivered")),
        paid=bool(a.get("paid")),
        match_keys=[str(k) for k in a.get("match_keys") or []],
        version=int(a.get("version") or 0),
    )


# -- the ladder's due entry -----------------------------------------------------------------


def _due_item(order: Order) -> DueItem | None:
    if order.ladder_due_at is None:
        return None
    return DueItem(
        keys.ladder_due(keys.shard_of(order.id, keys.LADDER_SHARDS)),
        keys.due_entry(order.ladder_due_at, order.org_id, order.id),
        org_id=order.org_id,
        target_pk=keys.order(order.org_id, order.id),
        target_sk=keys.PROFILE,
        step=order.ladder_step,
        account_id=order.account_id,
    )


def _move_due(tx: db.Transaction, before: Order | None, after: Order) -> None:
    """Keep the order's one due entry in step with its ladder: delete the old, add the new."""
    old, new = (_due_item(before) if before else None), _due_item(after)
    if old is not None and (new is None or (old.pk, old.sk) != (new.pk, new.sk)):
        tx.delete(old)
    if new is not None and (old is None or (old.pk, old.sk) != (new.pk, new.sk)):
        tx.save(new)


# -- match keys -----------------------------------------------------------------------------


@dataclass
class MatchHistory:
    """What a match key item held when it was read (``exists`` decides put or update)."""

    key_type: KeyType
    pk: str
    exists: bool
    entries: dict[str, dict[str, Any]]

    def past(self) -> list[PastOrder]:
        return [PastOrder.from_entry(order_id, entry) for order_id, entry in self.entries.items()]


def match_pk(org_id: str, key_type: str, value: str) -> str:
    return keys.order_match(org_id, key_type, value)


def history_from(found: list[Item], wanted: dict[str, KeyType]) -> list[MatchHistory]:
    """Match histories out of a batch read (absent keys have an empty history)."""
    by_pk = {row.pk: row for row in found if isinstance(row, MatchKeyItem)}
    result = []
    for pk, key_type in wanted.items():
        row = by_pk.get(pk)
        entries = {k: db.plain(v) for k, v in db.plain(row.orders).items()} if row is not None else {}
        result.append(MatchHistory(key_type, pk, row is not None, entries))
    return result


def _entry(order: Order, outcome: str | None, outcome_at: datetime | None) -> dict[str, Any]:
    return PastOrder(
        order_id=order.id,
        account_id=order.account_id,
        at=format_exact(order.created_at),
        outcome=outcome,
        outcome_at=format_exact(outcome_at) if outcome_at else None,
        delivered=order.delivered,
        paid=order.paid,
    ).as_entry()


def add_match_keys(tx: db.Transaction, order: Order, histories: list[MatchHistory]) -> None:
    """Record the new order in each of its match keys (a key first used is created; a long
    history drops its oldest successes)."""
    entry = _entry(order, None, None)
    for history in histories:
        if history.exists:
            actions = [MatchKeyItem.orders[order.id].set(entry)]  # type: ignore[index]
            actions += [MatchKeyItem.orders[old].remove() for old in trim(history.entries)]  # type: ignore[index]
            probe = MatchKeyItem(history.pk, keys.MATCH_HISTORY)
            tx.update(probe, actions, MatchKeyItem.pk.exists(), conflict="Another order used the same contact; retry.")
        else:
            item = MatchKeyItem(history.pk, keys.MATCH_HISTORY, key_type=history.key_type, orders={order.id: entry})
            tx.save(item, MatchKeyItem.pk.does_not_exist(), conflict="Another order used the same contact; retry.")


def record_outcome(tx: db.Transaction, order: Order, outcome: str | None, at: datetime) -> None:
    """Write what became of the order (a failure, or delivered/paid) into its match keys."""
    entry = _entry(order, outcome, at if outcome else None)
    for pk in order.match_keys:
        probe = MatchKeyItem(pk, keys.MATCH_HISTORY)
        tx.update(probe, [MatchKeyItem.orders[order.id].set(entry)], MatchKeyItem.pk.exists())  # type: ignore[index]


# -- writes ---------------------------------------------------------------------------------


def _grant_access(tx: db.Transaction, order: Order, account_created_at: datetime) -> None:
    """One more reason on the owner's access link, so the owner always sees the customer."""
    probe = AccessItem(keys.account(order.org_id, order.account_id), keys.access(order.owner_id))
    tx.update(
        probe,
        [
            AccessItem.kind.set(AccessItem),  # type: ignore[arg-type]
            AccessItem.reasons.add(1),
            AccessItem.account_id.set(order.account_id),
            AccessItem.user_id.set(order.owner_id),
            AccessItem.gsi2pk.set(keys.owner_accounts(order.org_id, order.owner_id)),
            AccessItem.gsi2sk.set(keys.sortable(account_created_at, order.account_id)),
        ],
    )


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "status": order.status,
        "total": {"amount": format_amount(order.total, order.currency), "currency": order.currency},
        "payment": order.payment,
        "items": len(order.items),
        "risk": order.risk.get("level"),
    }


def add(tx: db.Transaction, order: Order, account_created_at: datetime) -> OrderItem:
    """A new order: the item, its erasure link, the owner's access link, its timeline entry and,
    while it waits for confirmation, its ladder due entry."""
    item = to_item(order)
    tx.save(item, OrderItem.pk.does_not_exist(), conflict="This order already exists.")
    account_pk = keys.account(order.org_id, order.account_id)
    tx.save(LinkItem(account_pk, keys.link(keys.ORDER, order.id), target_pk=keys.order(order.org_id, order.id)))
    _grant_access(tx, order, account_created_at)
    entry = timeline_entry(
        order.org_id, order.account_id, "order", order.created_at, order.id, order_summary(order), lead_id=order.lead_id
    )
    save_new(tx, entry)
    _move_due(tx, None, order)
    return item


def update(tx: db.Transaction, before: Order, after: Order) -> OrderItem:
    """Save ``after`` if the order is still at ``before``'s version (and move its due entry)."""
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict=STALE)
    _move_due(tx, before, after)
    return item


def add_event(tx: db.Transaction, order: Order, event: OrderEvent) -> None:
    """The event in the order's history and on the customer's timeline."""
    tx.save(
        OrderEventItem(
            keys.order(order.org_id, order.id),
            keys.order_event(event.at, event.seq),
            order_id=order.id,
            event_type=event.type,
            from_status=event.from_status,
            to_status=event.to_status,
            by=event.by,
            at=event.at,
            note=event.note or None,
        ),
        OrderEventItem.sk.does_not_exist(),
        conflict=STALE,
    )
    data = {"type": event.type, "from_status": event.from_status, "to_status": event.to_status, "by": event.by}
    data["note"] = event.note or None  # type: ignore[assignment]
    save_new(
        tx,
        timeline_entry(order.org_id, order.account_id, "order_event", event.at, order.id, data, lead_id=order.lead_id),
    )


# -- reads ----------------------------------------------------------------------------------


@dataclass
class NewOrderContext:
    """Everything ``POST /orders`` reads, in one batch: the account (and a rep's access link), the
    lead if one is named, and the histories of the order's match keys."""

    account: Account | None
    account_created_at: datetime | None
    visible: bool
    lead_account_id: str | None
    lead_found: bool
    histories: list[MatchHistory]


@db.bound
def read_for_new_order(
    principal: Principal, account_id: str, lead_id: str | None, wanted: dict[str, KeyType]
) -> NewOrderContext:
    account_pk = keys.account(principal.org_id, account_id)
    batch = [(account_pk, keys.PROFILE)]
    if not principal.sees_whole_org:
        batch.append((account_pk, keys.access(principal.user_id)))
    if lead_id:
        batch.append((keys.lead(principal.org_id, lead_id), keys.PROFILE))
    batch += [(pk, keys.MATCH_HISTORY) for pk in wanted]
    found = db.batch_get(batch)
    profile = next((i for i in found if isinstance(i, AccountItem) and i.pk == account_pk), None)
    access = any(isinstance(i, AccessItem) for i in found)
    lead = next((i for i in found if isinstance(i, LeadItem)), None)
    visible = profile is not None and (principal.sees_whole_org or profile.owner_id == principal.user_id or access)
    return NewOrderContext(
        account=account_store.to_domain(profile) if profile is not None else None,
        account_created_at=profile.created_at if profile is not None else None,
        visible=visible,
        lead_account_id=lead.account_id if lead is not None and principal.may_see_owned(lead.owner_id) else None,
        lead_found=lead is not None,
        histories=history_from(found, wanted),
    )


@db.bound
def find(org_id: str, order_id: str) -> Order | None:
    """The order by id, whoever asks (the public page checks its token instead)."""
    try:
        return to_domain(OrderItem.get(keys.order(org_id, order_id), keys.PROFILE, consistent_read=True))
    except OrderItem.DoesNotExist:
        return None


def visible(principal: Principal, order: Order | None) -> Order:
    """The order if the caller may see it: managers see all; a rep the orders they own and the
    orders of the accounts they see (one more batch read)."""
    if order is None:
        raise NotFound("No such order.")
    if principal.sees_whole_org or order.owner_id == principal.user_id:
        return order
    try:
        account_store.get(principal, order.account_id)
    except NotFound:
        raise NotFound("No such order.")
    return order


def get(principal: Principal, order_id: str) -> Order:
    return visible(principal, find(principal.org_id, order_id))


@db.bound
def events(order: Order) -> list[OrderEvent]:
    rows = Item.query(
        keys.order(order.org_id, order.id), Item.sk.startswith(keys.ORDER_EVENT_PREFIX), consistent_read=True
    )
    return [
        OrderEvent(order.id, r.event_type, r.from_status, r.to_status, r.by, r.at, r.note or "")
        for r in rows
        if isinstance(r, OrderEventItem)
    ]


@db.bound
def list_page(
    principal: Principal,
    *,
    status: str | None,
    needs_call: bool,
    account_id: str | None,
    limit: int,
    cursor: str | None,
) -> db.Page[Order]:
    """One Query per page: the call queue and status lists on gsi3, an account's orders through
    its ``#LINK#ORDER#`` items (then one batch read of those orders), a rep's own on gsi2,
    everything on gsi1. A rep's status lists keep only their own orders (a filter expression)."""
    org = principal.org_id
    if account_id:
        return _account_page(principal, account_id, status, needs_call, limit, cursor)
    own = None if principal.sees_whole_org else OrderItem.owner_id == principal.user_id
    index: Any
    range_condition: Any = None
    condition: Any = None
    if needs_call or status:
        wanted = "pending_confirmation" if needs_call else str(status)
        if needs_call and status and status != "pending_confirmation":
            return db.Page([], None)  # only pending orders wait for a call
        index, attribute, hash_value = Item.gsi3, "gsi3pk", keys.orders_by_status(org, wanted)
        if needs_call:
            range_condition = Item.gsi3sk.startswith(keys.CALL_QUEUE_PREFIX)
        condition = own
    elif principal.sees_whole_org:
        index, attribute, hash_value = Item.gsi1, "gsi1pk", keys.orders_list(org)
    else:
        index, attribute, hash_value = Item.gsi2, "gsi2pk", keys.owner_orders(org, principal.user_id)
    start = db.decode_cursor(cursor, hash_attribute=attribute, hash_value=hash_value)
    result = index.query(
        hash_value,
        range_condition,
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
    )
    orders = [to_domain(row) for row in result if isinstance(row, OrderItem)]
    return db.Page(orders, db.encode_cursor(result.last_evaluated_key))


def _account_page(
    principal: Principal, account_id: str, status: str | None, needs_call: bool, limit: int, cursor: str | None
) -> db.Page[Order]:
    account_store.get(principal, account_id)  # 404 unless the caller sees the account
    pk = keys.account(principal.org_id, account_id)
    start = db.decode_cursor(cursor, hash_attribute="pk", hash_value=pk)
    result = Item.query(
        pk, Item.sk.startswith(keys.ORDER_LINK_PREFIX), scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    ids = [row.target_pk for row in result if isinstance(row, LinkItem)]
    found = {i.pk: to_domain(i) for i in db.batch_get([(t, keys.PROFILE) for t in ids]) if isinstance(i, OrderItem)}
    orders = [found[t] for t in ids if t in found]
    if status:
        orders = [o for o in orders if o.status == status]
    if needs_call:
        orders = [o for o in orders if o.needs_call]
    return db.Page(orders, db.encode_cursor(result.last_evaluated_key))


@db.bound
def read_many(order_keys: list[tuple[str, str]]) -> list[Item]:
    """Orders (and whatever else) by key in one batch: the ladder job's one read."""
    return db.batch_get(order_keys)


# -- the confirmation ladder ----------------------------------------------------------------


def ladder_due_entries(now: datetime) -> list[DueItem]:
    """Ladder steps due now across every organisation: one Query per shard."""
    return due.entries(keys.ladder_due, keys.LADDER_SHARDS, now)


def drop_due(entry: DueItem) -> None:
    due.drop(entry)


def mark_ghost(tx: db.Transaction, account: Account, risk: dict[str, Any], now: datetime) -> None:
    """The customer joins the ghost list: risk raised (with the reason) and the ``ghost`` tag,
    conditioned on the account version that was read."""
    probe = AccountItem(keys.account(account.org_id, account.id), keys.PROFILE)
    probe.version = account.version  # the update adds 1 to it
    tags = account.tags if "ghost" in account.tags else [*account.tags, "ghost"]
    tx.update(
        probe,
        [
            AccountItem.risk.set(risk),
            AccountItem.tags.set(tags),  # type: ignore[arg-type]
            AccountItem.updated_at.set(now),
        ],
        AccountItem.version == account.version,
        conflict="The customer's account changed meanwhile; the step is retried on the next run.",
    )
