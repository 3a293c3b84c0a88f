"""The confirmation link's token and the outbox's texts: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import confirm_token
from chalicelib.domain.messages import AUTOMATED, TEMPLATES, obsolete_reason, render

SECRET = b"k" * 32
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_a_genuine_token_names_its_organisation():
    token = confirm_token.issue(SECRET, "org-a", "order-1", T0 + timedelta(hours=1))
    assert len(token) < 50
    assert confirm_token.verify(SECRET, token, "order-1", T0) == "org-a"
    assert confirm_token.verify(SECRET, token, "order-1", T0 + timedelta(hours=1)) == "org-a"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace(t.split(".")[0], confirm_token._b64(b"org-b")),  # another organisation
        lambda t: ".".join([*t.split(".")[:2], t.split(".")[2][::-1]]),  # another signature
        lambda t: ".".join([t.split(".")[0], "zzzzzz", t.split(".")[2]]),  # a later expiry
        lambda t: t + "x",
        lambda t: t[:-1],
        lambda t: t.replace(".", "", 1),
        lambda t: "",
        lambda t: "a.b.c",
        lambda t: "~~.~~.~~",
    ],
)
def test_tampering_is_rejected(mutate):
    token = confirm_token.issue(SECRET, "org-a", "order-1", T0 + timedelta(hours=1))
    with pytest.raises(confirm_token.TokenRejected):
        confirm_token.verify(SECRET, mutate(token), "order-1", T0)


def test_other_orders_other_keys_and_expiry():
    token = confirm_token.issue(SECRET, "org-a", "order-1", T0 + timedelta(hours=1))
    with pytest.raises(confirm_token.TokenRejected):
        confirm_token.verify(SECRET, token, "order-2", T0)
    with pytest.raises(confirm_token.TokenRejected):
        confirm_token.verify(b"another key", token, "order-1", T0)
    with pytest.raises(confirm_token.TokenExpired):
        confirm_token.verify(SECRET, token, "order-1", T0 + timedelta(hours=1, seconds=1))


def test_every_automated_text_says_so_and_the_email_has_no_link():
    for (template, language), _ in TEMPLATES.items():
        text = render(template, language, {"order_ref": "R", "total": "1 SAR", "link": "https://l"})
        assert text.body.startswith(AUTOMATED[language]), template
        if template.endswith(".email"):
            assert "https://l" not in text.body and text.subject and text.subject.startswith(AUTOMATED[language])
        else:
            assert "https://l" in text.body
    assert render("order_confirmation.sms", "ar", {}).body.count("{link}") == 1  # a missing value stays visible


def test_messages_about_orders_that_moved_on_are_not_sent():
    assert obsolete_reason("order_confirmation", "pending_confirmation") is None
    assert obsolete_reason("order_confirmation", None) is None
    assert "confirmed" in (obsolete_reason("order_confirmation", "confirmed") or "")
    assert obsolete_reason("checkin", "delivered") is None
    assert obsolete_reason("coupon", "refunded") is not None
