"""new_account and apply_changes: what the client sent is applied, what it left out is kept, and
neither the request nor the account it changes is touched."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.accounts import AccountCreate, AccountPatch, apply_changes, new_account
from chalicelib.domain.errors import ValidationFailed

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


def _account():
    data = AccountCreate.model_validate(
        {
            "name": "  Sara   Haddad ",
            "emails": ["Sara@Example.com", "sara@example.com"],
            "phones": ["050 123 4567"],
            "company": "Haddad Trading",
            "tags": [" vip ", "vip", "b2b"],
            "address": {"city": "Dubai", "country": "AE"},
            "custom_fields": {"source_id": "77"},
            "notes": "met at expo",
        }
    )
    return new_account(account_id="a1", org_id="o1", owner_id="rep-1", data=data, default_country="AE", now=NOW), data


def test_a_new_account_holds_what_was_sent_normalised_and_defaults_for_the_rest():
    account, _ = _account()
    assert account.name == "Sara Haddad"
    assert account.emails == ["sara@example.com"]
    assert account.phones == ["+971501234567"]
    assert account.tags == ["vip", "b2b"]
    assert account.address == {"city": "Dubai", "country": "AE"}
    assert account.custom_fields == {"source_id": "77"}
    assert (account.company, account.notes, account.title) == ("Haddad Trading", "met at expo", "")
    assert (account.kind, account.journey_stage, account.contact_opt_out) == ("person", "awareness", False)
    assert account.risk == {"level": "low", "reasons": []}
    assert account.created_at == account.updated_at == NOW
    assert (account.owner_id, account.language) == ("rep-1", None)


def test_a_new_account_shares_no_container_with_the_request():
    account, data = _account()
    account.custom_fields["added"] = "x"
    assert data.custom_fields == {"source_id": "77"}


def test_changes_apply_only_what_was_sent_and_leave_the_account_they_change_alone():
    account, _ = _account()
    before = asdict(account)
    patch = AccountPatch.model_validate({"notes": "", "phones": ["+971 4 312 3456"], "version": 3})
    changed = apply_changes(account, patch, default_country="AE", now=LATER)
    assert asdict(account) == before
    assert changed is not account
    assert changed.notes == ""  # sent, though it is the default
    assert changed.phones == ["+97143123456"]
    assert changed.emails == ["sara@example.com"]  # not sent: kept
    assert (changed.company, changed.custom_fields, changed.tags) == (
        "Haddad Trading",
        {"source_id": "77"},
        ["vip", "b2b"],
    )
    assert (changed.created_at, changed.updated_at) == (NOW, LATER)
    assert changed.version == account.version  # the version is the store's, not the patch's


def test_changed_custom_fields_are_the_accounts_own():
    account, _ = _account()
    patch = AccountPatch.model_validate({"custom_fields": {"tier": "gold"}})
    changed = apply_changes(account, patch, default_country="AE", now=LATER)
    changed.custom_fields["added"] = "x"
    assert patch.custom_fields == {"tier": "gold"}
    assert account.custom_fields == {"source_id": "77"}


def test_null_clears_lists_address_and_risk_but_keeps_the_owner():
    account, _ = _account()
    patch = AccountPatch.model_validate({"tags": None, "address": None, "risk": None, "owner_id": None, "emails": None})
    changed = apply_changes(account, patch, default_country="AE", now=LATER)
    assert (changed.tags, changed.address, changed.emails) == ([], {}, [])
    assert changed.risk == {"level": "low", "reasons": []}
    assert changed.owner_id == "rep-1"
    assert changed.phones == account.phones


@pytest.mark.parametrize("field", ["kind", "company", "title", "journey_stage", "contact_opt_out", "notes"])
def test_null_is_refused_for_a_field_that_cannot_be_empty(field):
    account, _ = _account()
    patch = AccountPatch.model_construct(**{field: None})  # past the schema, as a missed check would be
    with pytest.raises(ValidationFailed) as failed:
        apply_changes(account, patch, default_country="AE", now=LATER)
    assert [(e.field, e.message) for e in failed.value.errors] == [(field, "must not be null")]


def test_a_name_that_cleans_to_nothing_is_refused():
    account, _ = _account()
    with pytest.raises(ValidationFailed):
        apply_changes(account, AccountPatch.model_validate({"name": " \t "}), default_country="AE", now=LATER)
