"""Stored settings are parsed once per distinct content: the cache is keyed by what is stored,
not by organisation or version (a new table in each test reuses both)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.settings import OrgSettings
from chalicelib.persistence import keys
from chalicelib.persistence.models import SettingsItem
from chalicelib.persistence.org import stored

AT = datetime(2026, 12, 3, tzinfo=UTC)


def _item(data: dict) -> SettingsItem:
    return SettingsItem(
        keys.org("org-a"), keys.settings(), org_id="org-a", data=data, created_at=AT, updated_at=AT, version=1
    )


def test_same_organisation_and_version_with_other_content_reads_the_other_content():
    saudi = stored(_item({"default_country": "SA", "timezone": "Asia/Riyadh"}))
    emirati = stored(_item({"default_country": "AE", "timezone": "Asia/Dubai"}))
    assert (saudi.settings.default_country, emirati.settings.default_country) == ("SA", "AE")
    assert stored(_item({"timezone": "Asia/Riyadh", "default_country": "SA"})).settings is saudi.settings  # parsed once


def test_no_stored_settings_read_as_the_defaults():
    assert stored(None).settings == OrgSettings() and stored(None).version == 0
