"""The customer's confirmation, result and error pages as HTML: direction, escaping, CSP, buttons, masking."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from chalicelib.domain.confirmation_page import (
    CONTENT_SECURITY_POLICY,
    STYLE,
    ConfirmationView,
    PageLine,
    ResultView,
    mask_phone,
    render_confirmation,
    render_problem,
    render_result,
)

EVIL = "<script>alert(1)</script>"


class Page(HTMLParser):
    """The parts of a document the tests look at, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def view(**changes) -> ConfirmationView:
    base = {
        "language": "ar",
        "order_id": "01JDORDER",
        "lines": [PageLine("عطر العود", 2, "199.00 SAR", "398.00 SAR"), PageLine(EVIL, 1, "1.00 SAR", "1.00 SAR")],
        "total": "399.00 SAR",
        "masked_phone": "+9665•••••877",
        "status": "pending_confirmation",
        "token": "tok.en",
        "action_url": "",
    }
    base.update(changes)
    return ConfirmationView(**base)


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_language_sets_lang_and_direction(language, direction):
    for html in (
        render_confirmation(view(language=language)),
        render_result(ResultView(language, "o1", "confirmed", "confirmed")),
        render_problem(language, 410, "t", "d"),
    ):
        page = Page(html)
        assert page.all("html") == [{"lang": language, "dir": direction}]
        assert html.startswith("<!DOCTYPE html>")
        assert {"charset": "utf-8"} in page.all("meta")
        assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.all("meta")


def test_arabic_and_english_texts():
    ar = Page(render_confirmation(view(language="ar"))).plain
    en = Page(render_confirmation(view(language="en"))).plain
    assert "تأكيد الطلب" in ar and "إلغاء الطلب" in ar and "الإجمالي" in ar
    assert "Confirm order" in en and "Cancel order" in en and "Total" in en
    assert "Confirm order" not in ar and "تأكيد الطلب" not in en


def test_items_total_and_masked_phone_are_shown():
    page = Page(render_confirmation(view()))
    for fragment in ("عطر العود", "2", "199.00 SAR", "398.00 SAR", "399.00 SAR", "+9665•••••877", "01JDORDER"):
        assert fragment in page.plain


def test_values_from_the_order_are_inert():
    html = render_confirmation(
        view(
            order_id='"><img src=x onerror=alert(2)>',
            token='"><script>alert(3)</script>',
            action_url='/confirm?x="><script>',
            masked_phone="<b>+1</b>",
            total="<i>9</i>",
        )
    )
    page = Page(html)
    assert page.all("script") == [] and page.all("img") == [] and page.all("b") == [] and page.all("i") == []
    assert EVIL in page.plain  # shown as text, exactly as the shop named it
    (token,) = [a for a in page.all("input") if a.get("name") == "token"]
    assert token == {"type": "hidden", "name": "token", "value": '"><script>alert(3)</script>'}
    (form,) = page.all("form")
    assert form["action"] == '/confirm?x="><script>'
    assert "<script" not in html.replace("&lt;script", "")


def test_problem_and_result_pages_escape_too():
    page = Page(render_problem("en", 403, EVIL, "<img src=x>"))
    assert page.all("script") == [] and page.all("img") == []
    assert EVIL in page.plain and "<img src=x>" in page.plain and "403" in page.plain
    result = Page(render_result(ResultView("en", EVIL, "confirmed", "confirmed")))
    assert result.all("script") == [] and EVIL in result.plain


def test_the_csp_hash_is_the_hash_of_the_style_in_every_page():
    expected = "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"
    assert f"style-src {expected};" in CONTENT_SECURITY_POLICY
    for html in (
        render_confirmation(view()),
        render_confirmation(view(status="cancelled", language="en")),
        render_result(ResultView("ar", "o1", "too_late", "shipped")),
        render_problem("ar", 404, "x", "y"),
    ):
        page = Page(html)
        assert page.styles == [STYLE]  # byte-for-byte what was hashed: one <style>, nothing else inline
        assert all("style" not in attrs for _, attrs in page.tags)


def test_csp_is_strict():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", directives["style-src"])
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "script-src" not in CONTENT_SECURITY_POLICY


def test_no_external_assets():
    for html in (render_confirmation(view()), render_result(ResultView("en", "o", "cancelled", "cancelled"))):
        page = Page(html)
        assert not [t for t, a in page.tags if t in ("link", "script", "img", "iframe", "object", "embed")]
        assert not [a for _, a in page.tags if "src" in a or "href" in a]
    assert "url(" not in STYLE and "@import" not in STYLE and "@font-face" not in STYLE


def test_pending_order_has_one_form_posting_token_and_action():
    page = Page(render_confirmation(view()))
    assert page.all("form") == [{"method": "post", "aria-labelledby": "title"}]  # no action: posts to same URL
    assert page.all("input") == [{"type": "hidden", "name": "token", "value": "tok.en"}]
    buttons = page.all("button")
    assert [(b["type"], b["name"], b["value"]) for b in buttons] == [
        ("submit", "action", "confirm"),
        ("submit", "action", "cancel"),
    ]


def test_an_action_url_becomes_the_form_action():
    (form,) = Page(render_confirmation(view(action_url="/api/orders/o1/confirm"))).all("form")
    assert form["action"] == "/api/orders/o1/confirm"


@pytest.mark.parametrize(
    ("status", "language", "said"),
    [
        ("confirmed", "en", "This order is confirmed."),
        ("cancelled", "en", "This order is cancelled."),
        ("shipped", "ar", "حالة هذا الطلب: تم شحنه."),
        ("refunded", "ar", "حالة هذا الطلب: تم استرداد المبلغ."),
        ("some_new_state", "en", "This order is some new state."),
    ],
)
def test_no_buttons_once_the_order_is_not_pending(status, language, said):
    page = Page(render_confirmation(view(status=status, language=language)))
    assert page.all("form") == [] and page.all("button") == [] and page.all("input") == []
    assert said in page.plain
    assert "tok.en" not in render_confirmation(view(status=status, language=language))


@pytest.mark.parametrize(
    ("outcome", "status", "en", "ar"),
    [
        ("confirmed", "confirmed", "Order confirmed", "تم تأكيد الطلب"),
        ("cancelled", "cancelled", "Order cancelled", "تم إلغاء الطلب"),
        ("already_confirmed", "confirmed", "Already confirmed", "الطلب مؤكَّد مسبقًا"),
        ("already_cancelled", "cancelled", "This order was cancelled", "هذا الطلب ملغى"),
        ("too_late", "shipped", "This order can no longer be changed", "لم يعد بالإمكان تعديل هذا الطلب"),
    ],
)
def test_result_pages(outcome, status, en, ar):
    for language, heading in (("en", en), ("ar", ar)):
        page = Page(render_result(ResultView(language, "o1", outcome, status)))
        assert page.all("h1") == [{}]
        assert heading in page.plain and "o1" in page.plain
        assert page.all("form") == [] and page.all("button") == []
    assert "shipped" in Page(render_result(ResultView("en", "o1", "too_late", "shipped"))).plain


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+966559998877", "+9665•••••877"),
        ("+16505551234", "+165•••••234"),
        ("+201001234567", "+2010•••••567"),
        ("+٩٦٦٥٥٩٩٩٨٨٧٧", "+9665•••••877"),
        (None, None),
        ("", None),
    ],
)
def test_mask_phone_examples(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("length", range(1, 16))
def test_mask_phone_never_shows_more_than_the_last_three_digits(length):
    digits = "".join(str((7 * i + 3) % 10) for i in range(length))
    masked = mask_phone("+" + digits)
    assert masked is not None and masked.startswith("+")
    body = masked[1:]
    assert len(body) == length  # one mark per hidden digit
    hidden = body.count("•")
    assert hidden >= min(length, 3)
    tail = re.search(r"•(\d*)$", body)
    assert tail is not None and len(tail.group(1)) <= 3
    assert body.endswith(digits[length - len(tail.group(1)) :]) if tail.group(1) else True
    # what shows before the marks is the start of the number (country code), never its end
    lead = body.split("•", 1)[0]
    assert digits.startswith(lead) and len(lead) <= 4
