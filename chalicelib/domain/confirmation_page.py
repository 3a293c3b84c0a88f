"""The customer's order-confirmation page (HTML), as pure functions.

MINIMAL STAND-IN written by the ``orders`` branch so its routes and tests run: plain HTML with
the documented structure (see prompts/interfaces.md). The ``messaging`` branch owns the real
page (mobile-first design, Chromium test); the integrator takes that version at merge. Keep the
names and signatures exactly as documented.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from typing import Literal

Language = Literal["ar", "en"]

_STYLE = "body{font-family:sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem}button{font-size:1.1rem}"
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class PageLine:
    name: str
    quantity: int
    unit_price: str
    line_total: str


@dataclass(frozen=True)
class ConfirmationView:
    language: Language
    order_id: str
    lines: list[PageLine]
    total: str
    masked_phone: str | None
    status: str
    token: str
    action_url: str


Outcome = Literal["confirmed", "cancelled", "already_confirmed", "already_cancelled", "too_late"]


@dataclass(frozen=True)
class ResultView:
    language: Language
    order_id: str
    outcome: Outcome
    status: str


_TEXT = {
    "ar": {
        "title": "تأكيد الطلب",
        "order": "الطلب",
        "total": "الإجمالي",
        "phone": "الهاتف",
        "confirm": "تأكيد الطلب",
        "cancel": "إلغاء الطلب",
        "status": "حالة الطلب",
        "confirmed": "تم تأكيد طلبك. شكرًا لك.",
        "cancelled": "تم إلغاء طلبك.",
        "already_confirmed": "طلبك مؤكد من قبل.",
        "already_cancelled": "هذا الطلب ملغى ولا يمكن تأكيده.",
        "too_late": "لم يعد بالإمكان تغيير هذا الطلب.",
    },
    "en": {
        "title": "Confirm your order",
        "order": "Order",
        "total": "Total",
        "phone": "Phone",
        "confirm": "Confirm order",
        "cancel": "Cancel order",
        "status": "Order status",
        "confirmed": "Your order is confirmed. Thank you.",
        "cancelled": "Your order is cancelled.",
        "already_confirmed": "Your order was already confirmed.",
        "already_cancelled": "This order is cancelled and cannot be confirmed.",
        "too_late": "This order can no longer be changed.",
    },
}


def _page(language: Language, title: str, body: str) -> str:
    direction = "rtl" if language == "ar" else "ltr"
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def render_confirmation(view: ConfirmationView) -> str:
    t = _TEXT[view.language]
    rows = "".join(
        f"<tr><td>{escape(line.name)}</td><td>{line.quantity}</td><td>{escape(line.unit_price)}</td>"
        f"<td>{escape(line.line_total)}</td></tr>"
        for line in view.lines
    )
    parts = [
        f"<h1>{t['title']}</h1><p>{t['order']} {escape(view.order_id)}</p>",
        f"<table>{rows}</table><p>{t['total']}: {escape(view.total)}</p>",
    ]
    if view.masked_phone:
        parts.append(f'<p>{t["phone"]}: <span dir="ltr">{escape(view.masked_phone)}</span></p>')
    if view.status == "pending_confirmation":
        parts.append(
            f'<form method="post" action="{escape(view.action_url)}">'
            f'<input type="hidden" name="token" value="{escape(view.token)}">'
            f'<button type="submit" name="action" value="confirm">{t["confirm"]}</button> '
            f'<button type="submit" name="action" value="cancel">{t["cancel"]}</button></form>'
        )
    else:
        parts.append(f"<p>{t['status']}: <strong>{escape(view.status)}</strong></p>")
    return _page(view.language, t["title"], "".join(parts))


def render_result(view: ResultView) -> str:
    t = _TEXT[view.language]
    body = f"<h1>{t['title']}</h1><p>{t['order']} {escape(view.order_id)}</p><p>{t[view.outcome]}</p>"
    return _page(view.language, t["title"], body)


def render_problem(language: Language, status: int, title: str, detail: str) -> str:
    return _page(language, title, f"<h1>{escape(title)}</h1><p>{escape(detail)}</p><p>{status}</p>")


def mask_phone(e164: str | None) -> str | None:
    if not e164:
        return None
    keep_start, keep_end = 5, 3
    if len(e164) <= keep_start + keep_end:
        return e164[:2] + "•" * max(len(e164) - 2, 0)
    return e164[:keep_start] + "•" * (len(e164) - keep_start - keep_end) + e164[-keep_end:]
