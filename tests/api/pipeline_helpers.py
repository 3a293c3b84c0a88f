"""Small builders shared by the pipeline API tests."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def account(api: Api, name: str = "شركة الأمل", **kw: Any) -> str:
    r = api.call("POST", "/accounts", {"name": name, **kw.pop("body", {})}, **kw)
    assert r.status == 201, r.raw
    return str(r.json["id"])


def lead(api: Api, account_id: str, title: str = "عرض توريد", **kw: Any) -> dict[str, Any]:
    body = {"account_id": account_id, "title": title, **kw.pop("body", {})}
    r = api.call("POST", "/leads", body, **kw)
    assert r.status == 201, r.raw
    return dict(r.json)


def move(api: Api, lead_id: str, stage: str, **kw: Any) -> Any:
    return api.call("POST", f"/leads/{lead_id}/stage", {"stage": stage, **kw.pop("body", {})}, **kw)


def won_lead(api: Api, name: str = "شركة الأمل", **kw: Any) -> dict[str, Any]:
    acc = account(api, name, **kw)
    created = lead(api, acc, **kw)
    assert move(api, created["id"], "closing", **kw).status == 200
    r = move(api, created["id"], "follow_up", **kw)
    assert r.status == 200, r.raw
    return dict(r.json)
