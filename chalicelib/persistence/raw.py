"""DynamoDB attribute dicts for bulk writers, built without model instances.

Creating a PynamoDB model and calling ``serialize()`` costs ~40 µs per item (descriptors,
defaults, per-attribute dispatch); a CSV import writes four items a row. ``serialize`` here
gives the same dict from plain values: it reads each model's attributes from ``models.py`` once
(names, types, defaults, the discriminator), so the schema is still defined only there, and
``tests/unit/test_raw_items.py`` holds it to ``Model.serialize()`` for every shape it writes.
Only the attribute types the table uses are supported; another raises at its first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.constants import DATETIME_FORMAT

from chalicelib.persistence.models import Item

Raw = dict[str, dict[str, Any]]  # attribute name -> {type: value}, as BatchWriteItem takes it
_Encoder = Callable[[Any], dict[str, Any]]


def _string(value: str) -> dict[str, Any]:
    return {"S": value}


def _moment(value: datetime) -> dict[str, Any]:
    return {"S": value.astimezone(UTC).strftime(DATETIME_FORMAT).zfill(31)}


def _boolean(value: Any) -> dict[str, Any]:
    return {"BOOL": bool(value)}


def _number(value: Any) -> dict[str, Any]:
    return {"N": json.dumps(value)}


def _version(value: Any) -> dict[str, Any]:
    return {"N": json.dumps(int(value))}


def _document(value: Any) -> dict[str, Any]:
    """A value inside a raw map or list, typed by its Python type as PynamoDB types it."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is float:
        return {"N": json.dumps(value)}
    if kind is dict:
        return {"M": {k: _document(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_document(v) for v in value]}
    if value is None:
        return {"NULL": True}
    raise ValueError(f"Unsupported value type '{kind}'")


def _list(value: list[Any]) -> dict[str, Any]:
    return {"L": [_document(v) for v in value]}


def _map(value: dict[str, Any]) -> dict[str, Any]:
    return {"M": {k: _document(v) for k, v in value.items()}}


def _encoder(attribute: Attribute[Any]) -> _Encoder:
    if isinstance(attribute, VersionAttribute):  # before NumberAttribute, its base
        return _version
    if isinstance(attribute, UTCDateTimeAttribute):
        return _moment
    if isinstance(attribute, ListAttribute):
        return _list
    if isinstance(attribute, MapAttribute) and type(attribute).is_raw():
        return _map
    simple: dict[type[Attribute[Any]], _Encoder] = {
        UnicodeAttribute: _string,
        BooleanAttribute: _boolean,
        NumberAttribute: _number,
    }
    if type(attribute) in simple:
        return simple[type(attribute)]

    def unsupported(value: Any) -> dict[str, Any]:
        raise TypeError(f"raw.serialize does not handle {type(attribute).__name__}")

    return unsupported  # e.g. the TTL attribute every item has but no bulk-written item sets


@dataclass(frozen=True)
class _Field:
    stored: str  # the attribute's name in the table
    encode: _Encoder
    default: Any
    null: bool


@cache
def _shape(model: type[Item]) -> tuple[Raw, dict[str, _Field]]:
    """A model's fixed attributes (its discriminator) and how to store each of the others."""
    fixed: Raw = {}
    fields: dict[str, _Field] = {}
    for name, attribute in model.get_attributes().items():
        if isinstance(attribute, DiscriminatorAttribute):
            value = attribute.get_discriminator(model)
            if value is not None:  # the base model has none
                fixed[attribute.attr_name] = {"S": value}
        else:
            fields[name] = _Field(attribute.attr_name, _encoder(attribute), attribute.default, attribute.null)
    return fixed, fields


def serialize(model: type[Item], values: dict[str, Any]) -> Raw:
    """What ``model(**values).serialize()`` returns: None values are left out, defaults fill
    attributes not given, and a required attribute left empty raises ``ValueError``."""
    fixed, fields = _shape(model)
    if not values.keys() <= fields.keys():
        raise ValueError(f"Attribute {sorted(values.keys() - fields.keys())[0]} specified does not exist")
    raw: Raw = dict(fixed)
    for name, spec in fields.items():
        value = values.get(name)
        if value is None and spec.default is not None and name not in values:
            value = spec.default() if callable(spec.default) else spec.default
        if value is not None:
            raw[spec.stored] = spec.encode(value)
        elif not spec.null:
            raise ValueError(f"Attribute '{name}' cannot be None")
    return raw


def key_of(raw: Raw) -> tuple[str, str]:
    return raw["pk"]["S"], raw["sk"]["S"]
