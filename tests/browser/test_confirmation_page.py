"""The confirmation page in headless Chromium: both languages load under the strict CSP without a
violation, Confirm POSTs the token back, and the result page follows. Screenshots of every page go to
``tests/browser/artifacts/`` on each run.

The page is served here by a tiny stdlib HTTP server with the headers the real route sends; the
``browser`` fixture takes any URL, so the same steps can be pointed at the running API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain.confirmation_page import (
    CONTENT_SECURITY_POLICY,
    STYLE,
    ConfirmationView,
    Language,
    PageLine,
    ResultView,
    mask_phone,
    render_confirmation,
    render_problem,
    render_result,
)
from tests.browser.harness import Browser

TOKEN = "v1.01JDORDER0000000000000000.1764700000.c2lnbmF0dXJl"
ORDER_ID = "01JDORDER0000000000000000"
LINES = {
    "ar": [
        PageLine("عطر العود الملكي ١٠٠ مل", 1, "349.00 SAR", "349.00 SAR"),
        PageLine("مبخرة نحاسية", 2, "75.50 SAR", "151.00 SAR"),
        PageLine("<script>alert(1)</script>", 1, "0.00 SAR", "0.00 SAR"),
    ],
    "en": [
        PageLine("Royal oud perfume 100 ml", 1, "349.00 SAR", "349.00 SAR"),
        PageLine("Brass incense burner", 2, "75.50 SAR", "151.00 SAR"),
        PageLine("<script>alert(1)</script>", 1, "0.00 SAR", "0.00 SAR"),
    ],
}
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class PageServer:
    """Serves ``GET/POST /orders/{id}/confirm`` like the real route, and keeps every POST it got."""

    base_url: str = ""
    posts: list[dict[str, list[str]]] = field(default_factory=list)
    status: str = "pending_confirmation"
    extra_html: str = ""  # lets a test plant something the CSP must block

    def confirm_url(self, language: Language) -> str:
        return f"{self.base_url}/orders/{ORDER_ID}/confirm?token={TOKEN}&lang={language}"


def _handler(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def _language(self) -> Language:
            return "en" if parse_qs(urlsplit(self.path).query).get("lang") == ["en"] else "ar"

        def _answer(self, html: str) -> None:
            body = html.replace("</main>", server.extra_html + "</main>").encode("utf-8")
            self.send_response(200)
            for name, value in HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            language = self._language()
            if urlsplit(self.path).path == "/problem":
                title, detail = PROBLEM[language]
                self._answer(render_problem(language, 410, title, detail))
                return
            view = ConfirmationView(
                language=language,
                order_id=ORDER_ID,
                lines=LINES[language],
                total="500.00 SAR",
                masked_phone=mask_phone("+966559998877"),
                status=server.status,
                token=TOKEN,
                action_url="",
            )
            self._answer(render_confirmation(view))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            fields = parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
            server.posts.append(fields)
            action = fields.get("action", [""])[0]
            server.status = "confirmed" if action == "confirm" else "cancelled"
            outcome = "confirmed" if action == "confirm" else "cancelled"
            self._answer(render_result(ResultView(self._language(), ORDER_ID, outcome, server.status)))

    return Handler


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    state = PageServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


PROBLEM = {
    "ar": ("انتهت صلاحية الرابط", "هذا الرابط لم يعد صالحًا. تواصل مع المتجر ليرسل إليك رابطًا جديدًا."),
    "en": ("This link has expired", "This link is no longer valid. Contact the shop to get a new one."),
}
CONFIRM = {"ar": "تأكيد الطلب", "en": "Confirm order"}
CANCEL = {"ar": "إلغاء الطلب", "en": "Cancel order"}
RESULT_HEADING = {"ar": "تم تأكيد الطلب", "en": "Order confirmed"}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_customer_confirms_the_order_in_a_real_browser(browser: Browser, page_server: PageServer, language: Language):
    visit = browser.open(page_server.confirm_url(language))
    page = visit.page

    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert html.evaluate("e => getComputedStyle(e).direction") == ("rtl" if language == "ar" else "ltr")
    # the item named like a script is shown as text and never ran
    assert page.get_by_text("<script>alert(1)</script>", exact=True).count() == 1
    assert page.locator("script").count() == 0
    assert page.get_by_text("+9665•••••877").is_visible()

    confirm = page.get_by_role("button", name=CONFIRM[language])
    cancel = page.get_by_role("button", name=CANCEL[language])
    assert confirm.is_visible() and cancel.is_visible()
    # The inline style was applied (its hash is in the CSP): a thumb-sized green Confirm button.
    box = confirm.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 300
    assert confirm.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    visit.screenshot(f"confirm-{language}")

    with page.expect_navigation():
        confirm.click()

    assert page_server.posts == [{"token": [TOKEN], "action": ["confirm"]}]
    assert page.get_by_role("heading", level=1).inner_text() == RESULT_HEADING[language]
    assert page.get_by_role("button").count() == 0
    visit.screenshot(f"result-{language}")

    assert visit.csp_violations() == []
    assert visit.dialogs == [] and visit.page_errors == []


def test_cancel_posts_cancel(browser: Browser, page_server: PageServer):
    visit = browser.open(page_server.confirm_url("en"))
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name=CANCEL["en"]).click()
    assert page_server.posts == [{"token": [TOKEN], "action": ["cancel"]}]
    assert visit.page.get_by_role("heading", level=1).inner_text() == "Order cancelled"
    assert visit.csp_violations() == []


def test_once_confirmed_the_page_offers_no_buttons(browser: Browser, page_server: PageServer):
    page_server.status = "confirmed"
    visit = browser.open(page_server.confirm_url("ar"))
    assert visit.page.get_by_role("button").count() == 0
    assert visit.page.get_by_role("status").inner_text() == "حالة هذا الطلب: مؤكَّد. لا يوجد ما يلزم تأكيده."
    visit.screenshot("already-confirmed-ar")
    assert visit.csp_violations() == []


def test_the_harness_sees_what_the_csp_blocks(browser: Browser, page_server: PageServer):
    # A style the hash does not cover and a script: the CSP must refuse both, and the harness must notice.
    page_server.extra_html = '<style>body{background:red}</style><script>alert("injected")</script>'
    visit = browser.open(page_server.confirm_url("en"))
    violations = visit.csp_violations()
    assert any("style" in v for v in violations) and any("script" in v for v in violations), visit.console
    assert visit.dialogs == []
    assert visit.page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert STYLE  # the page's own style still applied:
    assert visit.page.get_by_role("button", name=CONFIRM["en"]).bounding_box()["height"] >= 48


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_error_page_renders_under_the_csp(browser: Browser, page_server: PageServer, language: Language):
    visit = browser.open(f"{page_server.base_url}/problem?lang={language}")
    assert visit.page.get_by_role("heading", level=1).inner_text() == PROBLEM[language][0]
    assert visit.page.locator("html").evaluate("e => getComputedStyle(e).direction") == (
        "rtl" if language == "ar" else "ltr"
    )
    visit.screenshot(f"problem-{language}")
    assert visit.csp_violations() == [] and visit.page_errors == []
