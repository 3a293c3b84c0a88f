"""Items loaded from the table through ``Item._instantiate`` (our fast path) are exactly what
PynamoDB's own ``_instantiate`` makes of the same stored attributes, for every kind of item: full,
sparse (defaults), and with attributes stored as NULL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.attributes import (
    Attribute,
    AttributeContainer,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.persistence import models
from chalicelib.persistence.models import Item

AT = datetime(2026, 11, 22, 9, 30, 5, 123456, tzinfo=UTC)
KINDS = sorted(
    (cls for cls in vars(models).values() if isinstance(cls, type) and issubclass(cls, Item) and cls is not Item),
    key=lambda cls: cls.__name__,
)


def _value(name: str, attribute: Attribute[Any]) -> Any:
    if isinstance(attribute, VersionAttribute):
        return 4
    if isinstance(attribute, TTLAttribute):
        return datetime(2027, 1, 1, tzinfo=UTC)
    if isinstance(attribute, UTCDateTimeAttribute):
        return AT
    if isinstance(attribute, BooleanAttribute):
        return True
    if isinstance(attribute, NumberAttribute):
        return 2.5
    if isinstance(attribute, ListAttribute):
        if attribute.element_type is MapAttribute:
            return [{"sku": "A-1", "qty": 2, "price": {"amount": "9.50"}}]
        return ["first", "ثاني"]
    if isinstance(attribute, MapAttribute):
        return {"level": "high", "reasons": ["refused"], "nested": {"n": 3, "flag": False}}
    assert isinstance(attribute, UnicodeAttribute), f"{name}: add a value for {type(attribute).__name__}"
    return f"{name}-value"


def _stored(kind: type[Item], *, full: bool) -> dict[str, dict[str, Any]]:
    """Every attribute set (``full``), or only the ones without a default, as an item written
    before an attribute with a default was added would be stored."""
    values = {}
    defaulted = []
    for name, attribute in kind.get_attributes().items():
        if isinstance(attribute, DiscriminatorAttribute):
            continue
        if attribute.default is not None:
            defaulted.append(attribute.attr_name)
        required = not attribute.null and attribute.default is None
        if full or required or attribute.is_hash_key or attribute.is_range_key:
            values[name] = _value(name, attribute)
    stored = kind(**values).serialize(null_check=False)
    return stored if full else {k: v for k, v in stored.items() if k not in defaulted}


def _pynamodb(kind: type[Item], stored: dict[str, dict[str, Any]]) -> Item:
    return AttributeContainer._instantiate.__func__(kind, stored)  # type: ignore[attr-defined,no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, MapAttribute):
        return ("map", type(value), _plain(value.as_dict()))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return (type(value), value)


def _same(ours: Item, theirs: Item) -> None:
    assert type(ours) is type(theirs)
    assert ours.attribute_values.keys() == theirs.attribute_values.keys()
    for name in theirs.attribute_values:
        assert _plain(getattr(ours, name)) == _plain(getattr(theirs, name)), name
    assert ours.serialize(null_check=False) == theirs.serialize(null_check=False)


def test_every_kind_of_item_is_covered() -> None:
    assert len(KINDS) >= 25
    assert models.AccountItem in KINDS and models.OrderItem in KINDS


@pytest.mark.parametrize("kind", KINDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("full", [True, False], ids=["full", "sparse"])
def test_loaded_items_equal_pynamodbs_own(kind: type[Item], full: bool) -> None:
    stored = _stored(kind, full=full)
    # Loaded through the base class, as a Query or a batch read does, and through the kind itself.
    _same(Item.from_raw_data(stored), _pynamodb(Item, stored))
    _same(kind.from_raw_data(stored), _pynamodb(kind, stored))


def test_null_attributes_take_the_default() -> None:
    stored = _stored(models.AccountItem, full=True)
    stored["journey_stage"] = {"NULL": True}
    stored["notes"] = {"NULL": True}
    loaded = Item.from_raw_data(stored)
    _same(loaded, _pynamodb(Item, stored))
    assert isinstance(loaded, models.AccountItem)
    assert loaded.journey_stage == "awareness" and loaded.notes is None


def test_a_loaded_item_saves_and_versions_like_one_pynamodb_built() -> None:
    stored = _stored(models.AccountItem, full=True)
    loaded = Item.from_raw_data(stored)
    assert isinstance(loaded, models.AccountItem)
    assert loaded.version == 4 and isinstance(loaded.version, int)
    assert isinstance(loaded.address, MapAttribute) and loaded.address.as_dict()["level"] == "high"
    loaded.name = "Renamed"  # descriptors still work on the instance
    assert loaded.serialize()["name"] == {"S": "Renamed"}


def test_a_kind_that_does_not_match_is_refused() -> None:
    stored = _stored(models.AccountItem, full=False)
    with pytest.raises(ValueError, match="Cannot instantiate"):
        models.LeadItem.from_raw_data(stored)
