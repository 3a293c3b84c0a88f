"""Account use cases: create, read, change, list, search and erase customers."""

from __future__ import annotations

import hashlib

from chalicelib import storage
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
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.normalize import looks_like_phone, normalize_email, normalize_phone
from chalicelib.domain.paging import Page
from chalicelib.domain.principal import Principal, owner_for
from chalicelib.domain.reports import counters
from chalicelib.domain.versioning import check_version
from chalicelib.ids import new_id
from chalicelib.observability import logger
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


def delete_account(principal: Principal, account_id: str) -> store.ErasureRequest:
    """Ask for an account's erasure (see ``check_may_erase``). At most four DynamoDB calls: the
    account; for a rep, its lead links and those leads (other reps' leads forbid it); then one
    transaction removes the profile, claims and name keys and records the request. The rest
    (leads, orders, timeline, match-key entries, report counters) is erased by the worker
    (``finish_erasure``), started through the work queue and, if that message is lost, by the
    ``resume_erasures`` job."""
    account = store.get(principal, account_id)
    check_may_erase(principal, account)
    if not principal.sees_whole_org:
        check_leads_allow_erasure(principal, store.lead_owners(account))
    request = store.request_erasure(account, now())
    _enqueue(request)
    return request


def _enqueue(request: store.ErasureRequest) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        storage.enqueue_erasure(request.org_id, request.account_id, request.entry_sk)
    except (BotoCoreError, ClientError):  # the request is stored: the sweeper queues it again later
        logger.warning("erasure not queued; the sweeper will", extra={"account_id": request.account_id}, exc_info=True)
        return False
    return True


def finish_erasure(org_id: str, account_id: str, entry_sk: str) -> bool:
    """The worker: erase what is attached to the account, once. Idempotent: a retry (after a crash
    anywhere in it) reads what is left and finishes; the report counters lose what the customer
    added exactly once (``stats.apply`` with a key named by a digest, so the counters keep no id of
    the erased customer). False when there was nothing (left) to do, or orders kept landing on the
    customer's match keys (the sweeper tries again later)."""
    request = store.pending_erasure(org_id, account_id, entry_sk)
    if request is None:
        return False
    plan = store.plan_erasure(org_id, account_id)
    once = "erase#" + hashlib.sha256(f"{org_id}|{account_id}".encode()).hexdigest()[:24]
    stats.apply(org_id, counters.difference({}, contributions(org_id, plan.rows)), once=once)
    try:
        store.erase(plan, request)
    except Conflict:
        logger.warning("erasure postponed: match keys busy", extra={"account_id": account_id})
        return False
    return True


def resume_erasures() -> dict[str, int]:
    """Queue again every erasure not finished by its moment (a lost message, a worker that died,
    busy match keys): one Query per shard, no other read."""
    stalled = store.stalled_erasures(now())
    queued = sum(1 for request in stalled if _enqueue(request))
    return {"queued": queued, "not_queued": len(stalled) - queued}


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
