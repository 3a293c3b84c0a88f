"""The customer's order-confirmation page, its result page and its error page (HTML, Arabic or English).

A customer opens the link from an SMS or WhatsApp message on a phone, often on a slow network, so
the page is one small HTML5 document: no scripts, no fonts, images or styles from elsewhere. Its one
inline style sheet is allowed by its sha256 hash in a strict Content-Security-Policy, so an injected
``<script>`` or ``<style>`` would not run even if escaping ever failed. Every value from the order is
escaped. Arabic pages are right-to-left; numbers, prices and phone numbers are isolated (``<bdi>``)
so they keep their left-to-right order inside Arabic text. Buttons are full-width and at least 48 px
high (a thumb, not a mouse pointer), text is 17 px in the phone's own font, which covers Arabic.

``GET`` shows the page and changes nothing (link previews open links by themselves); the one form
POSTs ``token`` and ``action`` (``confirm`` or ``cancel``) back to the same URL.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from typing import Literal

Language = Literal["ar", "en"]
Outcome = Literal["confirmed", "cancelled", "already_confirmed", "already_cancelled", "too_late"]
PENDING = "pending_confirmation"
MASK = "\u2022"  # •

STYLE = """
:root{color-scheme:light}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#1b1f24;font:17px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,\
"Noto Sans Arabic","Noto Sans","Geeza Pro",Tahoma,"DejaVu Sans",Arial,sans-serif}
main{max-width:32rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d8dce1;border-radius:12px;padding:1.25rem}
h1{font-size:1.4rem;line-height:1.35;margin:0 0 .5rem}
h2{font-size:1rem;margin:1.25rem 0 0}
p{margin:.5rem 0}
.muted{color:#4a525c}
.items{list-style:none;margin:1rem 0 0;padding:0;border-top:1px solid #d8dce1}
.items li{display:grid;grid-template-columns:1fr auto;gap:.25rem 1rem;padding:.75rem 0;\
border-bottom:1px solid #d8dce1}
.name{font-weight:600;grid-column:1/-1;overflow-wrap:anywhere}
.sum{text-align:end;align-self:end}
.items bdi{white-space:nowrap}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);\
white-space:nowrap;border:0}
.total{display:flex;justify-content:space-between;gap:1rem;font-size:1.15rem;font-weight:700;margin:1rem 0}
.facts{margin:1rem 0;padding:0}
.facts div{display:flex;justify-content:space-between;gap:1rem;padding:.25rem 0}
.facts dt{color:#4a525c}
.facts dt{flex:none}
.facts dd{margin:0;font-weight:600;min-width:0;overflow-wrap:anywhere;text-align:end}
.facts .ref{font-weight:400;font-size:.9rem}
form{display:grid;gap:.75rem;margin-top:1.25rem}
button{font:inherit;font-weight:700;min-height:48px;width:100%;padding:.75rem 1rem;border-radius:10px;\
cursor:pointer;border:2px solid transparent}
.confirm{background:#0b6e4f;color:#fff}
.confirm:hover{background:#095c42}
.cancel{background:#fff;color:#a4262c;border-color:#a4262c}
.cancel:hover{background:#fdf2f2}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:3px}
.status{border-radius:10px;padding:.75rem 1rem;margin:1rem 0;background:#eef1f4;font-weight:600}
.mark{font-size:2rem;line-height:1;margin:0 0 .5rem}
.ok{color:#0b6e4f}
.stop{color:#a4262c}
.note{font-size:.9rem;color:#4a525c;margin-top:1.25rem}
"""


def _csp_hash(style: str) -> str:
    digest = hashlib.sha256(style.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


STYLE_HASH = _csp_hash(STYLE)
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {STYLE_HASH}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class PageLine:
    name: str
    quantity: int
    unit_price: str  # already formatted, e.g. "199.00 SAR"
    line_total: str


@dataclass(frozen=True)
class ConfirmationView:
    language: Language
    order_id: str
    lines: list[PageLine]
    total: str  # formatted
    masked_phone: str | None  # e.g. "+9665•••••877"
    status: str  # the order's status now (pending_confirmation, confirmed, cancelled, ...)
    token: str  # goes into hidden input name="token"
    action_url: str  # form action; "" means post back to the same URL


@dataclass(frozen=True)
class ResultView:
    language: Language
    order_id: str
    outcome: Outcome
    status: str


_TEXT: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Confirm your order",
        "title_done": "Your order",
        "intro": "Please check your order and confirm it so the shop can send it. "
        "If you did not order this, cancel it.",
        "order": "Order",
        "items": "Items",
        "quantity": "Quantity",
        "total": "Total",
        "phone": "Phone",
        "confirm": "Confirm order",
        "cancel": "Cancel order",
        "not_pending": "This order is {status}. There is nothing to confirm.",
        "status": "Status",
        "automated": "This page was sent to you automatically by the shop to confirm your order.",
        "error": "Error {code}",
    },
    "ar": {
        "title": "تأكيد طلبك",
        "title_done": "طلبك",
        "intro": "يرجى مراجعة طلبك وتأكيده ليتمكن المتجر من إرساله. إن لم تطلب ذلك، يمكنك إلغاء الطلب.",
        "order": "رقم الطلب",
        "items": "المنتجات",
        "quantity": "الكمية",
        "total": "الإجمالي",
        "phone": "رقم الهاتف",
        "confirm": "تأكيد الطلب",
        "cancel": "إلغاء الطلب",
        "not_pending": "حالة هذا الطلب: {status}. لا يوجد ما يلزم تأكيده.",
        "status": "الحالة",
        "automated": "أُرسلت إليك هذه الصفحة تلقائيًا من المتجر لتأكيد طلبك.",
        "error": "رمز الخطأ {code}",
    },
}

_STATUS: dict[Language, dict[str, str]] = {
    "en": {
        PENDING: "waiting for your confirmation",
        "confirmed": "confirmed",
        "cancelled": "cancelled",
        "shipped": "shipped",
        "delivered": "delivered",
        "refused": "refused at delivery",
        "returned": "returned",
        "refunded": "refunded",
        "paid": "paid",
    },
    "ar": {
        PENDING: "بانتظار تأكيدك",
        "confirmed": "مؤكَّد",
        "cancelled": "ملغى",
        "shipped": "تم شحنه",
        "delivered": "تم تسليمه",
        "refused": "رُفض عند التسليم",
        "returned": "مُرتجَع",
        "refunded": "تم استرداد المبلغ",
        "paid": "مدفوع",
    },
}

# outcome -> (mark, mark class, heading, text)
_OUTCOME: dict[Language, dict[Outcome, tuple[str, str, str, str]]] = {
    "en": {
        "confirmed": (
            "✓",
            "ok",
            "Order confirmed",
            "Thank you. Your order is confirmed and will be prepared for delivery.",
        ),
        "cancelled": ("✕", "stop", "Order cancelled", "Your order has been cancelled and will not be delivered."),
        "already_confirmed": ("✓", "ok", "Already confirmed", "This order was already confirmed. Nothing more to do."),
        "already_cancelled": (
            "✕",
            "stop",
            "This order was cancelled",
            "This order was already cancelled, so it can no longer be confirmed. "
            "If you still want it, please place a new order.",
        ),
        "too_late": (
            "!",
            "stop",
            "This order can no longer be changed",
            "The order is {status} now, so it cannot be confirmed or cancelled here. Please contact the shop.",
        ),
    },
    "ar": {
        "confirmed": ("✓", "ok", "تم تأكيد الطلب", "شكرًا لك. تم تأكيد طلبك وسيتم تجهيزه للتوصيل."),
        "cancelled": ("✕", "stop", "تم إلغاء الطلب", "تم إلغاء طلبك ولن يتم توصيله."),
        "already_confirmed": ("✓", "ok", "الطلب مؤكَّد مسبقًا", "تم تأكيد هذا الطلب من قبل، ولا يلزم أي إجراء آخر."),
        "already_cancelled": (
            "✕",
            "stop",
            "هذا الطلب ملغى",
            "تم إلغاء هذا الطلب من قبل، لذا لم يعد بالإمكان تأكيده. إن كنت ما زلت ترغب فيه، يرجى تقديم طلب جديد.",
        ),
        "too_late": (
            "!",
            "stop",
            "لم يعد بالإمكان تعديل هذا الطلب",
            "حالة الطلب الآن: {status}، لذا لا يمكن تأكيده أو إلغاؤه من هنا. يرجى التواصل مع المتجر.",
        ),
    },
}


def status_label(language: Language, status: str) -> str:
    return _STATUS[language].get(status, status.replace("_", " "))


def mask_phone(e164: str | None) -> str | None:
    """``+966559998877`` -> ``+9665•••••877``: the country code and the next digit (which network),
    and at most the last 3 digits; at least 3 digits always hidden, whatever the length."""
    if not e164:
        return None
    digits = [str(int(ch)) for ch in e164 if ch.isdecimal()]  # Arabic-Indic digits count too
    if not digits:
        return None
    plus = "+" if e164.strip().startswith("+") else ""
    count = len(digits)
    tail = min(3, max(0, count - 3))
    lead = min(4, max(0, count - tail - 5))
    hidden = count - lead - tail
    return plus + "".join(digits[:lead]) + MASK * hidden + "".join(digits[count - tail :])


def _document(language: Language, title: str, body: str) -> str:
    direction = "rtl" if language == "ar" else "ltr"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}" dir="{direction}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="color-scheme" content="light">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        f'<main>\n<div class="card">\n{body}</div>\n</main>\n'
        "</body>\n"
        "</html>\n"
    )


def _lang(language: str) -> Language:
    return "ar" if language == "ar" else "en"


def render_confirmation(view: ConfirmationView) -> str:
    language = _lang(view.language)
    text = _TEXT[language]
    pending = view.status == PENDING
    title = text["title"] if pending else text["title_done"]
    parts = [f'<h1 id="title">{escape(title)}</h1>\n']
    if pending:
        parts.append(f'<p class="muted">{escape(text["intro"])}</p>\n')
    parts.append('<dl class="facts">\n')
    parts.append(
        f'<div><dt>{escape(text["order"])}</dt><dd class="ref"><bdi>{escape(view.order_id)}</bdi></dd></div>\n'
    )
    if view.masked_phone:
        parts.append(
            f'<div><dt>{escape(text["phone"])}</dt><dd><bdi dir="ltr">{escape(view.masked_phone)}</bdi></dd></div>\n'
        )
    parts.append("</dl>\n")
    parts.append(f'<h2 class="muted" id="items">{escape(text["items"])}</h2>\n')
    parts.append('<ul class="items" aria-labelledby="items">\n')
    for line in view.lines:
        parts.append(
            "<li>"
            f'<span class="name">{escape(line.name)}</span>'
            f'<span class="muted"><span class="vh">{escape(text["quantity"])}: </span>'
            f"<bdi>{int(line.quantity)}</bdi> × "
            f"<bdi>{escape(line.unit_price)}</bdi></span>"
            f'<span class="sum"><bdi>{escape(line.line_total)}</bdi></span>'
            "</li>\n"
        )
    parts.append("</ul>\n")
    parts.append(f'<p class="total"><span>{escape(text["total"])}</span><bdi>{escape(view.total)}</bdi></p>\n')
    if pending:
        action = f' action="{escape(view.action_url, quote=True)}"' if view.action_url else ""
        parts.append(
            f'<form method="post"{action} aria-labelledby="title">\n'
            f'<input type="hidden" name="token" value="{escape(view.token, quote=True)}">\n'
            f'<button type="submit" name="action" value="confirm" class="confirm">{escape(text["confirm"])}</button>\n'
            f'<button type="submit" name="action" value="cancel" class="cancel">{escape(text["cancel"])}</button>\n'
            "</form>\n"
        )
    else:
        message = text["not_pending"].format(status=status_label(language, view.status))
        parts.append(f'<p class="status" role="status">{escape(message)}</p>\n')
    parts.append(f'<p class="note">{escape(text["automated"])}</p>\n')
    return _document(language, title, "".join(parts))


def render_result(view: ResultView) -> str:
    language = _lang(view.language)
    text = _TEXT[language]
    mark, tone, heading, message = _OUTCOME[language][view.outcome]
    status = status_label(language, view.status)
    body = (
        f'<p class="mark {tone}" aria-hidden="true">{mark}</p>\n'
        f"<h1>{escape(heading)}</h1>\n"
        f'<p role="status">{escape(message.format(status=status))}</p>\n'
        '<dl class="facts">\n'
        f'<div><dt>{escape(text["order"])}</dt><dd class="ref"><bdi>{escape(view.order_id)}</bdi></dd></div>\n'
        f"<div><dt>{escape(text['status'])}</dt><dd>{escape(status)}</dd></div>\n"
        "</dl>\n"
        f'<p class="note">{escape(text["automated"])}</p>\n'
    )
    return _document(language, heading, body)


def render_problem(language: Language, status: int, title: str, detail: str) -> str:
    lang = _lang(language)
    body = (
        '<p class="mark stop" aria-hidden="true">!</p>\n'
        f"<h1>{escape(title)}</h1>\n"
        f"<p>{escape(detail)}</p>\n"
        f'<p class="note">{escape(_TEXT[lang]["error"].format(code=int(status)))}</p>\n'
    )
    return _document(lang, title, body)


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "ConfirmationView",
    "Language",
    "Outcome",
    "PageLine",
    "ResultView",
    "STYLE",
    "mask_phone",
    "render_confirmation",
    "render_problem",
    "render_result",
    "status_label",
]
