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
from datetime import datetime
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

from chalicelib.persistence.models import Item, moment_text

Raw = dict[str, dict[str, Any]]  # attribute name -> {type: value}, as BatchWriteItem takes it
_Encoder = Callable[[Any], dict[str, Any]]


def _string(value: str) -> dict[str, Any]:
    return {"S": value}


def _moment(value: datetime) -> dict[str, Any]:
    return {"S": moment_text(value)}


def _boolean(value: Any) -> dict[str, Any]:
    return {"BOOL": bool(value)}


def _number(value: Any) -> dict[str, Any]:
    return {"N": json.dumps(value)}


def _version(value: Any) -> dict[str, Any]:
    return {"N": str(int(value))}  # what json.dumps writes for an int


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
class _Shape:
    """How one model is stored: its fixed attributes (the discriminator), each attribute's stored
    name and encoder, the defaults of attributes left out, and the attributes that may not be."""

    fixed: Raw
    fields: dict[str, tuple[str, _Encoder]]
    defaults: list[tuple[str, str, _Encoder, Any]]
    required: list[tuple[str, str]]


@cache
def _shape(model: type[Item]) -> _Shape:
    shape = _Shape({}, {}, [], [])
    for name, attribute in model.get_attributes().items():
        if isinstance(attribute, DiscriminatorAttribute):
            value = attribute.get_discriminator(model)
            if value is not None:  # the base model has none
                shape.fixed[attribute.attr_name] = {"S": value}
            continue
        encode = _encoder(attribute)
        shape.fields[name] = (attribute.attr_name, encode)
        if attribute.default is not None:
            shape.defaults.append((name, attribute.attr_name, encode, attribute.default))
        if not attribute.null:
            shape.required.append((name, attribute.attr_name))
    return shape


def serialize(model: type[Item], values: dict[str, Any]) -> Raw:
    """What ``model(**values).serialize()`` returns: None values are left out, defaults fill
    attributes not given, and a required attribute left empty raises ``ValueError``."""
    shape = _shape(model)
    raw: Raw = dict(shape.fixed)
    fields = shape.fields
    for name, value in values.items():
        field = fields.get(name)
        if field is None:
            raise ValueError(f"Attribute {name} specified does not exist")
        if value is not None:
            stored, encode = field
            # most attributes are strings: no call for them (a bulk write encodes ~35 per row)
            raw[stored] = {"S": value} if encode is _string else encode(value)
    for name, stored, encode, default in shape.defaults:
        if name not in values:
            value = default() if callable(default) else default
            if value is not None:
                raw[stored] = encode(value)
    for name, stored in shape.required:
        if stored not in raw:
            raise ValueError(f"Attribute '{name}' cannot be None")
    return raw


def key_of(raw: Raw) -> tuple[str, str]:
    return raw["pk"]["S"], raw["sk"]["S"]
