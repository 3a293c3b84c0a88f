"""The bulk path's attribute dicts (``persistence.raw``) are exactly what PynamoDB's ``serialize()``
makes of the same models, so the schema stays defined once, in ``models.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.accounts import Account
from chalicelib.persistence import accounts, raw
from chalicelib.persistence.models import AccessItem, AccountItem, ClaimItem, Item, NameKeyItem

AT = datetime(2026, 11, 22, 9, 30, 5, 123456, tzinfo=UTC)

PLAIN = Account(id="a1", org_id="o1", name="Sara Haddad", owner_id="u1", created_at=AT, updated_at=AT)
FULL = Account(
    id="a2",
    org_id="o1",
    name="محمد أحمد علي",
    owner_id="rep-7",
    # another zone than UTC, and a later update: both are stored in UTC
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=3))),
    updated_at=AT,
    kind="company",
    company="Acme Trading",
    title="Buyer",
    emails=["sara@example.com", "s.h@example.org"],
    phones=["+12122000001", "+966501234567"],
    address={"line1": "1 King Rd", "city": "Riyadh", "country": "SA"},
    tags=["vip", "do-not-call"],
    journey_stage="purchase",
    risk={"level": "high", "reasons": ["refused 2 orders"], "score": 3, "weight": 0.5, "flag": True, "x": None},
    contact_opt_out=True,
    notes="met at expo\nwants a demo",
    custom_fields={"Lead Source": "Expo", "column 9": "x"},
    source="import",
    referred_by_account_id="a0",
    language="ar",
)
EMPTY_NAME_WORDS = replace(PLAIN, id="a3", name="  ", emails=["only@example.com"])


def _pynamodb(account: Account) -> list[dict]:
    items = accounts.creation_items(account)
    for item in items:
        if isinstance(item, AccountItem):
            item.version = 1  # what a conditioned save (and the bulk writer) sets on a new item
    return [item.serialize() for item in items]


@pytest.mark.parametrize("account", [PLAIN, FULL, EMPTY_NAME_WORDS], ids=["plain", "full", "no-name-keys"])
def test_an_accounts_creation_items_serialise_as_pynamodb_does(account):
    assert accounts.creation_raw(account) == _pynamodb(account)


def test_the_full_account_writes_every_kind_of_item():
    kinds = [item["kind"]["S"] for item in accounts.creation_raw(FULL)]
    assert kinds == ["account"] + ["claim"] * 4 + ["name_key"] * 2


def test_defaults_fill_what_is_not_given_and_none_is_left_out():
    values = {"pk": "p", "sk": "s", "account_id": "a", "user_id": "u", "gsi1pk": None}
    assert raw.serialize(AccessItem, values) == AccessItem(**values).serialize()
    assert raw.serialize(AccessItem, values)["reasons"] == {"N": "1"}
    assert raw.serialize(AccessItem, {**values, "reasons": 3})["reasons"] == {"N": "3"}


def test_a_missing_required_attribute_or_an_unknown_one_is_refused():
    with pytest.raises(ValueError, match="account_id"):
        raw.serialize(ClaimItem, {"pk": "p", "sk": "s"})
    with pytest.raises(ValueError, match="colour"):
        raw.serialize(NameKeyItem, {"pk": "p", "sk": "s", "account_id": "a", "colour": "red"})


def test_an_attribute_type_it_does_not_know_fails_loudly():
    with pytest.raises(TypeError, match="TTLAttribute"):
        raw.serialize(ClaimItem, {"pk": "p", "sk": "s", "account_id": "a", "expires_at": AT})


def test_key_of_reads_the_item_key():
    assert raw.key_of(raw.serialize(ClaimItem, {"pk": "p", "sk": "s", "account_id": "a"})) == ("p", "s")
    assert raw.serialize(Item, {"pk": "p", "sk": "s"}) == {"pk": {"S": "p"}, "sk": {"S": "s"}}
