"""Account use cases: create, read, change, list, search and erase customers."""

from __future__ import annotations

import hashlib

from chalicelib.config import now
from chalicelib.domain.accounts import (
    Account,
    AccountCreate,
    AccountPatch,
    apply_changes,
    check_leads_allow_erasure,
    check_may_erase,
    new_account,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.normalize import looks_like_phone, normalize_email, normalize_phone
from chalicelib.domain.paging import Page
from chalicelib.domain.principal import Principal, owner_for
from chalicelib.domain.reports import counters
from chalicelib.domain.versioning import check_version
from chalicelib.ids import new_id
from chalicelib.persistence import accounts as store
from chalicelib.persistence import db, stats
from chalicelib.persistence import org as org_store
from chalicelib.persistence.report_sources import contributions

MAX_QUERY = 200

__all__ = ["check_version", "create_account", "delete_account", "get_account", "list_accounts", "update_account"]


def create_account(principal: Principal, data: AccountCreate) -> Account:
    settings = org_store.get_settings(principal.org_id).settings
    account = new_account(
        account_id=new_id(),
        org_id=principal.org_id,
        owner_id=owner_for(principal, data.owner_id, what="an account"),
        data=data,
        default_country=settings.default_country,
        now=now(),
    )
    with db.transaction() as tx:
        saved = store.add(tx, account)
    return saved


def get_account(principal: Principal, account_id: str) -> Account:
    return store.get(principal, account_id)


def update_account(principal: Principal, account_id: str, patch: AccountPatch) -> Account:
    before = store.get(principal, account_id)
    check_version(before.version, patch.version)
    if "owner_id" in patch.model_fields_set and patch.owner_id != before.owner_id and not principal.sees_whole_org:
        raise ValidationFailed.single("owner_id", "only a manager or admin may reassign an account")
    settings = org_store.get_settings(principal.org_id).settings
    after = apply_changes(before, patch, default_country=settings.default_country, now=now())
    with db.transaction() as tx:
        saved = store.add_update(tx, before, after)
    return saved


def delete_account(principal: Principal, account_id: str) -> None:
    """Erase an account and everything attached to it (see ``check_may_erase``); what its items
    added to the report counters is taken off first."""
    account = store.get(principal, account_id)
    check_may_erase(principal, account)
    plan = store.plan_erasure(account)
    check_leads_allow_erasure(principal, plan.lead_owners)
    # Named, so a retry after a crash part way through takes off only what the first try did not;
    # by a digest, so the counters keep no id of the erased customer.
    once = "erase#" + hashlib.sha256(f"{account.org_id}|{account.id}".encode()).hexdigest()[:24]
    stats.apply(account.org_id, counters.difference({}, contributions(account.org_id, plan.rows)), once=once)
    store.erase(plan)


def list_accounts(principal: Principal, *, limit: int, cursor: str | None, query: str | None) -> Page[Account]:
    if not query or not query.strip():
        return store.list_page(principal, limit, cursor)
    text = query.strip()
    if len(text) > MAX_QUERY:
        raise ValidationFailed.single("q", f"must be at most {MAX_QUERY} characters")
    if "@" in text:
        email = normalize_email(text)
        found = store.find_by_email(principal, email) if email else []
        return Page(found, None)
    if looks_like_phone(text):
        country = org_store.get_settings(principal.org_id).settings.default_country
        phone = normalize_phone(text, country)
        found = store.find_by_phone(principal, phone) if phone else []
        return Page(found, None)
    return store.search_names(principal, text, limit, cursor)
