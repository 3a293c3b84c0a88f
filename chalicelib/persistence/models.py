"""PynamoDB models of the single table: one base model, one subclass per kind of item.

Table names are bound from the settings on first use (``bind``), never at import time.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from functools import cache, lru_cache
from typing import Any, TypeVar

from pynamodb.attributes import (
    DESERIALIZE_CLASS_MAP,
    Attribute,
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
from pynamodb.constants import NULL
from pynamodb.exceptions import AttributeNullError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.persistence import schema


class _Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = schema.GSI1
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = schema.GSI2
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _Gsi3(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = schema.GSI3
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class _Kind(DiscriminatorAttribute):
    """The discriminator. PynamoDB filters every query to the kinds of the queried class; for the
    base ``Item`` that is ``kind IN (<all 28 kinds>)``, built and sent with each query though it
    selects every item. Asked for every registered kind, this answers ``attribute_exists(kind)``:
    the same items, for one placeholder."""

    def is_in(self, *values: Any) -> Condition:  # type: ignore[override]  # an Exists for every kind
        if set(values) >= set(self.get_registered_subclasses(object)):
            return self.exists()
        return super().is_in(*values)


class Item(Model):
    """Base of every item in the main table."""

    class Meta:
        table_name = "unbound"  # set by bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = _Kind()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()
    gsi3 = _Gsi3()

    def __init__(
        self, hash_key: Any = None, range_key: Any = None, _user_instantiated: bool = True, **attributes: Any
    ) -> None:
        """What PynamoDB's constructor makes, about twice as fast: every item a request writes is
        built here. PynamoDB sets the discriminator, each default and each given value through
        the attribute's descriptor; here they go straight into ``attribute_values`` where the
        descriptor would store them as they are (``_plan``, shared with ``_instantiate``), maps
        are built as ``_raw_map`` builds them, and other attributes (versions, TTL) still go
        through their descriptor. ``tests/unit/test_fast_instantiate.py`` holds the result, and
        what is refused, to PynamoDB's own for every kind of item."""
        if hash_key is not None:
            attributes[self._hash_keyname] = hash_key  # type: ignore[index]
        if range_key is not None:
            attributes[self._range_keyname] = range_key  # type: ignore[index]
        cls = type(self)
        values, plan = _begin(self, cls)
        for name, _, attribute, default, store, _ in plan:
            if _user_instantiated and attribute.default_for_new is not None:
                default = attribute.default_for_new
            if default is not None:
                _put(self, values, name, default() if callable(default) else default, store)
        stores = _stores(cls)
        for name, value in attributes.items():
            how = stores.get(name)
            if how is None:
                raise ValueError(f"Attribute {name} specified does not exist")
            _put(self, values, name, value, how)

    @classmethod
    def _instantiate(cls: type[_I], attribute_values: dict[str, dict[str, Any]]) -> _I:
        """What PynamoDB's ``_instantiate`` makes of a stored item, 1.4 to 2.3 times faster.

        PynamoDB builds the instance, applies every default twice and stores each attribute
        through its descriptor (~100 µs for an account or a lead: most of a list page's own time).
        Here each class's attributes are read once (``_plan``) and the values go straight into
        ``attribute_values``; strings, numbers, times, maps and lists are read by ``_reader``'s
        functions, maps are built as ``_raw_map`` builds them, and attributes whose descriptor
        converts on assignment (versions, TTL) still go through it.
        ``tests/unit/test_fast_instantiate.py`` holds the result to PynamoDB's own for every kind
        of item."""
        stored = cls._get_discriminator_class(attribute_values)
        if stored is not None and not issubclass(stored, cls):
            raise ValueError(f"Cannot instantiate a {cls.__name__} from the returned class: {stored.__name__}")
        target = stored or cls
        instance = target.__new__(target)
        values, plan = _begin(instance, target)
        for name, stored_name, attribute, default, store, read in plan:
            found = attribute_values.get(stored_name)
            if found and NULL not in found:
                try:
                    value = read(found)
                except (KeyError, TypeError, ValueError, AttributeError):
                    value = attribute.deserialize(attribute.get_value(found))  # PynamoDB's way, and its error
            elif default is None:
                continue
            else:
                value = default() if callable(default) else default
            _put(instance, values, name, value, store)
        return instance

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        """What PynamoDB's ``serialize`` returns, two to four times faster: every item a request
        writes goes through here. PynamoDB looks up the attributes, reads each through its
        descriptor and type-checks it, for every item; here each class's attributes are read once
        (``_writing``), values are read directly where the descriptor would return them as they
        are, strings (most attributes) are stored as they are, times are formatted once per
        moment, and every other attribute is serialised by its own ``serialize`` as PynamoDB does.
        ``tests/unit/test_fast_instantiate.py`` holds the result, and what is refused, to
        PynamoDB's own for every kind of item."""
        values = self.attribute_values
        out: dict[str, dict[str, Any]] = {}
        for name, stored, attr_type, attribute, how in _writing(type(self)):
            value = getattr(self, name) if how is _Write.DESCRIPTOR else values.get(name)
            if value is None:
                if null_check and not attribute.null:
                    raise AttributeNullError(name)
                continue
            if how is _Write.STRING:
                out[stored] = {attr_type: value}
                continue
            if how is _Write.MOMENT:
                out[stored] = {attr_type: moment_text(value)}
                continue
            try:
                if isinstance(value, MapAttribute) and not value.validate(null_check=null_check):
                    raise ValueError(f"Attribute '{name}' is not correctly typed")
                if how is _Write.CONTAINER:
                    serialized = attribute.serialize(value, null_check=null_check)  # type: ignore[call-arg]
                else:
                    serialized = attribute.serialize(value)
            except AttributeNullError as error:
                error.prepend_path(name)
                raise
            if serialized is not None:
                out[stored] = {attr_type: serialized}
            elif null_check and not attribute.null:
                raise AttributeNullError(name)
        return out

    def put_fields(self, condition: Condition | None = None) -> dict[str, Any]:
        """``get_save_kwargs_from_instance(condition)`` without its ``TableName``: the item, and
        for a versioned one its next version, on condition that it is still at the one it was
        read at (or that it is new), joined to the caller's condition as PynamoDB joins them.
        PynamoDB builds the version condition from path and value objects and then serialises
        them, which costs more than serialising the item; here only the caller's condition is
        serialised (by PynamoDB) and the rest is written out. ``tests/unit/test_fast_instantiate.py``
        holds the result to PynamoDB's for every kind of item, with and without conditions."""
        item = self.serialize(null_check=True)
        names: dict[str, str] = {}  # attribute name -> placeholder, numbered as PynamoDB numbers them
        values: dict[str, Any] = {}
        expression = None if condition is None else condition.serialize(names, values)
        stored = _version_name(type(self))
        if stored is not None:
            version = getattr(self, self._version_attribute_name)  # type: ignore[arg-type]
            name = names.setdefault(stored, f"#{len(names)}")
            if version is None:
                item[stored] = {"N": "1"}
                check = f"attribute_not_exists ({name})"
            else:
                item[stored] = {"N": str(version + 1)}
                placeholder = f":{len(values)}"
                values[placeholder] = {"N": str(version)}
                check = f"{name} = {placeholder}"
            expression = check if expression is None else f"({expression} AND {check})"
        fields: dict[str, Any] = {"Item": item}
        if expression is not None:
            fields["ConditionExpression"] = expression
        if names:
            fields["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
        if values:
            fields["ExpressionAttributeValues"] = values
        return fields


@cache
def _version_name(model: type[Item]) -> str | None:
    """The stored name of ``model``'s version attribute, if it has one."""
    name = model._version_attribute_name
    return None if name is None else model.get_attributes()[name].attr_name


_I = TypeVar("_I", bound=Item)


class _Write(Enum):
    """How ``Item.serialize`` writes an attribute."""

    STRING = "stored as it is"
    MOMENT = "UTCDateTimeAttribute's text, cached"
    CONTAINER = "a map or a list: its serialize, with null_check"
    OTHER = "its serialize"
    DESCRIPTOR = "read through its descriptor (which converts), then its serialize"


_Writing = list[tuple[str, str, str, Attribute[Any], _Write]]


@cache
def _writing(model: type[Item]) -> _Writing:
    """Per attribute of ``model``: its Python name, its stored name, its DynamoDB type, the
    attribute and how to write it."""
    return [
        (name, attribute.attr_name, attribute.attr_type, attribute, _how(attribute))
        for name, attribute in model.get_attributes().items()
    ]


def _how(attribute: Attribute[Any]) -> _Write:
    kind = type(attribute)
    if kind.__get__ not in (Attribute.__get__, MapAttribute.__get__):  # MapAttribute's only calls Attribute's
        return _Write.DESCRIPTOR  # the version attribute: casts a float to int
    if kind is UnicodeAttribute:
        return _Write.STRING
    if kind is UTCDateTimeAttribute:
        return _Write.MOMENT
    if isinstance(attribute, ListAttribute | MapAttribute):
        return _Write.CONTAINER
    return _Write.OTHER


_MOMENT = UTCDateTimeAttribute()


@lru_cache(maxsize=256)
def moment_text(value: datetime) -> str:
    """UTCDateTimeAttribute.serialize, cached: a request stores its one moment on several items,
    an import chunk its one moment on every row (``raw`` writes it with this too)."""
    return _MOMENT.serialize(value)  # type: ignore[no-any-return]


class _Store(Enum):
    """How a value goes into an item's ``attribute_values``."""

    DIRECT = "as it is: the descriptor would store it unchanged"
    RAW_MAP = "a mapping built into a MapAttribute, as the map's descriptor does"
    DESCRIPTOR = "through the descriptor, which checks or converts it"


_Read = Callable[[dict[str, Any]], Any]
_Step = tuple[str, str, Attribute[Any], Any, _Store, _Read]
_Plan = tuple[str | None, list[_Step]]


@cache
def _plan(model: type[Item]) -> _Plan:
    """(discriminator's name when the class is registered under one, and per attribute: its
    Python name, its stored name, the attribute, its default for a loaded item, how its value
    is stored, and how it is read from its stored form)."""
    attributes = model.get_attributes()
    discriminator_name: str | None = getattr(model, "_discriminator", None)
    discriminator = None
    if discriminator_name and attributes[discriminator_name].get_discriminator(model) is not None:  # type: ignore[attr-defined]
        discriminator = discriminator_name
    steps = [
        (name, attribute.attr_name, attribute, attribute.default, _store(attribute), _reader(attribute))
        for name, attribute in attributes.items()
        if name != discriminator_name
    ]
    return discriminator, steps


def _begin(item: Item, model: type[Item]) -> tuple[dict[str, Any], list[_Step]]:
    """``item`` (of ``model``) with empty values but its discriminator, and ``model``'s plan."""
    values: dict[str, Any] = {}
    item.attribute_values = values
    discriminator, steps = _plan(model)
    if discriminator is not None:
        values[discriminator] = model
    return values, steps


def _store(attribute: Attribute[Any]) -> _Store:
    setter = type(attribute).__set__
    if setter is Attribute.__set__:
        return _Store.DIRECT
    if type(attribute) is MapAttribute:
        return _Store.RAW_MAP
    return _Store.DESCRIPTOR


@cache
def _stores(model: type[Item]) -> dict[str, _Store]:
    """How ``Item.__init__`` stores each attribute a caller may name (the discriminator's
    descriptor checks the value names the class)."""
    return {name: _store(attribute) for name, attribute in model.get_attributes().items()}


def _put(item: Item, values: dict[str, Any], name: str, value: Any, store: _Store) -> None:
    if store is _Store.DIRECT:
        values[name] = value
    elif store is _Store.RAW_MAP:
        values[name] = _raw_map(value)
    else:
        setattr(item, name, value)


def _reader(attribute: Attribute[Any]) -> _Read:
    """What ``attribute.deserialize(attribute.get_value(stored))`` returns, read directly for the
    types most items hold. A stored value these cannot read (a wrong type, a malformed time)
    raises, and ``_instantiate`` then reads it PynamoDB's way, which raises PynamoDB's error."""
    kind, attr_type = type(attribute), attribute.attr_type
    if kind is UnicodeAttribute:
        return operator.itemgetter(attr_type)
    if kind is UTCDateTimeAttribute:
        parse = UTCDateTimeAttribute._fast_parse_utc_date_string
        return lambda stored: parse(stored[attr_type])
    if kind is NumberAttribute:
        return lambda stored: _number(stored[attr_type])
    if kind is BooleanAttribute:
        return lambda stored: bool(stored[attr_type])
    if kind is MapAttribute:
        return lambda stored: _document_map(stored[attr_type])
    if kind is ListAttribute:
        element = attribute.element_type  # type: ignore[attr-defined]
        if element is None:
            return lambda stored: [_document(value) for value in stored[attr_type]]
        if element is UnicodeAttribute:
            return lambda stored: [None if NULL in value else value["S"] for value in stored[attr_type]]
        if element is MapAttribute:
            return lambda stored: [None if NULL in value else _document_map(value["M"]) for value in stored[attr_type]]
    return lambda stored: attribute.deserialize(attribute.get_value(stored))


def _number(text: str) -> Any:
    """NumberAttribute.deserialize (``json.loads``), without the JSON decoder for whole numbers."""
    return int(text) if text.isdecimal() and text.isascii() else json.loads(text)


def _document(typed: dict[str, Any]) -> Any:
    """A value inside a raw map or an untyped list, as PynamoDB's DESERIALIZE_CLASS_MAP reads it."""
    ((attr_type, value),) = typed.items()
    if attr_type == "S":
        return value
    if attr_type == "N":
        return _number(value)
    if attr_type == "M":
        return _document_map(value)
    if attr_type == "L":
        return [_document(element) for element in value]
    if attr_type == "BOOL":
        return bool(value)
    if attr_type == NULL:
        return None
    return DESERIALIZE_CLASS_MAP[attr_type].deserialize(value)


def _document_map(stored: dict[str, Any]) -> dict[str, Any]:
    return {key: _document(typed) for key, typed in stored.items()}


_MAP_ARGUMENTS = frozenset(MapAttribute.attribute_args)


def _raw_map(value: Any) -> Any:
    """What a raw ``MapAttribute``'s descriptor stores for ``value``: for a mapping, the
    ``MapAttribute(**value)`` it builds (its values kept as they are: nested maps stay dicts),
    without running the attribute and container constructors for it; anything else unchanged."""
    if not isinstance(value, Mapping):
        return value
    if not _MAP_ARGUMENTS.isdisjoint(value) or not all(type(key) is str for key in value):
        return MapAttribute(**value)  # names the constructor takes as its own arguments: its way
    built = MapAttribute.__new__(MapAttribute)
    built.__dict__.update(attribute_kwargs={}, attribute_values=dict(value))  # as its __init__ leaves them
    return built


class AccountItem(Item, discriminator="account"):
    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    account_kind = UnicodeAttribute(default="person")
    company = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    emails = ListAttribute(of=UnicodeAttribute, null=True)
    phones = ListAttribute(of=UnicodeAttribute, null=True)
    address = MapAttribute(null=True)  # type: ignore[var-annotated]
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    journey_stage = UnicodeAttribute(default="awareness")
    risk = MapAttribute(null=True)  # type: ignore[var-annotated]
    contact_opt_out = BooleanAttribute(default=False)
    notes = UnicodeAttribute(null=True)
    custom_fields = MapAttribute(null=True)  # type: ignore[var-annotated]
    source = UnicodeAttribute(default="api")
    referred_by_account_id = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ClaimItem(Item, discriminator="claim"):
    """A unique claim on an e-mail or phone inside one organisation; points at its account."""

    account_id = UnicodeAttribute()


class NameKeyItem(Item, discriminator="name_key"):
    """One word-aligned suffix of an account's folded name, for prefix search."""

    account_id = UnicodeAttribute()


class AccessItem(Item, discriminator="access"):
    """A rep may see this account because one of their leads (or orders) hangs off it."""

    account_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    reasons = NumberAttribute(default=1)  # how many of the rep's records need the link


class LinkItem(Item, discriminator="link"):
    """Marks a partition (a lead, an order ...) attached to an account, so erasure can find it."""

    target_pk = UnicodeAttribute()


class SettingsItem(Item, discriminator="settings"):
    org_id = UnicodeAttribute()
    data = MapAttribute()  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class TimelineItem(Item, discriminator="timeline"):
    """One entry of an account's merged, newest-first history (``sk = TL#<at>#<kind>#<id>``)."""

    id = UnicodeAttribute()
    entry_type = UnicodeAttribute()
    at = UnicodeAttribute()
    data = MapAttribute(null=True)  # type: ignore[var-annotated]
    account_id = UnicodeAttribute(null=True)
    entity_id = UnicodeAttribute(null=True)  # what the entry records: interaction, lead, order ...
    lead_id = UnicodeAttribute(null=True)
    version = VersionAttribute()


_bound_to: str | None = None


def bind(table_name: str) -> None:
    """Point every model at the physical table (idempotent, cheap), through one connection.

    PynamoDB caches a connection on the first class that asks for one, and each connection builds
    its own botocore session and client when first used (~130 ms of a cold start each). The base
    class's connection is made here, so every model inherits it and all share one client."""
    global _bound_to
    if _bound_to != table_name:
        Item.Meta.table_name = table_name
        for model in _models(Item):
            if "_connection" in vars(model):  # made before this binding: drop it, inherit the base's
                delattr(model, "_connection")
        Item._get_connection()  # PynamoDB makes a new one: the table name changed
        _bound_to = table_name


def _models(base: type[Item]) -> list[type[Item]]:
    found: list[type[Item]] = []
    for model in base.__subclasses__():
        found += [model, *_models(model)]
    return found


class _LeadFields(Item):
    """What a lead item holds; shared by the lead and its list-index copies."""

    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    title = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    status = UnicodeAttribute()
    value = MapAttribute(null=True)  # type: ignore[var-annotated]
    source = UnicodeAttribute(null=True)
    lost_reason = UnicodeAttribute(null=True)
    lost_after_objection_id = UnicodeAttribute(null=True)
    referred_by_account_id = UnicodeAttribute(null=True)
    referral_request_id = UnicodeAttribute(null=True)
    stage_entered_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    custom_fields = MapAttribute(null=True)  # type: ignore[var-annotated]
    extra = MapAttribute(null=True)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class LeadItem(_LeadFields, discriminator="lead"):
    version = VersionAttribute()


class LeadIndexItem(_LeadFields, discriminator="lead_index"):
    """A copy of a lead in its own partition (``sk = #INDEX#n``) that lists it under the filters
    the lead item's three index entries cannot (status, stage, and those with an owner). Written
    with the lead in every change, unconditioned (the lead item carries the version condition);
    ``version`` mirrors the lead's. Its own kind keeps it out of anything that reads leads."""

    lead_version = NumberAttribute(null=True)


class StageMoveItem(Item, discriminator="stage_move"):
    """One entry of a lead's stage history (``sk = HIST#<at>#<seq>``); written once, never changed."""

    lead_id = UnicodeAttribute()
    from_stage = UnicodeAttribute(null=True)
    to_stage = UnicodeAttribute()
    status = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    note = UnicodeAttribute(null=True)


class ObjectionItem(Item, discriminator="objection"):
    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    lead_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    category = UnicodeAttribute()
    text = UnicodeAttribute()
    raised_by = UnicodeAttribute()
    counter_offer = MapAttribute(null=True)  # type: ignore[var-annotated]
    response = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    resolved_at = UTCDateTimeAttribute(null=True)
    preceded_loss = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ReferralRequestItem(Item, discriminator="referral_request"):
    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    lead_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    asked_by = UnicodeAttribute()
    channel = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    referred_lead_ids = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class RepItem(Item, discriminator="rep"):
    user_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    timezone = UnicodeAttribute()
    working_hours = MapAttribute(null=True)  # type: ignore[var-annotated]
    available = BooleanAttribute(default=True)
    weekly_goals = MapAttribute(null=True)  # type: ignore[var-annotated]
    team = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ScorecardScheduleItem(Item, discriminator="scorecard_schedule"):
    """When a rep's next weekly scorecard e-mail is due (``pk = ORG#o#REP#u``, ``sk = #SCORECARD``):
    itself the due entry, on gsi3 ``DUE#SCORECARD#<shard>`` / ``<due moment>#o#u``."""

    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    last_sent_week = UnicodeAttribute(null=True)  # sent or skipped (no e-mail); None: never
    due_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class SendOnceItem(Item, discriminator="send_once"):
    """The claim of one send key (``sk = #ONCE#<key>`` in the recipient's partition): the message
    it let out. Expires (TTL) long after the key could be used again."""

    message_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class ImportItem(Item, discriminator="import"):
    """A CSV import job: request, progress (resume position) and report."""

    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    owner_role = UnicodeAttribute()
    import_type = UnicodeAttribute()
    origin = UnicodeAttribute()
    status = UnicodeAttribute()
    dry_run = BooleanAttribute(default=False)
    object_key = UnicodeAttribute(null=True)
    checksum = UnicodeAttribute(null=True)
    mapping = MapAttribute(null=True)  # type: ignore[var-annotated]
    encoding = UnicodeAttribute(null=True)
    csv_format = MapAttribute(null=True)  # type: ignore[var-annotated]
    header = ListAttribute(of=UnicodeAttribute, null=True)
    columns = ListAttribute(null=True)  # type: ignore[var-annotated]
    resume_offset = NumberAttribute(default=0)
    next_row = NumberAttribute(default=2)
    processed_rows = NumberAttribute(default=0)
    total_rows = NumberAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    counters = MapAttribute(null=True)  # type: ignore[var-annotated]
    errors = ListAttribute(null=True)  # type: ignore[var-annotated]
    warnings = ListAttribute(null=True)  # type: ignore[var-annotated]
    failure = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class OrderItem(Item, discriminator="order"):
    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    items = ListAttribute(of=MapAttribute)  # type: ignore[var-annotated]
    currency = UnicodeAttribute()
    total = UnicodeAttribute()
    payment = UnicodeAttribute()
    status = UnicodeAttribute()
    delivery_address = MapAttribute(null=True)  # type: ignore[var-annotated]
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    needs_call = BooleanAttribute(default=False)
    risk = MapAttribute(null=True)  # type: ignore[var-annotated]
    language = UnicodeAttribute(default="ar")
    ladder = MapAttribute(null=True)  # type: ignore[var-annotated]
    ladder_step = NumberAttribute(default=0)
    ladder_due_at = UTCDateTimeAttribute(null=True)
    support_email = UnicodeAttribute(null=True)
    confirmed_by = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    delivered = BooleanAttribute(default=False)
    paid = BooleanAttribute(default=False)
    match_keys = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class OrderEventItem(Item, discriminator="order_event"):
    """One entry of an order's history (``sk = EV#<at>#<seq>``); written once."""

    order_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    from_status = UnicodeAttribute()
    to_status = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    note = UnicodeAttribute(null=True)


class MatchKeyItem(Item, discriminator="order_match"):
    """A normalised phone, e-mail or address and the compact history of the orders that used it:
    ``orders`` maps order id -> {"account_id", "at", "outcome", "outcome_at", "delivered", "paid"}."""

    key_type = UnicodeAttribute()
    orders = MapAttribute(null=True)  # type: ignore[var-annotated]


class DueItem(Item, discriminator="due"):
    """Work due at a moment (``sk = <moment>#<org>#<id>``) in a sharded ``DUE#…`` partition: a
    confirmation-ladder step, or an outbox message to send / to confirm sent. Read only by jobs."""

    org_id = UnicodeAttribute()
    target_pk = UnicodeAttribute()
    target_sk = UnicodeAttribute()
    step = NumberAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)  # an outbox entry's order, read with the message
    target = UnicodeAttribute(null=True)  # a follow-up entry's planned item (serialised JSON), read instead of it


class MessageItem(Item, discriminator="message"):
    """An outbox message in its account's (or, to a rep, the rep's) partition (``sk = MSG#<created>#<id>``)."""

    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)  # None: a message to a rep (rep_id), kept in the rep's partition
    rep_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    message_kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    template = UnicodeAttribute()
    placeholders = MapAttribute(null=True)  # type: ignore[var-annotated]
    to = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    reply_to = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    failure_reason = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    timeline_sk = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class FollowUpItem(Item, discriminator="follow_up"):
    """One planned follow-up of an order (``pk = ORG#o#ORDER#id``, ``sk = FU#<kind>#<day>``)."""

    org_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    follow_up_kind = UnicodeAttribute()
    day = NumberAttribute()
    day0 = UTCDateTimeAttribute()
    due_at = UTCDateTimeAttribute()
    refund_until = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    details = MapAttribute(null=True)  # type: ignore[var-annotated]
    # What the messages need of the order (first product, lines, email, phone), copied on day 0;
    # absent on items planned before plans carried it.
    order = MapAttribute(null=True)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class CouponItem(Item, discriminator="coupon"):
    """A coupon (``pk = ORG#o#COUPON#<code>``); redeemed by one conditional write."""

    code = UnicodeAttribute()
    org_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # the order whose follow-up issued it
    percent_off = NumberAttribute(null=True)
    amount_off = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    valid_until = UTCDateTimeAttribute()  # not ``expires_at``: that is the table's TTL attribute
    status = UnicodeAttribute()
    redeemed_order_id = UnicodeAttribute(null=True)
    redeemed_at = UTCDateTimeAttribute(null=True)
    redeemed_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class CounterItem(Item, discriminator="counter"):
    """Report counters of one scope and period (``pk = ORG#o#STATS#<scope>``, ``sk = <period>``).
    The counters themselves are plain number attributes named by the reports
    (``leads``, ``reached_closing``, ``rm_15`` ...), changed only with ``ADD``; read raw."""

    scope = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)


class InquiryItem(Item, discriminator="inquiry"):
    """A conversation's first inbound message as the contact-success report counts it."""

    id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    lead_id = UnicodeAttribute(null=True)
    rep_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    group_id = UnicodeAttribute()
    intent = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    responded_at = UTCDateTimeAttribute(null=True)
    response_minutes = NumberAttribute(null=True)
    version = VersionAttribute()


class QuoteChangeItem(Item, discriminator="quote_change"):
    """One change of a lead's quoted value, with its reason (``sk = HISTV#<at>#<seq>``)."""

    lead_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    old_value = MapAttribute(null=True)  # type: ignore[var-annotated]
    new_value = MapAttribute(null=True)  # type: ignore[var-annotated]
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UTCDateTimeAttribute()
