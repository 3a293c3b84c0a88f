"""The limits the API enforces and the ones the CSV import caps at are the same numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import limits
from chalicelib.domain.accounts import Account, AccountCreate
from chalicelib.domain.imports.merge import merge_account
from chalicelib.domain.pipeline import LeadCreate

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _schema_of(model, name):
    prop = model.model_json_schema()["properties"][name]
    return next(p for p in prop.get("anyOf", [prop]) if p.get("type") in ("array", "object"))


def test_the_api_refuses_what_the_import_caps():
    assert _schema_of(AccountCreate, "emails")["maxItems"] == limits.MAX_CONTACTS
    assert _schema_of(AccountCreate, "phones")["maxItems"] == limits.MAX_CONTACTS
    assert _schema_of(AccountCreate, "tags")["maxItems"] == limits.MAX_TAGS
    assert _schema_of(AccountCreate, "custom_fields")["maxProperties"] == limits.MAX_CUSTOM_FIELDS
    assert _schema_of(LeadCreate, "custom_fields")["maxProperties"] == limits.MAX_CUSTOM_FIELDS


def test_a_merge_keeps_within_the_same_limits():
    def account(n: int, prefix: str) -> Account:
        return Account(
            id="a",
            org_id="o",
            name="x",
            owner_id="u",
            created_at=NOW,
            updated_at=NOW,
            emails=[f"{prefix}{i}@x.com" for i in range(n)],
            tags=[f"{prefix}{i}" for i in range(n * 5)],
            custom_fields={f"{prefix}{i}": "v" for i in range(n * 10)},
        )

    merged = merge_account(account(8, "a"), account(8, "b"), now=NOW)
    assert len(merged.emails) == limits.MAX_CONTACTS
    assert len(merged.tags) == limits.MAX_TAGS
    assert len(merged.custom_fields) == limits.MAX_CUSTOM_FIELDS
