"""The public confirmation page: signed links, GET changes nothing, POST confirms or cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import messaging
from chalicelib.config import DEFAULT_CONFIRM_SECRET
from chalicelib.domain import confirm_token
from chalicelib.domain.confirmation_page import CONTENT_SECURITY_POLICY, status_label
from chalicelib.domain.timeutil import format_rfc3339
from chalicelib.jobs import JOBS
from tests.api.order_helpers import event, place
from tests.api.pipeline_helpers import account

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_ACCEPT = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0))
    messaging.clear_recorded()
    yield
    messaging.clear_recorded()


def token_for(order_id: str, org: str = "org-a", expires: datetime | None = None) -> str:
    return confirm_token.issue(DEFAULT_CONFIRM_SECRET.encode(), org, order_id, expires or T0 + timedelta(days=3))


def page(api, order_id: str, token: str, headers=None):
    return api.call("GET", f"/orders/{order_id}/confirm?token={token}", auth=False, headers=headers)


def post(api, order_id: str, token: str, action: str, headers=None):
    raw = f"token={token}&action={action}"
    return api.call("POST", f"/orders/{order_id}/confirm", raw=raw, auth=False, headers={**FORM, **(headers or {})})


def test_the_link_in_the_sms_opens_the_page_which_changes_nothing(api, monkeypatch, ddb_calls):
    order = place(api, account(api))
    monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0 + timedelta(minutes=1)))
    JOBS["confirmation_ladder"].run()
    [(sms, _)] = messaging.recorded()
    path = sms.body.split("http://127.0.0.1:8000")[1].split()[0]
    token = path.split("token=")[1]
    assert len(token) < 60  # it travels in an SMS
    ddb_calls()
    r = api.call("GET", path, auth=False)
    assert ddb_calls() == ["GetItem"]
    html = r.raw.decode()
    assert r.status == 200 and r.header("content-type") == "text/html; charset=utf-8"
    assert r.header("content-security-policy") == CONTENT_SECURITY_POLICY
    assert r.header("cache-control") == "no-store" and r.header("x-frame-options") == "DENY"
    assert r.header("referrer-policy") == "no-referrer"
    assert '<html lang="ar" dir="rtl">' in html and "شاي أخضر" in html and "44.00 SAR" in html
    assert "+9665•••••877" in html and "559998877" not in html
    assert 'name="action" value="confirm"' in html and 'name="action" value="cancel"' in html
    assert f'name="token" value="{token}"' in html
    for _ in range(3):  # link previews and scanners: nothing changes
        assert api.call("GET", path, auth=False).status == 200
    got = api.call("GET", f"/orders/{order['id']}").json
    assert (got["status"], got["version"]) == ("pending_confirmation", 2)


def test_confirm_through_the_form_stops_the_ladder_and_twice_is_harmless(api, monkeypatch, ddb_calls):
    order = place(api, account(api))
    token = token_for(order["id"])
    ddb_calls()
    r = post(api, order["id"], token, "confirm")
    assert ddb_calls() == ["GetItem", "TransactWriteItems"]
    assert r.status == 200 and "text/html" in r.header("content-type")
    got = api.call("GET", f"/orders/{order['id']}").json
    assert (got["status"], got["confirmed_by"], got["events"][-1]["by"]) == ("confirmed", "customer", "customer")
    again = post(api, order["id"], token, "confirm", JSON_ACCEPT)
    assert ddb_calls()[-1] == "GetItem"  # nothing written the second time
    assert again.status == 200 and again.json == {
        "order_id": order["id"],
        "status": "confirmed",
        "outcome": "already_confirmed",
    }
    for minutes in (1, 240, 480, 1440, 2880):
        monkeypatch.setenv("TAWASUL_NOW", format_rfc3339(T0 + timedelta(minutes=minutes)))
        assert JOBS["confirmation_ladder"].run()["steps"] == 0
    assert messaging.recorded() == []
    html = page(api, order["id"], token).raw.decode()
    assert status_label("ar", "confirmed") in html and 'value="confirm"' not in html  # the status; no buttons


def test_cancel_then_confirm_says_it_is_cancelled(api):
    order = place(api, account(api))
    token = token_for(order["id"])
    r = api.call(
        "POST", f"/orders/{order['id']}/confirm", {"token": token, "action": "cancel"}, auth=False, headers=JSON_ACCEPT
    )
    assert r.status == 200 and r.json["outcome"] == "cancelled" and r.json["status"] == "cancelled"
    r = post(api, order["id"], token, "confirm", JSON_ACCEPT)
    assert r.is_problem(409) and r.json["outcome"] == "already_cancelled" and r.json["order_status"] == "cancelled"
    assert post(api, order["id"], token, "confirm").status == 409
    got = api.call("GET", f"/orders/{order['id']}").json
    assert got["status"] == "cancelled" and got["risk"]["level"] == "low"  # not a ghost: they said so


def test_too_late_to_cancel_once_shipped(api):
    order = place(api, account(api))
    for kind in ("confirmed", "shipped"):
        assert event(api, order["id"], kind).status == 200
    r = post(api, order["id"], token_for(order["id"]), "cancel", JSON_ACCEPT)
    assert r.is_problem(409) and r.json["outcome"] == "too_late"


def test_english_customers_get_an_english_page(api):
    order = place(api, account(api, "Jane", body={"language": "en"}))
    html = page(api, order["id"], token_for(order["id"])).raw.decode()
    assert '<html lang="en" dir="ltr">' in html and 'value="confirm"' in html


def test_bad_tokens_are_4xx_pages_never_500(api, monkeypatch):
    order = place(api, account(api))
    other = place(api, account(api, "آخر"))
    good = token_for(order["id"])
    org_part, expires, signature = good.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    cases = {
        "forged": confirm_token.issue(b"not-our-secret", "org-a", order["id"], T0 + timedelta(days=3)),
        "tampered signature": f"{org_part}.{expires}.{flipped}",
        "tampered expiry": f"{org_part}.{'z' + expires}.{signature}",
        "tampered org": f"{confirm_token._b64(b'org-b')}.{expires}.{signature}",
        "another order": token_for(other["id"]),
        "garbage": "%%%",
        "empty": "",
        "long": "a." * 500,
    }
    for name, token in cases.items():
        for r in (page(api, order["id"], token), post(api, order["id"], token, "confirm")):
            if name == "empty" and r.status == 422:
                continue  # an empty query value is a 422 problem on every route (?token=)
            assert r.status == 403, (name, r.status, r.raw[:200])
            assert "text/html" in r.header("content-type") and '<html lang="ar" dir="rtl">' in r.raw.decode()
    r = post(api, order["id"], cases["forged"], "confirm", JSON_ACCEPT)
    assert r.status == 403 and r.header("content-type") == "application/problem+json" and r.json["status"] == 403
    expired = token_for(order["id"], expires=T0 - timedelta(seconds=1))
    assert page(api, order["id"], expired).status == 410
    assert post(api, order["id"], expired, "confirm").status == 410
    assert post(api, order["id"], good, "explode").status == 422
    assert page(api, "nope", token_for("nope")).status == 404
    assert api.call("GET", f"/orders/{order['id']}").json["status"] == "pending_confirmation"
    assert api.call("POST", f"/orders/{order['id']}/confirm", raw=b"{", auth=False).status == 400


def test_a_cloud_stage_without_the_secret_refuses(api, monkeypatch):
    from chalicelib import config
    from chalicelib.domain.errors import Unavailable
    from chalicelib.services import confirmation

    order = place(api, account(api))
    monkeypatch.setenv("TAWASUL_STAGE", "prod")
    with pytest.raises(Unavailable):
        config.confirm_secret()
    monkeypatch.setenv("TAWASUL_CONFIRM_SECRET", "cloud-secret")
    assert config.confirm_secret() == b"cloud-secret"
    monkeypatch.setenv("TAWASUL_STAGE", "test")

    def unconfigured() -> bytes:
        raise Unavailable("no secret")

    monkeypatch.setattr(confirmation, "confirm_secret", unconfigured)
    r = page(api, order["id"], token_for(order["id"]))
    assert r.status == 503 and "text/html" in r.header("content-type")
    assert post(api, order["id"], token_for(order["id"]), "confirm").status == 503
