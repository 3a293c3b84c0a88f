"""Items loaded from the table through ``Item._instantiate``, built by ``Item.__init__`` and written by
``Item.serialize`` (our fast paths) are exactly what PynamoDB's own ``_instantiate``, constructor and
``serialize`` make of the same values, for every kind of item: full, sparse (defaults), and with
attributes stored as NULL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from pynamodb.models import Model

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


def _pynamodb_serialize(item: Item, null_check: bool) -> dict[str, dict[str, Any]]:
    return AttributeContainer._container_serialize(item, null_check=null_check)  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", KINDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("full", [True, False], ids=["full", "sparse"])
def test_items_serialize_as_pynamodb_serialises_them(kind: type[Item], full: bool) -> None:
    stored = _stored(kind, full=full)
    loaded = kind.from_raw_data(stored)
    built = kind(**{name: getattr(loaded, name) for name in loaded.attribute_values if name != "kind"})
    for item in (loaded, _pynamodb(kind, stored), built):
        assert item.serialize(null_check=False) == _pynamodb_serialize(item, False)
        if kind.get_attributes()["kind"].get_discriminator(kind) is None:  # type: ignore[attr-defined]
            assert _refusals(item) == ("Attribute 'kind' cannot be None",) * 2  # a base of kinds: never stored
        else:
            assert item.serialize() == _pynamodb_serialize(item, True)


def _refusals(item: Item) -> tuple[str, str]:
    with pytest.raises(ValueError) as ours:
        item.serialize()
    with pytest.raises(ValueError) as theirs:
        _pynamodb_serialize(item, True)
    assert type(ours.value) is type(theirs.value)
    return str(ours.value), str(theirs.value)


def test_a_missing_or_mistyped_value_is_refused_as_pynamodb_refuses_it() -> None:
    item = Item.from_raw_data(_stored(models.AccountItem, full=True))
    assert isinstance(item, models.AccountItem)
    item.owner_id = None  # type: ignore[assignment]
    ours, theirs = _refusals(item)
    assert ours == theirs and "owner_id" in ours
    assert item.serialize(null_check=False) == _pynamodb_serialize(item, False)
    item.owner_id = "rep-1"
    item.emails = ["a@example.com", None]  # type: ignore[list-item]
    assert item.serialize() == _pynamodb_serialize(item, True)
    item.emails = None
    item.created_at = None  # type: ignore[assignment]
    ours, theirs = _refusals(item)
    assert ours == theirs and "created_at" in ours


def test_empty_strings_and_edited_values_serialize_as_pynamodb_serialises_them() -> None:
    item = Item.from_raw_data(_stored(models.LeadItem, full=True))
    assert isinstance(item, models.LeadItem)
    item.title = ""
    item.version = 7.0  # type: ignore[assignment]  # a float, which the descriptor casts
    item.value = {"amount": "12.00", "currency": "SAR"}  # type: ignore[assignment]
    assert item.serialize() == _pynamodb_serialize(item, True)
    assert item.serialize()["title"] == {"S": ""} and item.serialize()["version"] == {"N": "7"}


def _built_by_pynamodb(model: type[Item], *args: Any, **values: Any) -> Item:
    item = model.__new__(model)
    Model.__init__(item, *args, **values)
    return item


def _values(kind: type[Item], *, full: bool) -> dict[str, Any]:
    """Every attribute (``full``), or only those a caller must give: the keys and the required
    attributes without a default."""
    values = {}
    for name, attribute in kind.get_attributes().items():
        required = not attribute.null and attribute.default is None
        if isinstance(attribute, DiscriminatorAttribute):
            continue
        if full or required or attribute.is_hash_key or attribute.is_range_key:
            values[name] = _value(name, attribute)
    return values


@pytest.mark.parametrize("kind", KINDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("full", [True, False], ids=["full", "sparse"])
def test_built_items_equal_pynamodbs_own(kind: type[Item], full: bool) -> None:
    values = _values(kind, full=full)
    ours, theirs = kind(**values), _built_by_pynamodb(kind, **values)
    _same(ours, theirs)
    assert list(ours.attribute_values) == list(theirs.attribute_values)  # the same order, too
    for name, value in theirs.attribute_values.items():  # maps built, not left as dicts
        assert type(ours.attribute_values[name]) is type(value), name


STORED_KINDS = [kind for kind in KINDS if kind.get_attributes()["kind"].get_discriminator(kind) is not None]  # type: ignore[attr-defined]


def _conditions(kind: type[Item]) -> list[Any]:
    """No condition, and conditions that name attributes and values, the version's among them
    (its placeholders must be shared, not numbered twice)."""
    conditions: list[Any] = [None, kind.pk.does_not_exist(), kind.sk.exists() & (kind.pk == "p")]
    if kind._version_attribute_name:
        version: Any = kind.get_attributes()[kind._version_attribute_name]
        conditions += [version.exists(), (version < 9) | kind.pk.does_not_exist()]
    return conditions


@pytest.mark.parametrize("kind", STORED_KINDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("full", [True, False], ids=["full", "sparse"])
def test_a_save_is_put_as_pynamodb_puts_it(kind: type[Item], full: bool) -> None:
    """``put_fields`` is ``get_save_kwargs_from_instance`` for every kind, with and without a
    condition: new (a versioned item must not exist yet, and is written at version 1) and read at a
    version (written at the next, on condition that it is still at that one)."""
    models.bind("t")
    values = _values(kind, full=full)
    versions: list[int | None] = [None, 4, 1] if kind._version_attribute_name else [None]
    for version in versions:
        for condition in _conditions(kind):
            item = kind(**{name: value for name, value in values.items() if name != kind._version_attribute_name})
            if version is not None:
                setattr(item, kind._version_attribute_name, version)
            ours = {"TableName": "t", **item.put_fields(condition)}
            assert ours == item.get_save_kwargs_from_instance(condition=condition)
            if kind._version_attribute_name:  # the item takes its new version when the write succeeds
                assert getattr(item, kind._version_attribute_name) == version
                assert ours["Item"]["version"] == {"N": str((version or 0) + 1)}
            elif condition is None:
                assert set(ours) == {"TableName", "Item"}


def test_keys_given_by_position_defaults_and_ttl_are_set_as_pynamodb_sets_them() -> None:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    for args, values in (
        (("ORG#o#ACC#1", "PROFILE"), {"id": "1", "org_id": "o", "name": "N", "owner_id": "r"}),
        ((), {"pk": "p", "sk": "s", "expires_at": timedelta(days=2), "_user_instantiated": False}),
    ):
        values = {**values, "created_at": at, "updated_at": at}
        _same(models.AccountItem(*args, **values), _built_by_pynamodb(models.AccountItem, *args, **values))


def test_maps_whose_keys_the_map_constructor_also_takes_are_built_as_pynamodb_builds_them() -> None:
    values = {"pk": "p", "sk": "s", "org_id": "o", "id": "1", "name": "N", "owner_id": "r"}
    address = {"default": "yes", "null": None, "city": "Riyadh", "nested": {"attr_name": 1}}
    ours = models.AccountItem(**values, address=address)
    theirs = _built_by_pynamodb(models.AccountItem, **values, address=address)
    _same(ours, theirs)
    assert ours.address.as_dict() == address  # type: ignore[union-attr]


def test_unknown_attributes_and_a_wrong_discriminator_are_refused_as_pynamodb_refuses_them() -> None:
    for values in ({"pk": "p", "colour": "red"}, {"pk": "p", "kind": models.LeadItem}):
        with pytest.raises(ValueError) as ours:
            models.AccountItem(**values)
        with pytest.raises(ValueError) as theirs:
            _built_by_pynamodb(models.AccountItem, **values)
        assert str(ours.value) == str(theirs.value)


class _Fresh(Item):
    """A model whose attribute has a default for new items only (none of ours does yet)."""

    stamp = UnicodeAttribute(default_for_new="new", null=True)
    label = UnicodeAttribute(default="plain")


def test_defaults_for_new_items_apply_only_to_items_built_by_a_caller() -> None:
    for user in (True, False):
        ours = _Fresh(pk="p", sk="s", _user_instantiated=user)
        _same(ours, _built_by_pynamodb(_Fresh, pk="p", sk="s", _user_instantiated=user))
        assert ours.stamp == ("new" if user else None) and ours.label == "plain"


def test_map_values_are_kept_as_given_none_included() -> None:
    values = {"pk": "p", "sk": "s", "org_id": "o", "id": "1", "name": "N", "owner_id": "r"}
    address = {"city": "Riyadh", "line2": None, "geo": {"lat": 24.7, "pin": None}}
    ours = models.AccountItem(**values, address=address)
    _same(ours, _built_by_pynamodb(models.AccountItem, **values, address=address))
    assert ours.address.as_dict() == address  # type: ignore[union-attr]
    address["city"] = "Jeddah"  # the item keeps its own copy
    assert ours.address.as_dict()["city"] == "Riyadh"  # type: ignore[union-attr]


def _account_stored(**changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**_stored(models.AccountItem, full=False), **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"address": {"M": {}}, "tags": {"L": []}, "emails": {"L": [{"NULL": True}, {"S": ""}]}},
        {
            "custom_fields": {
                "M": {
                    "n": {"N": "-12"},
                    "big": {"N": "123456789012345678901234567890"},
                    "e": {"N": "1.5E+3"},
                    "z": {"N": "0"},
                    "gone": {"NULL": True},
                    "tags": {"SS": ["a", "b"]},
                    "nums": {"NS": ["1", "2.5"]},
                    "raw": {"B": b"\x00\x01"},
                    "mixed": {"L": [{"N": "3"}, {"NULL": True}, {"M": {"x": {"BOOL": False}}}]},
                    "٣": {"S": "arabic digit key"},
                }
            }
        },
        {"risk": {"M": {"score": {"N": "٣"}}}},  # not a number JSON reads: PynamoDB's error
        {"name": {"N": "5"}},  # a string attribute stored as a number
        {"created_at": {"S": "2026-12-03"}},  # not PynamoDB's time format
        {"emails": {"L": [{"N": "1"}]}},
        {"address": {"S": "not a map"}},
    ],
    ids=["empty-and-null", "documents", "bad-number", "wrong-type", "bad-time", "wrong-element", "not-a-map"],
)
def test_stored_shapes_and_bad_values_read_as_pynamodb_reads_them(changes: dict[str, Any]) -> None:
    stored = _account_stored(**changes)
    try:
        theirs = _pynamodb(Item, stored)
    except Exception as error:  # noqa: BLE001  # whatever PynamoDB raises, ours must raise too
        with pytest.raises(type(error)) as ours:
            Item.from_raw_data(stored)
        assert str(ours.value) == str(error)
        return
    _same(Item.from_raw_data(stored), theirs)
