"""The outbox: messages the system sends customers, and the texts of the automated ones.

A message has a ``kind`` (what it is for: ``order_confirmation``, later ``checkin``,
``review_request``, ``coupon``, ``bonus_material``, ``referral_request``, and ``scorecard``: a
rep's weekly scorecard, the one kind addressed to a rep, ``rep_id``, not to an account), a ``channel``
(sms, whatsapp, email), the ``template`` it was written from and the ``placeholders`` filled in,
so the follow-up work can add kinds without touching the sending machinery.

Status: ``queued`` -> ``sending`` (claimed by one sender, with the claim time) -> ``sent`` (with
the provider's id) or ``failed`` (with a reason a rep can read). A message still ``sending``
long after its claim was never confirmed sent: it ends ``failed`` and is NOT resent, because it
may well have reached the customer.

Every automated message says it is automated (DOMAIN.md section 4): the texts here start with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.domain.orders import ORDER_CLOSED

MessageKind = Literal[
    "order_confirmation", "checkin", "review_request", "coupon", "bonus_material", "referral_request", "scorecard"
]
MESSAGE_KINDS: tuple[str, ...] = (
    "order_confirmation",
    "checkin",
    "review_request",
    "coupon",
    "bonus_material",
    "referral_request",
    "scorecard",  # to a rep, not a customer: their weekly scorecard e-mail (account_id null, rep_id set)
)
CHANNELS: tuple[str, ...] = ("sms", "whatsapp", "email")
MessageStatus = Literal["queued", "sending", "sent", "failed", "skipped"]
# skipped: a planned follow-up that was not sent, and why (failure_reason): the order was refunded,
# returned or cancelled, the customer opted out, or there was nobody to write to.
MESSAGE_STATUSES: tuple[str, ...] = ("queued", "sending", "sent", "failed", "skipped")

# Longer than one delivery with its retries can take; a claim older than this is a crash.
SEND_TIMEOUT = timedelta(minutes=10)
NOT_CONFIRMED = "delivery not confirmed; not resent to avoid a duplicate"

AUTOMATED = {"ar": "رسالة آلية", "en": "Automated message"}


@dataclass(frozen=True)
class Text:
    body: str
    subject: str | None = None


# (template, language) -> text; placeholders in {braces}.
TEMPLATES: dict[tuple[str, str], Text] = {
    ("order_confirmation.sms", "ar"): Text(
        "رسالة آلية: طلبك رقم {order_ref} بقيمة {total} بانتظار تأكيدك. للتأكيد أو الإلغاء: {link}"
    ),
    ("order_confirmation.sms", "en"): Text(
        "Automated message: your order {order_ref} ({total}) awaits your confirmation. Confirm or cancel: {link}"
    ),
    ("order_confirmation.whatsapp", "ar"): Text(
        "رسالة آلية: مرحبًا، لم نتلق تأكيد طلبك رقم {order_ref} بقيمة {total} بعد. "
        "اضغط الرابط لتأكيده أو إلغائه: {link}\nللتحدث مع أحد فريقنا رد على هذه الرسالة."
    ),
    ("order_confirmation.whatsapp", "en"): Text(
        "Automated message: hello, we have not had your confirmation for order {order_ref} ({total}) yet. "
        "Confirm or cancel it here: {link}\nReply to this message to reach a person on our team."
    ),
    ("order_confirmation.email", "ar"): Text(
        "رسالة آلية.\n\nلم نتمكن من الوصول إليك لتأكيد طلبك رقم {order_ref} بقيمة {total}.\n"
        "إن كان رقم هاتفك قد تغير، رد على هذه الرسالة برقم نصل إليك عليه، "
        "أو رد بكلمة «إلغاء» لإلغاء الطلب. يقرأ أحد أعضاء فريقنا كل رد.\n",
        subject="رسالة آلية: تأكيد طلبك رقم {order_ref}",
    ),
    ("order_confirmation.email", "en"): Text(
        "Automated message.\n\nWe could not reach you to confirm your order {order_ref} ({total}).\n"
        "If your phone number has changed, reply to this e-mail with a number we can reach you on, "
        "or reply CANCEL to cancel the order. A person on our team reads every reply.\n",
        subject="Automated message: please confirm your order {order_ref}",
    ),
}


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:  # an unknown placeholder stays visible, never crashes
        return "{" + key + "}"


def render(template: str, language: str, placeholders: dict[str, str]) -> Text:
    text = TEMPLATES.get((template, language)) or TEMPLATES[(template, "en")]
    values = _Keep(placeholders)
    body = text.body.format_map(values)
    if not body.startswith(AUTOMATED.get(language, AUTOMATED["en"])) and not body.startswith(AUTOMATED["en"]):
        body = f"{AUTOMATED.get(language, AUTOMATED['en'])}: {body}"
    return Text(body, text.subject.format_map(values) if text.subject else None)


@dataclass
class Message:
    id: str
    org_id: str
    account_id: str | None  # the customer it goes to; None for a message to a rep (rep_id)
    kind: str
    channel: str
    template: str
    to: str
    body: str
    created_at: datetime
    send_at: datetime
    order_id: str | None = None
    placeholders: dict[str, str] = field(default_factory=dict)
    subject: str | None = None
    reply_to: str | None = None
    status: str = "queued"
    failure_reason: str | None = None
    provider_id: str | None = None
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    rep_id: str | None = None  # a message to a rep (the weekly scorecard) rather than a customer

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "channel": self.channel,
            "status": self.status,
            "order_id": self.order_id,
            "body": self.body[:500],
            "failure_reason": self.failure_reason,
        }


def new_message(
    *,
    message_id: str,
    org_id: str,
    account_id: str,
    order_id: str | None,
    kind: str,
    channel: str,
    template: str,
    language: str,
    placeholders: dict[str, str],
    to: str,
    now: datetime,
    reply_to: str | None = None,
) -> Message:
    text = render(template, language, placeholders)
    return Message(
        id=message_id,
        org_id=org_id,
        account_id=account_id,
        order_id=order_id,
        kind=kind,
        channel=channel,
        template=template,
        placeholders=dict(placeholders),
        to=to,
        subject=text.subject,
        reply_to=reply_to if channel == "email" else None,
        body=text.body,
        created_at=now,
        send_at=now,
        updated_at=now,
    )


def is_stuck(message: Message, now: datetime) -> bool:
    return message.status == "sending" and message.claimed_at is not None and now - message.claimed_at >= SEND_TIMEOUT


def obsolete_reason(kind: str, order_status: str | None) -> str | None:
    """Why a queued message about an order should not go out any more, or None to send it: a
    confirmation request once the order is no longer waiting for one, anything once it is closed."""
    if order_status is None:
        return None
    if kind == "order_confirmation" and order_status != "pending_confirmation":
        return f"not sent: the order was {order_status} before it went out"
    if order_status in ORDER_CLOSED:
        return f"not sent: the order is {order_status}"
    return None
