"""Organisation-wide records: settings."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.settings import OrgSettings, StoredSettings, read_stored
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import SettingsItem

STALE = "The settings were changed by someone else; reload them and apply your change again."


@db.bound
def get_settings(org_id: str) -> StoredSettings:
    """The organisation's settings, or the defaults if it never saved any (one GetItem)."""
    try:
        item = SettingsItem.get(keys.org(org_id), keys.settings())
    except SettingsItem.DoesNotExist:
        return stored(None)
    return stored(item)


def settings_key(org_id: str) -> tuple[str, str]:
    """Where the settings are, for a caller that reads them in its own batch read (see ``stored``)."""
    return keys.org(org_id), keys.settings()


def stored(item: object) -> StoredSettings:
    """The settings a batch read found at ``settings_key`` (None or another item: the defaults)."""
    if not isinstance(item, SettingsItem):
        return StoredSettings(_parsed(None), 0, None, None)
    data = item.data.as_dict()
    return StoredSettings(
        _parsed(json.dumps(data, sort_keys=True, default=str)), int(item.version), item.created_at, item.updated_at
    )


@lru_cache(maxsize=256)
def _parsed(data: str | None) -> OrgSettings:
    """Settings parsed once per distinct stored content in a warm Lambda (most requests read them,
    and validating the nested defaults costs more than the read). Shared: callers never change
    the object they get (``PUT /settings`` builds a new one)."""
    return OrgSettings() if data is None else read_stored(json.loads(data))


@db.bound
def save_settings(org_id: str, current: StoredSettings, settings: OrgSettings, now: datetime) -> StoredSettings:
    item = SettingsItem(
        keys.org(org_id),
        keys.settings(),
        org_id=org_id,
        data=settings.model_dump(mode="json"),
        created_at=current.created_at or now,
        updated_at=now,
    )
    if current.version:
        item.version = current.version
    db.save_versioned(item, conflict=STALE)
    return StoredSettings(settings, int(item.version), item.created_at, item.updated_at)


@db.bound
def ping() -> None:
    try:
        SettingsItem.count(keys.org("#health"), limit=1)
    except PynamoDBException as error:
        raise Unavailable(f"The store cannot be read: {error.msg}")
