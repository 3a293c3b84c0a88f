"""After the sale: the follow-up plan of an order and the rules for sending it (DOMAIN.md section 5).

Day 0 is when a prepaid order is ``paid`` or a cash-on-delivery order is ``delivered``. On that
event the order's plan is made from the organisation's settings, in the same transaction as the
event: bonus materials, a check-in on each configured day, a review request, a referral request
and a coupon for the next purchase. A plan item is identified by (order, kind, day) and stored
with a conditional put, so planning twice plans nothing new.

Each plan item carries what its messages need of the order besides its status
(``OrderSnapshot``): none of it changes once the order exists, so the job does not read the order.

When an item falls due, the follow-up job decides (``decide``): skip it (the order was refunded,
returned, refused or cancelled; the customer opted out; nobody to write to), let it wait (outside
the organisation's local sending hours or on its weekend) or send it now. Plan items keep their
timing as planned; their texts are written when they are sent, in the customer's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import ORDER_CLOSED, Order
from chalicelib.domain.settings import FollowUpKind, OrgSettings, SendHours

FOLLOW_UP_KINDS: tuple[FollowUpKind, ...] = (
    "bonus_material",
    "checkin",
    "review_request",
    "referral_request",
    "coupon",
)
# Settings allow at most 20 check-in days; plus bonus, review, referral and coupon. Each item is
# two writes (the item and its due entry) in the order event's transaction (DynamoDB: 100 at most).
MAX_PLAN_ITEMS = 24
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Status = Literal["planned", "queued", "skipped"]


@dataclass(frozen=True)
class OrderSnapshot:
    """What a follow-up's message needs of its order besides the status, copied onto the plan on
    day 0. No route changes an order's lines or contact details once it exists, so the copy stays
    true and the job need not read the order; the status does change, and the write that acts on a
    decision made without reading it checks it (``OrderNotOpen``)."""

    first_product: str  # the first line's name: messages name it, "and N more" for the rest
    lines: int
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, order: Order) -> OrderSnapshot:
        first = order.items[0].name if order.items else ""
        return cls(first_product=first, lines=len(order.items), email=order.email, phone=order.phone)


# The order status the job decides with when it did not read the order (the plan's snapshot had
# all else it needed): its write then checks that the order still exists and is not closed.
NOT_READ = "not read"


class OrderNotOpen(Conflict):
    """The order closed or was erased after its follow-ups were planned, so a write that assumed
    it open was refused: read the order and decide again."""


@dataclass
class FollowUp:
    """One planned follow-up of an order."""

    org_id: str
    order_id: str
    account_id: str
    kind: FollowUpKind
    day: int
    day0: datetime
    due_at: datetime  # when it may go out next (moved forward while it waits for sending hours)
    refund_until: datetime
    created_at: datetime
    updated_at: datetime
    lead_id: str | None = None
    status: Status = "planned"
    reason: str | None = None  # why it was skipped, or why it waited
    message_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # bonus materials as promised on day 0
    order: OrderSnapshot | None = None  # None: planned before plans carried it (read the order)
    version: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.day}"


def starts_follow_ups(order: Order, event_type: str) -> bool:
    """Is this event day 0 of the order's follow-ups?"""
    return (order.payment == "prepaid" and event_type == "paid") or (
        order.payment == "cod" and event_type == "delivered"
    )


def plan_follow_ups(order: Order, settings: OrgSettings, day0: datetime) -> list[FollowUp]:
    """The order's follow-ups from the settings, one per (kind, day)."""
    rule = settings.follow_up
    refund_until = day0 + timedelta(days=settings.refund_window_days)
    wanted: list[tuple[FollowUpKind, int, dict[str, Any]]] = []
    if rule.bonus_materials:
        materials = [m.model_dump() for m in rule.bonus_materials]
        wanted.append(("bonus_material", rule.bonus_after_days, {"materials": materials}))
    wanted += [("checkin", day, {}) for day in rule.checkin_days]
    wanted.append(("review_request", rule.review_request_day, {}))
    wanted.append(("referral_request", rule.referral_request_day, {}))
    wanted.append(("coupon", rule.coupon.after_days, {}))
    plan: dict[tuple[str, int], FollowUp] = {}
    snapshot = OrderSnapshot.of(order)
    for kind, day, details in wanted:
        plan.setdefault(
            (kind, day),
            FollowUp(
                org_id=order.org_id,
                order_id=order.id,
                account_id=order.account_id,
                lead_id=order.lead_id,
                kind=kind,
                day=day,
                day0=day0,
                due_at=day0 + timedelta(days=day),
                refund_until=refund_until,
                created_at=day0,
                updated_at=day0,
                details=details,
                order=snapshot,
            ),
        )
    items = sorted(plan.values(), key=lambda f: (f.due_at, FOLLOW_UP_KINDS.index(f.kind)))
    assert len(items) <= MAX_PLAN_ITEMS, "settings allow at most 20 check-in days"
    return items


# -- sending ----------------------------------------------------------------------------------


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def next_send_moment(at: datetime, timezone: str, hours: SendHours, weekend: Sequence[str]) -> datetime:
    """``at`` if it falls within the local sending hours on a working day, else the next start
    of the sending hours on a working day (a follow-up due at 03:00 goes at 09:00)."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    start, end = _clock(hours.start), _clock(hours.end)
    day = local.date()
    for offset in range(8):
        current = day + timedelta(days=offset)
        if WEEKDAYS[current.weekday()] in weekend:
            continue
        opens = datetime.combine(current, start, zone)
        closes = datetime.combine(current, end, zone)
        if offset == 0 and opens <= local < closes:
            return at
        if local < opens:
            return opens.astimezone(UTC)
    return at  # every day a weekend cannot be configured (at most 6); never reached


@dataclass(frozen=True)
class Decision:
    action: Literal["send", "wait", "skip"]
    reason: str | None = None
    until: datetime | None = None


def decide(
    item: FollowUp, *, order_status: str | None, opted_out: bool, settings: OrgSettings, now: datetime
) -> Decision:
    """``order_status``: as read, None when the order is gone, or ``NOT_READ``."""
    if order_status is None:
        return Decision("skip", "not sent: the order no longer exists")
    if order_status in ORDER_CLOSED:
        return Decision("skip", f"not sent: the order is {order_status}")
    if opted_out:
        return Decision("skip", "not sent: the customer opted out of contact")
    moment = next_send_moment(now, settings.timezone, settings.follow_up.send_hours, settings.follow_up.weekend_days)
    if moment > now:
        local = moment.astimezone(ZoneInfo(settings.timezone))
        return Decision("wait", f"waits for sending hours: {local.strftime('%a %Y-%m-%d %H:%M')} local", moment)
    return Decision("send")


def postponed(item: FollowUp, decision: Decision, now: datetime) -> FollowUp:
    assert decision.until is not None
    return replace(item, due_at=decision.until, reason=decision.reason, updated_at=now)


def choose_channel(kind: str, *, emails: list[str], phones: list[str], settings: OrgSettings) -> tuple[str, str] | None:
    """(channel, address): the channel the organisation named for this kind if the customer can
    be reached on it, else e-mail when there is one, else WhatsApp, else SMS (the order of
    ``channel_preference``). None: nobody to write to."""
    address = {"email": emails[0] if emails else None, "whatsapp": phones[0] if phones else None}
    address["sms"] = address["whatsapp"]
    named = settings.follow_up.channels.get(kind)  # type: ignore[call-overload]
    for channel in [named, *settings.follow_up.channel_preference]:
        if channel and address.get(channel):
            return channel, str(address[channel])
    return None


def template_for(item: FollowUp, now: datetime) -> str:
    """Check-ins within the refund window remind the customer that support is reachable, and until when."""
    if item.kind == "checkin":
        return "checkin_refund_window" if now < item.refund_until else "checkin"
    return item.kind


def product_name(order: OrderSnapshot, language: str) -> str:
    if order.lines <= 1:
        return order.first_product
    more = order.lines - 1
    return f"{order.first_product} و{more} غيره" if language == "ar" else f"{order.first_product} and {more} more"


def local_date(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).date().isoformat()
