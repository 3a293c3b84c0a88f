"""The customer's confirmation page as a customer meets it: the real route of the real local stack
(`scripts.local_stack`), opened from the link a rep sees on the order, in headless Chromium."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from tests.browser.harness import Browser
from tests.browser.test_confirmation_page import CONFIRM, RESULT_HEADING
from tests.local_stack_process import running_stack

SECRET = "browser-secret-0123456789abcdef012345"


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    with running_stack(jwt_secret=SECRET, table="tawasul-browser") as base:
        yield base


def _call(stack: str, method: str, path: str, body: Any = None) -> Any:
    claims = {"sub": "browser-admin", "org": "browser", "role": "admin", "exp": int(time.time()) + 600}
    headers = {"Authorization": f"Bearer {jwt.encode(claims, SECRET, 'HS256')}"}
    response = requests.request(method, f"{stack}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def _pending_order(stack: str, language: str, phone: str) -> dict[str, Any]:
    account = _call(stack, "POST", "/accounts", {"name": f"عميل {language}", "phones": [phone], "language": language})
    order = _call(
        stack,
        "POST",
        "/orders",
        {
            "account_id": account["id"],
            "items": [
                {
                    "sku": "K-1",
                    "name": "كتاب الطبخ",
                    "quantity": 1,
                    "unit_price": {"amount": "120.00", "currency": "SAR"},
                }
            ],
            "payment": "cod",
            "delivery_address": {"line1": "ش. التحلية 5", "city": "جدة", "country": "SA"},
            "phone": phone,
        },
    )
    assert order["status"] == "pending_confirmation"
    return _call(stack, "GET", f"/orders/{order['id']}")


@pytest.mark.parametrize(("language", "phone"), [("ar", "0551110001"), ("en", "0551110002")])
def test_the_customer_confirms_through_the_real_page(browser: Browser, stack: str, language: str, phone: str):
    order = _pending_order(stack, language, phone)
    link = order["confirmation"]["url"]
    assert link.startswith(f"{stack}/orders/{order['id']}/confirm?token=")

    visit = browser.open(link)
    page = visit.page
    assert page.locator("html").get_attribute("lang") == language
    assert _call(stack, "GET", f"/orders/{order['id']}")["status"] == "pending_confirmation"  # GET changed nothing
    visit.screenshot(f"route-confirm-{language}")

    with page.expect_navigation():
        page.get_by_role("button", name=CONFIRM[language]).click()

    assert page.get_by_role("heading", level=1).inner_text() == RESULT_HEADING[language]
    visit.screenshot(f"route-result-{language}")
    confirmed = _call(stack, "GET", f"/orders/{order['id']}")
    assert (confirmed["status"], confirmed["confirmed_by"]) == ("confirmed", "customer")
    assert confirmed["confirmation"] is None  # no link once nothing waits for the customer
    assert visit.csp_violations() == [] and visit.page_errors == []
