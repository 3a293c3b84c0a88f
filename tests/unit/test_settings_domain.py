import pytest
from pydantic import ValidationError

from chalicelib.domain.settings import OrgSettings, merge_settings


def test_defaults_match_the_contract():
    s = OrgSettings().model_dump()
    assert s["default_country"] == "SA"
    assert s["confirmation_ladder"] == {
        "sms_after_minutes": 1,
        "whatsapp_after_minutes": 240,
        "email_after_minutes": 480,
        "call_after_minutes": 1440,
        "cancel_after_minutes": 2880,
    }
    assert s["follow_up"]["coupon"] == {"after_days": 14, "percent_off": 10, "valid_days": 30, "amount_off": None}
    assert s["follow_up"]["checkin_days"] == [1, 3]
    assert s["refund_window_days"] == 30


def test_partial_update_merges_nested_objects():
    merged = merge_settings(OrgSettings(), {"follow_up": {"coupon": {"percent_off": 25}}})
    assert merged.follow_up.coupon.percent_off == 25
    assert merged.follow_up.coupon.valid_days == 30  # untouched sibling kept
    assert merged.follow_up.review_request_day == 7


@pytest.mark.parametrize(
    "change",
    [
        {"unknown": 1},
        {"follow_up": {"coupon": {"bogus": 1}}},
        {"default_country": "XX"},
        {"default_country": "sa"},
        {"timezone": "Mars/Olympus"},
        {"confirmation_ladder": {"sms_after_minutes": 5000}},  # after whatsapp: out of order
        {"follow_up": {"coupon": {"percent_off": 0}}},
        {"message_templates": {"spam": {"en": "hi"}}},
        {"message_templates": {"checkin": "hi"}},
    ],
)
def test_bad_changes_are_rejected(change):
    with pytest.raises(ValidationError):
        merge_settings(OrgSettings(), change)
