"""The follow-up job: send each planned follow-up once, when it is due, through the outbox.

Reads: one Query per ``DUE#FOLLOWUP#`` shard (``sk <= now``; each entry carries its planned
item), one batch read of the due items' accounts and organisation settings (plus the named leads
when a referral request is due), then the outbox pass. No order: the plan carries what the
messages need of it (``OrderSnapshot``), and its status is checked by the write instead. Per item
one transaction, conditioned on the item still being ``planned`` at the version read, so
overlapping or retried runs cannot act on it twice, and on the order still existing and not being
closed. When that check fails (rare), the job reads the order (one GetItem) and handles the item
again with it: skipped as below, or dropped when the order is gone. Items planned before plans
carried the snapshot have their orders read in the batch, as before.

- **skip** (order refunded/returned/refused/cancelled, customer opted out, nobody to write to):
  the item becomes ``skipped`` with the reason, and a ``skipped`` message says why in
  ``GET /messages`` and on the customer's timeline;
- **wait** (outside the organisation's local sending hours, or its weekend): the due entry moves
  to the next start of the sending hours;
- **send**: the item becomes ``queued`` and its message joins the outbox in the same
  transaction, with the coupon it carries or the referral request it opens on the won lead.
  The outbox pass then claims and sends it exactly once (see ``services.outbox``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain import follow_ups, templates
from chalicelib.domain.accounts import Account
from chalicelib.domain.coupons import Coupon, display_code, issue_coupon
from chalicelib.domain.errors import Conflict
from chalicelib.domain.follow_ups import NOT_READ, FollowUp, OrderNotOpen, OrderSnapshot
from chalicelib.domain.messages import Message
from chalicelib.domain.orders import ORDER_CLOSED, Order, reference
from chalicelib.domain.referrals import ReferralRequest
from chalicelib.domain.settings import OrgSettings
from chalicelib.ids import new_id
from chalicelib.observability import logger
from chalicelib.persistence import follow_ups as store
from chalicelib.persistence import messages as message_store
from chalicelib.persistence.models import DueItem
from chalicelib.services import outbox

NO_ADDRESS = "not sent: no e-mail or phone to reach the customer"
UNFILLED = "—"


def run(now: datetime) -> dict[str, Any]:
    counts: dict[str, Any] = {"queued": 0, "skipped": 0, "waiting": 0, "lost_races": 0, "stale": 0}
    queued: list[Message] = []
    entries = store.due_entries(now)
    if entries:
        context = store.read_due(entries)
        for entry in entries:
            item = context.follow_ups.get((entry.target_pk, entry.target_sk))
            order = context.orders.get(item.order_id) if item else None
            account = context.accounts.get(item.account_id) if item else None
            if item is None or item.status != "planned" or account is None or (item.order is None and order is None):
                store.drop_due(entry)  # handled already, or the customer was erased: nothing to do
                counts["stale"] += 1
                continue
            settings = context.settings.get(item.org_id) or OrgSettings()
            try:
                won = item.lead_id in context.won_leads
                counts[handle_due(entry, item, order, account, settings, now, lead_won=won, queued=queued)] += 1
            except Conflict:
                counts["lost_races"] += 1  # another run handled this item first
    counts["outbox"] = outbox.deliver_due(now, queued)  # this run's messages without reading them back
    return counts


def handle_due(
    entry: DueItem,
    item: FollowUp,
    order: Order | None,
    account: Account,
    settings: OrgSettings,
    now: datetime,
    *,
    lead_won: bool,
    queued: list[Message] | None = None,
) -> str:
    """``handle`` the item with the order as read (``order``: items planned before plans carried
    their snapshot) or, usually, with the plan's snapshot and the order's status unread. If the
    write finds the order closed or gone, read it (one GetItem) and handle the item again with it;
    a gone order (the customer erased) leaves nothing to do."""
    try:
        if order is None:
            assert item.order is not None  # else the caller dropped the entry
            return handle(item, item.order, NOT_READ, account, settings, now, lead_won=lead_won, queued=queued)
        snapshot = OrderSnapshot.of(order)
        return handle(item, snapshot, order.status, account, settings, now, lead_won=lead_won, queued=queued)
    except OrderNotOpen:
        order = store.order_of(item)
        if order is None:
            store.drop_due(entry)
            return "stale"
        logger.info("follow-up found its order closed", extra={"order_id": item.order_id, "follow_up": item.key})
        snapshot = item.order or OrderSnapshot.of(order)
        return handle(item, snapshot, order.status, account, settings, now, lead_won=lead_won, queued=queued)


def handle(
    item: FollowUp,
    order: OrderSnapshot,
    order_status: str,
    account: Account,
    settings: OrgSettings,
    now: datetime,
    *,
    lead_won: bool,
    queued: list[Message] | None = None,
) -> str:
    """Queue, skip or postpone one due item (one transaction); a queued message, as stored, is
    added to ``queued``. ``order_status``: as read, or ``NOT_READ``. Unless the decision is that
    the order is closed, the transaction checks that it still exists and is not (``OrderNotOpen``)."""
    decision = follow_ups.decide(
        item, order_status=order_status, opted_out=account.contact_opt_out, settings=settings, now=now
    )
    check_order = order_status not in ORDER_CLOSED
    if decision.action == "wait":
        store.postpone(item, follow_ups.postponed(item, decision, now), check_order=check_order)
        return "waiting"
    route = follow_ups.choose_channel(
        item.kind,
        emails=account.emails or ([order.email] if order.email else []),
        phones=account.phones or ([order.phone] if order.phone else []),
        settings=settings,
    )
    reason = decision.reason if decision.action == "skip" else (None if route else NO_ADDRESS)
    if reason is not None:
        message = compose(item, order, account, settings, now, route=route, status="skipped", reason=reason)
        after = replace(item, status="skipped", reason=reason, message_id=message.id, updated_at=now)
        store.skip(item, after, message, check_order=check_order)
        logger.info("follow-up skipped", extra={"order_id": item.order_id, "follow_up": item.key, "reason": reason})
        return "skipped"
    coupon = None
    if item.kind == "coupon":
        rule = settings.follow_up.coupon
        coupon = issue_coupon(
            org_id=item.org_id, account_id=item.account_id, order_id=item.order_id, rule=rule, now=now
        )
    message = compose(item, order, account, settings, now, route=route, coupon=coupon)
    referral = None
    if item.kind == "referral_request" and item.lead_id and lead_won:
        referral = ReferralRequest(
            id=new_id(),
            org_id=item.org_id,
            lead_id=item.lead_id,
            account_id=item.account_id,
            asked_by="follow_up",
            channel=message.channel,
            created_at=now,
            updated_at=now,
            note=f"asked by the automated follow-up of order {item.order_id}",
        )
    after = replace(item, status="queued", reason=None, message_id=message.id, updated_at=now)
    store.queue(item, after, message, check_order=check_order, coupon=coupon, referral=referral)
    if queued is not None:
        queued.append(message_store.as_queued(message))
    extra = {"order_id": item.order_id, "follow_up": item.key, "message_id": message.id}
    logger.info("follow-up queued", extra=extra)
    return "queued"


def placeholders(
    item: FollowUp, order: OrderSnapshot, account: Account, settings: OrgSettings, language: str, coupon: Coupon | None
) -> dict[str, str]:
    lang = language if language in templates.AUTOMATED else "en"
    links = {
        "bonus_material": "\n".join(f"{m['title']}: {m['url']}" for m in item.details.get("materials", [])),
        "review_request": settings.follow_up.review_url or templates.NO_LINK["review_request"][lang],
        "referral_request": settings.follow_up.referral_url or templates.NO_LINK["referral_request"][lang],
    }
    values = {
        "customer_name": account.name,
        "product": follow_ups.product_name(order, lang),
        "order_ref": reference(item.order_id),
        "support_email": settings.support_email or templates.NO_SUPPORT_EMAIL[lang],
        "link": links.get(item.kind, ""),
        "refund_until": follow_ups.local_date(item.refund_until, settings.timezone),
    }
    if item.kind == "coupon":
        values["coupon_code"] = display_code(coupon.code) if coupon else UNFILLED
        values["coupon_value"] = coupon.value_text(lang) if coupon else UNFILLED
        values["coupon_expires"] = follow_ups.local_date(coupon.valid_until, settings.timezone) if coupon else UNFILLED
    return values


def compose(
    item: FollowUp,
    order: OrderSnapshot,
    account: Account,
    settings: OrgSettings,
    now: datetime,
    *,
    route: tuple[str, str] | None,
    coupon: Coupon | None = None,
    status: str = "queued",
    reason: str | None = None,
) -> Message:
    """The follow-up's message in the customer's language (the account's, else the organisation's)."""
    language = account.language or settings.default_language
    name = follow_ups.template_for(item, now)
    values = placeholders(item, order, account, settings, language, coupon)
    text = templates.render(name, language, values, settings.message_templates)  # type: ignore[arg-type]
    channel, to = route or (settings.follow_up.channel_preference[0], "")
    return Message(
        id=new_id(),
        org_id=item.org_id,
        account_id=item.account_id,
        order_id=item.order_id,
        kind=item.kind,
        channel=channel,
        template=name,
        placeholders=values,
        to=to,
        subject=text.subject if channel == "email" else None,
        reply_to=settings.support_email if channel == "email" else None,
        body=text.body,
        created_at=now,
        send_at=now,
        updated_at=now,
        status=status,
        failure_reason=reason,
    )
