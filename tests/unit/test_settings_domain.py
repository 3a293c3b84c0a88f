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


def test_stored_settings_read_whatever_a_version_left_in_them():
    from chalicelib.domain.settings import read_stored

    stored = OrgSettings(timezone="Africa/Cairo").model_dump(mode="json")
    stored["dropped"] = 1
    stored["follow_up"]["gone"] = True
    stored["follow_up"]["coupon"]["legacy"] = 3
    stored["follow_up"]["bonus_materials"][0]["old"] = "x"
    stored["message_templates"] = {"checkin": {"en": "hi"}, "fax": {"en": "old"}}
    read = read_stored(stored)
    assert read.timezone == "Africa/Cairo" and read.message_templates == {"checkin": {"en": "hi"}}
    # templates in the flat shape of an earlier version fall back to the defaults instead of a 500
    assert read_stored({"message_templates": {"checkin": "hi"}}).message_templates == {}
    assert read.follow_up == OrgSettings().follow_up
    # a value this version refuses falls back to its default; the rest is kept
    assert read_stored({"timezone": "Mars/Olympus", "default_country": "EG"}) == OrgSettings(default_country="EG")
    with pytest.raises(ValidationError):
        merge_settings(read, {"dropped": 1})  # a change still refuses unknown keys


def test_the_put_body_names_every_setting_and_nothing_else():
    """SettingsChanges (PUT /settings, documented in /openapi.json) mirrors OrgSettings field for
    field, its nested objects too; a setting added to one and not the other fails here."""
    from chalicelib.domain.settings import (
        ConfirmationLadder,
        CouponChanges,
        CouponRule,
        FollowUp,
        FollowUpChanges,
        LadderChanges,
        SettingsChanges,
    )

    pairs = [
        (OrgSettings, SettingsChanges),
        (ConfirmationLadder, LadderChanges),
        (FollowUp, FollowUpChanges),
        (CouponRule, CouponChanges),
    ]
    for full, partial in pairs:
        assert list(partial.model_fields) == list(full.model_fields), partial.__name__
        assert all(not field.is_required() for field in partial.model_fields.values()), partial.__name__


def test_a_put_body_becomes_the_nested_change_it_names():
    from chalicelib.domain.settings import SettingsChanges

    body = SettingsChanges.model_validate({"follow_up": {"coupon": {"percent_off": 25}}, "timezone": "Africa/Cairo"})
    assert body.as_changes() == {"follow_up": {"coupon": {"percent_off": 25}}, "timezone": "Africa/Cairo"}
    merged = merge_settings(OrgSettings(), body.as_changes())
    assert (merged.follow_up.coupon.percent_off, merged.follow_up.coupon.valid_days) == (25, 30)
