"""Follow-up plans in DynamoDB: one item per (order, kind, day) in the order's partition, and a
sharded ``DUE#FOLLOWUP#…`` entry for each item that still has to go out.

Every change of a plan item is conditioned on the version that was read, and deletes (or moves)
its due entry in the same transaction, so two runs of the job cannot both queue, skip or move
one item. A change that assumes the order open (the job usually decides from the plan's
``OrderSnapshot``, without reading the order) also checks, in that transaction, that the order
still exists and is not closed; ``OrderNotOpen`` when it is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.accounts import Account
from chalicelib.domain.coupons import Coupon
from chalicelib.domain.follow_ups import FollowUp, OrderNotOpen, OrderSnapshot
from chalicelib.domain.messages import Message
from chalicelib.domain.orders import ORDER_CLOSED, Order
from chalicelib.domain.referrals import ReferralRequest
from chalicelib.domain.settings import OrgSettings
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import coupons as coupon_store
from chalicelib.persistence import db, due, keys
from chalicelib.persistence import messages as message_store
from chalicelib.persistence import orders as order_store
from chalicelib.persistence.models import (
    AccountItem,
    DueItem,
    FollowUpItem,
    Item,
    LeadItem,
    OrderItem,
    ReferralRequestItem,
    SettingsItem,
)
from chalicelib.persistence.referrals import to_item as referral_item
from chalicelib.persistence.timeline import save_new, timeline_entry

ALREADY_PLANNED = "The follow-ups of this order are already planned."
STALE = "The follow-up was handled by another run."
ORDER_NOT_OPEN = "The order was closed or erased after its follow-ups were planned."


def _snapshot_data(snapshot: OrderSnapshot | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    data = {"first_product": snapshot.first_product, "lines": snapshot.lines}
    return data | {k: v for k, v in (("email", snapshot.email), ("phone", snapshot.phone)) if v}


def _snapshot(raw: Any) -> OrderSnapshot | None:
    data = db.plain(raw)
    if not data:
        return None
    return OrderSnapshot(
        first_product=str(data["first_product"]),
        lines=int(data["lines"]),
        email=str(data["email"]) if data.get("email") else None,
        phone=str(data["phone"]) if data.get("phone") else None,
    )


def to_item(item: FollowUp) -> FollowUpItem:
    row = FollowUpItem(
        keys.order(item.org_id, item.order_id),
        keys.follow_up(item.kind, item.day),
        org_id=item.org_id,
        order_id=item.order_id,
        account_id=item.account_id,
        lead_id=item.lead_id,
        follow_up_kind=item.kind,
        day=item.day,
        day0=item.day0,
        due_at=item.due_at,
        refund_until=item.refund_until,
        status=item.status,
        reason=item.reason,
        message_id=item.message_id,
        details=item.details or None,
        order=_snapshot_data(item.order),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
    if item.version:
        row.version = item.version
    return row


def to_domain(row: FollowUpItem) -> FollowUp:
    details = db.plain(row.details)
    if "materials" in details:
        details["materials"] = [{k: str(v) for k, v in db.plain(m).items()} for m in details["materials"]]
    return FollowUp(
        org_id=row.org_id,
        order_id=row.order_id,
        account_id=row.account_id,
        lead_id=row.lead_id,
        kind=row.follow_up_kind,  # type: ignore[arg-type]
        day=int(row.day),
        day0=row.day0,
        due_at=row.due_at,
        refund_until=row.refund_until,
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason,
        message_id=row.message_id,
        details=details,
        order=_snapshot(row.order),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=int(row.version or 0),
    )


def _due_item(item: FollowUp, version: int | None = None) -> DueItem:
    """The item's due entry, carrying a copy of the planned item as the entry's transaction leaves
    it (``version``: by default the next one, as planning and postponing write it), so the job
    reads the entry instead of the entry and the item. The copy cannot go stale: every change of a
    planned item deletes or rewrites its entry in the same transaction."""
    entity = f"{item.order_id}.{item.kind}.{item.day}"
    planned = to_item(replace(item, version=item.version + 1 if version is None else version))
    return DueItem(
        keys.follow_up_due(keys.shard_of(entity, keys.FOLLOW_UP_SHARDS)),
        keys.due_entry(item.due_at, item.org_id, entity),
        org_id=item.org_id,
        target_pk=keys.order(item.org_id, item.order_id),
        target_sk=keys.follow_up(item.kind, item.day),
        account_id=item.account_id,
        order_id=item.order_id,
        target=json.dumps(planned.serialize(), ensure_ascii=False, separators=(",", ":")),
    )


def _planned_copy(entry: DueItem) -> FollowUp | None:
    if not entry.target:
        return None  # an entry written before entries carried their item: read the item
    return to_domain(FollowUpItem.from_raw_data(json.loads(entry.target)))


def add_plan(tx: db.Transaction, plan: list[FollowUp]) -> None:
    """Plan an order's follow-ups (in the order event's transaction): each item by a conditional
    put, so a plan that exists already makes the transaction fail and nothing is planned twice."""
    for item in plan:
        tx.save(to_item(item), FollowUpItem.sk.does_not_exist(), conflict=ALREADY_PLANNED)
        tx.save(_due_item(item))


@db.bound
def plan_of(org_id: str, order_id: str) -> list[FollowUp]:
    rows = Item.query(keys.order(org_id, order_id), Item.sk.startswith(keys.FOLLOW_UP_PREFIX), consistent_read=True)
    return [to_domain(r) for r in rows if isinstance(r, FollowUpItem)]


# -- the job ----------------------------------------------------------------------------------


def due_entries(now: datetime) -> list[DueItem]:
    """Follow-ups due now across every organisation: one Query per shard."""
    return due.entries(keys.follow_up_due, keys.FOLLOW_UP_SHARDS, now)


def drop_due(entry: DueItem) -> None:
    due.drop(entry)


@dataclass
class DueContext:
    """Everything the job needs about its due items, from one batch read."""

    follow_ups: dict[tuple[str, str], FollowUp] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    settings: dict[str, OrgSettings] = field(default_factory=dict)
    won_leads: set[str] = field(default_factory=set)


@db.bound
def read_due(entries: list[DueItem]) -> DueContext:
    """The plan items behind due entries (the copies the entries carry), their accounts, won leads
    and the settings of their organisations: one BatchGetItem per 100 keys. Orders only for items
    planned before plans carried an ``OrderSnapshot`` (and for entries without a copy)."""
    wanted: list[tuple[str, str]] = []
    context = DueContext()
    for entry in entries:
        copy = _planned_copy(entry)
        if copy is None:
            wanted.append((entry.target_pk, entry.target_sk))
        else:
            context.follow_ups[(entry.target_pk, entry.target_sk)] = copy
        if copy is None or copy.order is None:
            wanted.append((entry.target_pk, keys.PROFILE))
        wanted += [
            (keys.account(entry.org_id, entry.account_id or ""), keys.PROFILE),
            (keys.org(entry.org_id), keys.settings()),
        ]
    found = db.batch_get(wanted)
    for row in found:
        if isinstance(row, FollowUpItem):
            context.follow_ups[(row.pk, row.sk)] = to_domain(row)
        elif isinstance(row, OrderItem):
            context.orders[row.id] = order_store.to_domain(row)
        elif isinstance(row, AccountItem):
            context.accounts[row.id] = account_store.to_domain(row)
        elif isinstance(row, SettingsItem):
            context.settings[row.org_id] = OrgSettings.model_validate(row.data.as_dict())
    # The leads of orders whose referral request is due (a second, small read, only then).
    lead_keys = [
        (keys.lead(f.org_id, f.lead_id), keys.PROFILE)
        for f in context.follow_ups.values()
        if f.lead_id and f.kind == "referral_request"
    ]
    if lead_keys:
        context.won_leads = {
            row.id for row in db.batch_get(lead_keys) if isinstance(row, LeadItem) and row.status == "won"
        }
    return context


@db.bound
def order_of(item: FollowUp) -> Order | None:
    """The item's order (one GetItem): for the rare item whose write found the order closed or gone."""
    return order_store.find(item.org_id, item.order_id)


def _save(tx: db.Transaction, before: FollowUp, after: FollowUp, check_order: bool) -> None:
    row = to_item(after)
    row.version = before.version
    tx.save(row, FollowUpItem.status == "planned", conflict=STALE)
    if check_order:
        probe = OrderItem(keys.order(before.org_id, before.order_id), keys.PROFILE)
        still_open = OrderItem.pk.exists() & ~OrderItem.status.is_in(*sorted(ORDER_CLOSED))
        tx.check(probe, still_open, conflict=OrderNotOpen(ORDER_NOT_OPEN))


@db.bound
def postpone(before: FollowUp, after: FollowUp, *, check_order: bool) -> None:
    """The item waits: its due entry moves to the new moment. ``check_order``: with the check
    that the order is still open (a condition check; ``OrderNotOpen`` when it is not)."""
    with db.transaction() as tx:
        _save(tx, before, after, check_order)
        tx.delete(_due_item(before))
        tx.save(_due_item(after))


@db.bound
def skip(before: FollowUp, after: FollowUp, message: Message, *, check_order: bool) -> None:
    """The item is skipped: a ``skipped`` message (with the reason) in the outbox and on the
    timeline, no due entry left."""
    with db.transaction() as tx:
        _save(tx, before, after, check_order)
        tx.delete(_due_item(before))
        message_store.add_unsent(tx, message)


@db.bound
def queue(
    before: FollowUp,
    after: FollowUp,
    message: Message,
    *,
    check_order: bool,
    coupon: Coupon | None = None,
    referral: ReferralRequest | None = None,
) -> None:
    """The item's message joins the outbox (the outbox pass sends it exactly once), with the
    coupon it carries, or the referral request it opens on the won lead, in one transaction."""
    with db.transaction() as tx:
        _save(tx, before, after, check_order)
        tx.delete(_due_item(before))
        message_store.add(tx, message)
        if coupon is not None:
            coupon_store.add(tx, coupon)
        if referral is not None:
            tx.save(referral_item(referral), ReferralRequestItem.sk.does_not_exist())
            save_new(
                tx,
                timeline_entry(
                    referral.org_id,
                    referral.account_id,
                    "referral_request",
                    referral.created_at,
                    referral.id,
                    {"channel": referral.channel, "note": referral.note or None, "by": referral.asked_by},
                    lead_id=referral.lead_id,
                ),
            )
            probe = LeadItem(keys.lead(referral.org_id, referral.lead_id), keys.PROFILE)
            tx.check(probe, LeadItem.status == "won", conflict="The lead is no longer won.")


def summary(item: FollowUp) -> dict[str, Any]:
    return {"kind": item.kind, "day": item.day, "status": item.status}
