"""The public confirmation page behind the link in the ladder's SMS and WhatsApp messages.

``GET`` shows the order and never changes anything (link previews and mail scanners open links
by themselves); the page's buttons ``POST`` the token back. No bearer token: the signed,
expiring token in the link is the credential. Errors are pages too (never a 500).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.http import FORM_BODY, Call, QueryParam, Result, endpoint
from chalicelib.api.lazy import service
from chalicelib.domain import confirm_token
from chalicelib.domain.confirmation_page import (
    CONTENT_SECURITY_POLICY,
    ConfirmationView,
    Language,
    PageLine,
    ResultView,
    mask_phone,
    render_confirmation,
    render_problem,
    render_result,
)
from chalicelib.domain.errors import NotFound, Unavailable
from chalicelib.domain.orders import Order, format_amount, reference

if TYPE_CHECKING:
    from chalicelib.services import confirmation
else:  # imported on the first call (cold start)
    confirmation = service("confirmation")

bp = Blueprint(__name__)
TAGS = ["confirmation page"]
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ERRORS = {
    "rejected": (403, {"ar": "رابط غير صالح", "en": "Invalid link"}, {
        "ar": "هذا الرابط غير صالح لهذا الطلب.", "en": "This link is not valid for this order."}),
    "expired": (410, {"ar": "انتهت صلاحية الرابط", "en": "Link expired"}, {
        "ar": "انتهت صلاحية رابط التأكيد. تواصل مع المتجر.",
        "en": "This confirmation link has expired; please contact the shop."}),
    "missing": (404, {"ar": "الطلب غير موجود", "en": "Order not found"}, {
        "ar": "لم نعد نجد هذا الطلب.", "en": "We cannot find this order any more."}),
    "action": (422, {"ar": "طلب غير مفهوم", "en": "Unknown action"}, {
        "ar": "اختر تأكيد الطلب أو إلغاءه.", "en": "Choose to confirm or to cancel the order."}),
    "unavailable": (503, {"ar": "الخدمة غير متاحة", "en": "Unavailable"}, {
        "ar": "لا يمكن تأكيد الطلبات الآن.", "en": "Orders cannot be confirmed right now."}),
}  # fmt: skip


def _language(order: Order | None, call: Call) -> Language:
    if order is not None and order.language in ("ar", "en"):
        return order.language  # type: ignore[return-value]
    accept = (call.headers.get("accept-language") or "").lower()
    return "en" if accept.startswith("en") else "ar"


def _wants_json(call: Call) -> bool:
    accept = (call.headers.get("accept") or "").lower()
    return "application/json" in accept and "text/html" not in accept


def _problem(call: Call, key: str, detail: str | None = None) -> Result:
    status, titles, details = ERRORS[key]
    language = _language(None, call)
    if _wants_json(call):
        body = {
            "type": f"urn:tawasul:problem:confirmation-{key}",
            "title": titles["en"],
            "status": status,
            "detail": detail or details["en"],
        }
        return Result(body, status, {"Content-Type": "application/problem+json", "Cache-Control": "no-store"})
    return Result(render_problem(language, status, titles[language], details[language]), status, dict(PAGE_HEADERS))


def _guarded(call: Call, work: Any) -> Result:
    """Run ``work``; a bad token, a vanished order or a missing secret become error pages."""
    try:
        result: Result = work()
        return result
    except confirm_token.TokenExpired:
        return _problem(call, "expired")
    except confirm_token.TokenRejected:
        return _problem(call, "rejected")
    except NotFound:
        return _problem(call, "missing")
    except Unavailable as error:
        return _problem(call, "unavailable", error.detail)


def _view(order: Order, token: str) -> ConfirmationView:
    def money(amount: Any) -> str:
        return f"{format_amount(amount, order.currency)} {order.currency}"

    return ConfirmationView(
        language=order.language,  # type: ignore[arg-type]
        order_id=reference(order.id),  # the reference the SMS and WhatsApp messages name
        lines=[PageLine(line.name, line.quantity, money(line.unit_price), money(line.total())) for line in order.items],
        total=money(order.total),
        masked_phone=mask_phone(order.phone),
        status=order.status,
        token=token,
        action_url="",
    )


@endpoint(
    bp,
    "/orders/{order_id}/confirm",
    summary="The customer's confirmation page (HTML, Arabic or English): the order's items, total and masked "
    "phone, with Confirm and Cancel buttons that POST the token back. Never changes anything. A forged, "
    "tampered or foreign token is a 403 page, an expired one 410",
    tags=TAGS,
    public=True,
    query=[QueryParam("token", "the signed token from the link", required=True)],
    errors=[403, 404, 410, 503],
    page=True,
)
def show_page(call: Call) -> Result:
    token = call.query.get("token") or ""

    def work() -> Result:
        order = confirmation.open_order(call.path["order_id"], token)
        if _wants_json(call):
            return Result({"order_id": order.id, "status": order.status}, 200, {"Cache-Control": "no-store"})
        return Result(render_confirmation(_view(order, token)), 200, dict(PAGE_HEADERS))

    return _guarded(call, work)


@endpoint(
    bp,
    "/orders/{order_id}/confirm",
    "POST",
    summary="Confirm or cancel from the page: token and action (confirm or cancel) as an HTML form or JSON. "
    "Answers a result page, or JSON {order_id, status, outcome} with Accept: application/json. Confirming twice "
    "is harmless; confirming a cancelled order (or changing a shipped one) says so with a 409 (a page, or "
    "problem+json with outcome and order_status)",
    tags=TAGS,
    public=True,
    body=FORM_BODY,
    errors=[403, 404, 409, 410, 503],
    page=True,
)
def answer_page(call: Call) -> Result:
    fields = call.body if isinstance(call.body, dict) else {}
    token, action = str(fields.get("token") or ""), str(fields.get("action") or "")

    def work() -> Result:
        if action not in ("confirm", "cancel"):
            confirmation.open_order(call.path["order_id"], token)  # a bad token is still said first
            return _problem(call, "action")
        answer = confirmation.answer(call.path["order_id"], token, action)
        status = 409 if answer.refused else 200
        order = answer.order
        if _wants_json(call) and answer.refused:
            problem = {
                "type": "urn:tawasul:problem:invalid-transition",
                "title": "Transition not allowed",
                "status": 409,
                "detail": f"The order is {order.status}; it cannot be {action}ed now.",
                "order_id": order.id,
                "order_status": order.status,
                "outcome": answer.outcome,
            }
            return Result(problem, 409, {"Content-Type": "application/problem+json", "Cache-Control": "no-store"})
        if _wants_json(call):
            body = {"order_id": order.id, "status": order.status, "outcome": answer.outcome}
            return Result(body, status, {"Cache-Control": "no-store"})
        view = ResultView(order.language, reference(order.id), answer.outcome, order.status)  # type: ignore[arg-type]
        return Result(render_result(view), status, dict(PAGE_HEADERS))

    return _guarded(call, work)
