"""``db.save_versioned`` on the store: the one PutItem it sends is the one PynamoDB's ``save``
would send, the item is stored and held at its next version, and a lost race is a Conflict that
writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.persistence import db
from chalicelib.persistence.models import SettingsItem

pytestmark = pytest.mark.dynalite  # also run against dynalite by `make test-dynalite`

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def settings(data: dict[str, Any], version: int | None = None) -> SettingsItem:
    item = SettingsItem(
        "ORG#save-versioned", "#SETTINGS", org_id="save-versioned", data=data, created_at=T0, updated_at=T0
    )
    if version is not None:
        item.version = version
    return item


def stored() -> tuple[int, dict[str, Any]]:
    found = SettingsItem.get("ORG#save-versioned", "#SETTINGS", consistent_read=True)
    return int(found.version), dict(found.data.as_dict())


@pytest.fixture
def sent() -> Any:
    """The PutItem parameters the shared client sends."""
    db.ready()
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    events = db.client().meta.events
    events.register("provide-client-params.dynamodb.PutItem", record, unique_id="test-save-versioned")
    yield calls
    events.unregister("provide-client-params.dynamodb.PutItem", unique_id="test-save-versioned")


def test_a_new_item_is_stored_at_version_1_then_2_with_the_parameters_pynamodb_sends(sent):
    first = settings({"currency": "SAR"})
    expected = first.get_save_kwargs_from_instance()
    db.save_versioned(first, conflict="taken")
    assert first.version == 1 and stored() == (1, {"currency": "SAR"})
    first.data = {"currency": "EGP"}
    expected_next = first.get_save_kwargs_from_instance()
    db.save_versioned(first, conflict="taken")
    assert first.version == 2 and stored() == (2, {"currency": "EGP"})
    assert sent == [expected, expected_next]  # attribute_not_exists, then "version = 1", as PynamoDB writes them


def test_a_stale_copy_is_a_conflict_and_writes_nothing(sent):
    db.save_versioned(settings({"currency": "SAR"}), conflict="taken")
    db.save_versioned(settings({"currency": "EGP"}, version=1), conflict="stale")
    stale = settings({"currency": "USD"}, version=1)
    with pytest.raises(Conflict) as raised:
        db.save_versioned(stale, conflict="stale")
    assert raised.value.detail == "stale" and stale.version == 1
    assert stored() == (2, {"currency": "EGP"})
    with pytest.raises(Conflict) as again:
        db.save_versioned(settings({"currency": "USD"}), conflict="already there")  # new, but the key is taken
    assert again.value.detail == "already there" and stored() == (2, {"currency": "EGP"})
    assert len(sent) == 4
