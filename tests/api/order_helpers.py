"""Small builders shared by the order API tests."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

ADDRESS = {"line1": "شارع التحلية، عمارة ١٢", "city": "جدة", "country": "SA"}


def order_body(account_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": account_id,
        "items": [
            {"sku": "TEA-1", "name": "شاي أخضر", "quantity": 2, "unit_price": {"amount": "19.50", "currency": "SAR"}},
            {"sku": "CUP-1", "name": "كوب", "quantity": 1, "unit_price": {"amount": "5", "currency": "SAR"}},
        ],
        "payment": "cod",
        "delivery_address": ADDRESS,
        "phone": "0559998877",
        "email": "Buyer@Example.com",
    }
    body.update(overrides)
    return body


def place(api: Api, account_id: str, **kw: Any) -> dict[str, Any]:
    r = api.call("POST", "/orders", order_body(account_id, **kw.pop("body", {})), **kw)
    assert r.status == 201, r.raw
    return dict(r.json)


def event(api: Api, order_id: str, kind: str, **kw: Any) -> Any:
    return api.call("POST", f"/orders/{order_id}/events", {"type": kind}, **kw)
