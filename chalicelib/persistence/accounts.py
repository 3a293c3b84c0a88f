"""Accounts in DynamoDB: the profile item, its unique e-mail/phone claims and name-search keys."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import size

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.normalize import fold_name, name_search_keys
from chalicelib.domain.order_risk import forgotten
from chalicelib.domain.principal import Principal
from chalicelib.persistence import db, due, keys, raw
from chalicelib.persistence.models import (
    AccessItem,
    AccountItem,
    ClaimItem,
    DueItem,
    Item,
    LeadItem,
    LinkItem,
    MatchKeyItem,
    NameKeyItem,
    OrderItem,
)

STALE = "The account was changed by someone else; reload it and apply your edit again."
MATCH_KEY_ATTEMPTS = 3  # reads of the match keys an erasure edits (again after a lost race)
MATCH_KEYS_PER_TRANSACTION = 100  # DynamoDB's limit of operations in one TransactWriteItems
MATCH_KEYS_BUSY = "Orders were being placed with this customer's phone, e-mail or address; retry the erasure."
# An erasure the worker has not finished by then is queued again by the sweeper (resume_erasures).
ERASURE_RETRY_AFTER = timedelta(minutes=2)
NAME_PAGE_OVERFETCH = 2  # name keys per account are few; read a little more than a page


def _profile(account: Account, name_keys: list[str] | None = None) -> dict[str, Any]:
    """The profile item's attributes (``AccountItem``'s names); ``name_keys``: the name's search
    keys, when the caller already has them."""
    created = keys.sortable(account.created_at, account.id)
    values: dict[str, Any] = {
        "pk": keys.account(account.org_id, account.id),
        "sk": keys.PROFILE,
        "gsi1pk": keys.accounts_list(account.org_id),
        "gsi1sk": created,
        "gsi2pk": keys.owner_accounts(account.org_id, account.owner_id),
        "gsi2sk": created,
        **_name_index(account.org_id, account.id, _full_name_key(account, name_keys)),
        "id": account.id,
        "org_id": account.org_id,
        "name": account.name,
        "owner_id": account.owner_id,
        "account_kind": account.kind,
        "company": account.company or None,
        "title": account.title or None,
        "emails": account.emails,
        "phones": account.phones,
        "address": account.address or None,
        "tags": account.tags,
        "journey_stage": account.journey_stage,
        "risk": account.risk,
        "contact_opt_out": account.contact_opt_out,
        "notes": account.notes or None,
        "custom_fields": account.custom_fields or None,
        "source": account.source,
        "referred_by_account_id": account.referred_by_account_id,
        "language": account.language,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }
    if account.version:
        values["version"] = account.version
    return values


def _to_item(account: Account) -> AccountItem:
    return AccountItem(**_profile(account))


def to_domain(item: AccountItem) -> Account:
    a = db.fields(item)
    return Account(
        id=a.get("id"),
        org_id=a.get("org_id"),
        name=a.get("name"),
        owner_id=a.get("owner_id"),
        created_at=a.get("created_at"),
        updated_at=a.get("updated_at"),
        version=int(a.get("version") or 0),
        kind=a.get("account_kind"),
        company=a.get("company") or "",
        title=a.get("title") or "",
        emails=[str(v) for v in a.get("emails") or []],
        phones=[str(v) for v in a.get("phones") or []],
        address=db.plain(a.get("address")),
        tags=[str(v) for v in a.get("tags") or []],
        journey_stage=a.get("journey_stage"),
        risk=db.plain(a.get("risk")) or {"level": "low", "reasons": []},
        contact_opt_out=bool(a.get("contact_opt_out")),
        notes=a.get("notes") or "",
        custom_fields=db.plain(a.get("custom_fields")),
        source=a.get("source"),
        referred_by_account_id=a.get("referred_by_account_id"),
        language=a.get("language"),
    )


def _claim_keys(account: Account) -> list[str]:
    """The partitions of the account's unique e-mail and phone claims."""
    found = [keys.email_claim(account.org_id, email) for email in account.emails]
    found += [keys.phone_claim(account.org_id, phone) for phone in account.phones]
    return list(dict.fromkeys(found))


def _claims(account: Account) -> dict[str, ClaimItem]:
    return {pk: ClaimItem(pk, keys.CLAIM, account_id=account.id) for pk in _claim_keys(account)}


def _full_name_key(account: Account, name_keys: list[str] | None = None) -> str | None:
    names = name_search_keys(account.name) if name_keys is None else name_keys
    return names[0] if names else None


def _name_index(org_id: str, account_id: str, key: str | None) -> dict[str, Any]:
    """gsi3 attributes that list an item under a folded name in the name-search index."""
    if not key:
        return {"gsi3pk": None, "gsi3sk": None}
    return {"gsi3pk": keys.name_shard(org_id, key), "gsi3sk": keys.name_entry(key, account_id)}


def _name_key_entries(account: Account, name_keys: list[str] | None = None) -> list[tuple[str, str]]:
    """Keys of the items for the later words of the name ("احمد علي", "علي" of "محمد احمد علي");
    the full name is indexed by the profile itself (its gsi3), which saves an item per account."""
    entries = []
    for key in (name_search_keys(account.name) if name_keys is None else name_keys)[1:]:
        index = _name_index(account.org_id, account.id, key)
        pk, sk = index["gsi3pk"], index["gsi3sk"]
        assert pk and sk
        entries.append((pk, sk))
    return list(dict.fromkeys(entries))


def _name_keys(account: Account) -> dict[tuple[str, str], NameKeyItem]:
    return {
        (pk, sk): NameKeyItem(pk, sk, gsi3pk=pk, gsi3sk=sk, account_id=account.id)
        for pk, sk in _name_key_entries(account)
    }


def creation_items(account: Account) -> list[Item]:
    """Exactly the items ``create`` writes (profile, claims, name keys), for bulk writers that
    have already checked the claims are free (the CSV import)."""
    return [_to_item(account), *_claims(account).values(), *_name_keys(account).values()]


def creation_raw(account: Account) -> list[raw.Raw]:
    """``creation_items`` of a new account (version 1, as a conditioned save sets it) as the
    attribute dicts ``BatchWriteItem`` takes, built without model instances (``raw``)."""
    name_keys = name_search_keys(account.name)
    items = [raw.serialize(AccountItem, {**_profile(account, name_keys), "version": 1})]
    items += [
        raw.serialize(ClaimItem, {"pk": pk, "sk": keys.CLAIM, "account_id": account.id}) for pk in _claim_keys(account)
    ]
    items += [
        raw.serialize(NameKeyItem, {"pk": pk, "sk": sk, "gsi3pk": pk, "gsi3sk": sk, "account_id": account.id})
        for pk, sk in _name_key_entries(account, name_keys)
    ]
    return items


def claim_key(account_org: str, kind: str, value: str) -> str:
    """The claim partition of an e-mail (``kind="email"``) or phone (``"phone"``)."""
    return keys.email_claim(account_org, value) if kind == "email" else keys.phone_claim(account_org, value)


def _claim_conflict(pk: str) -> str:
    what = "e-mail address" if "#EMAIL#" in pk else "phone number"
    return f"Another account in your organisation already has this {what} ({pk.rsplit('#', 1)[-1]})."


def add(tx: db.Transaction, account: Account) -> Account:
    """Add a new account to a transaction: the profile, a unique claim per e-mail/phone (a taken
    one fails the transaction with a Conflict naming it), the name-search keys."""
    item = _to_item(account)
    tx.save(item, AccountItem.pk.does_not_exist(), conflict="This account already exists.")
    for pk, claim in _claims(account).items():
        tx.save(claim, ClaimItem.pk.does_not_exist(), conflict=_claim_conflict(pk))
    for entry in _name_keys(account).values():
        tx.save(entry)
    return _saved(account)


def add_update(tx: db.Transaction, before: Account, after: Account) -> Account:
    """Add a change to a transaction: ``after`` is saved if nobody changed the account since
    ``before`` was read; claims and name keys follow the new e-mails, phones and name."""
    item = _to_item(after)
    item.version = before.version
    old_claims, new_claims = _claims(before), _claims(after)
    old_names, new_names = _name_keys(before), _name_keys(after)
    tx.save(item, conflict=STALE)
    for pk in old_claims.keys() - new_claims.keys():
        tx.delete(old_claims[pk], ClaimItem.account_id == before.id)
    for pk in new_claims.keys() - old_claims.keys():
        tx.save(new_claims[pk], ClaimItem.pk.does_not_exist(), conflict=_claim_conflict(pk))
    for key in old_names.keys() - new_names.keys():
        tx.delete(old_names[key])
    for key in new_names.keys() - old_names.keys():
        tx.save(new_names[key])
    return replace(after, version=before.version + 1)


def add_exists_check(tx: db.Transaction, org_id: str, account_id: str) -> None:
    """Inside a transaction: the account still exists (it was not erased meanwhile)."""
    probe = AccountItem(keys.account(org_id, account_id), keys.PROFILE)
    tx.check(probe, AccountItem.pk.exists(), conflict="The account was erased meanwhile.")


def _saved(account: Account) -> Account:
    """A new account as stored: its first version is 1."""
    return replace(account, version=1)


@db.bound
def update(before: Account, after: Account) -> Account:
    """One transaction holding ``add_update`` (the CSV import's merge into an existing account)."""
    with db.transaction() as tx:
        saved = add_update(tx, before, after)
    return saved


@db.bound
def get(principal: Principal, account_id: str) -> Account:
    """The account if the caller may see it; one DynamoDB call either way."""
    pk = keys.account(principal.org_id, account_id)
    if principal.sees_whole_org:
        try:
            item = AccountItem.get(pk, keys.PROFILE, consistent_read=True)
        except AccountItem.DoesNotExist:
            raise NotFound("No such account.")
        return to_domain(item)
    found = db.batch_get([(pk, keys.PROFILE), (pk, keys.access(principal.user_id))])
    profile = next((i for i in found if isinstance(i, AccountItem)), None)
    has_access = any(isinstance(i, AccessItem) for i in found)
    if profile is None or not (profile.owner_id == principal.user_id or has_access):
        raise NotFound("No such account.")
    return to_domain(profile)


@db.bound
def list_page(principal: Principal, limit: int, cursor: str | None) -> db.Page[Account]:
    """Newest first. A manager's page is one query; a rep's adds one batch read for accounts
    visible through their leads (access links), when the page holds any."""
    if principal.sees_whole_org:
        hash_value = keys.accounts_list(principal.org_id)
        start = db.decode_cursor(cursor, hash_attribute="gsi1pk", hash_value=hash_value)
        result = Item.gsi1.query(hash_value, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    else:
        hash_value = keys.owner_accounts(principal.org_id, principal.user_id)
        start = db.decode_cursor(cursor, hash_attribute="gsi2pk", hash_value=hash_value)
        result = Item.gsi2.query(hash_value, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    rows = list(result)
    linked = [r.account_id for r in rows if isinstance(r, AccessItem)]
    fetched = {}
    if linked:
        found = db.batch_get([(keys.account(principal.org_id, a), keys.PROFILE) for a in linked])
        fetched = {i.id: i for i in found if isinstance(i, AccountItem)}
    accounts: list[Account] = []
    for row in rows:
        if isinstance(row, AccountItem):
            accounts.append(to_domain(row))
        elif isinstance(row, AccessItem) and row.account_id in fetched:
            accounts.append(to_domain(fetched[row.account_id]))
    return db.Page(_unique(accounts), db.encode_cursor(result.last_evaluated_key))


def _unique(accounts: list[Account]) -> list[Account]:
    seen: dict[str, Account] = {}
    for account in accounts:
        seen.setdefault(account.id, account)
    return list(seen.values())


def find_by_email(principal: Principal, email: str) -> list[Account]:
    """The account with this normalised e-mail, if the caller may see it (two calls)."""
    return _find_by_claim(principal, keys.email_claim(principal.org_id, email))


def find_by_phone(principal: Principal, phone: str) -> list[Account]:
    """The account with this E.164 phone, if the caller may see it (two calls)."""
    return _find_by_claim(principal, keys.phone_claim(principal.org_id, phone))


@db.bound
def _find_by_claim(principal: Principal, claim_pk: str) -> list[Account]:
    try:
        claim = ClaimItem.get(claim_pk, keys.CLAIM)
    except ClaimItem.DoesNotExist:
        return []
    return _visible(principal, [claim.account_id])


@db.bound
def search_names(principal: Principal, query: str, limit: int, cursor: str | None) -> db.Page[Account]:
    """Accounts whose name has a word starting with ``query`` (folded): one gsi3 query, and one
    batch read when the page holds word matches or accounts a rep sees only through a lead."""
    key = fold_name(query)
    if not key:
        return db.Page([], None)
    hash_value = keys.name_shard(principal.org_id, key)
    start = db.decode_cursor(cursor, hash_attribute="gsi3pk", hash_value=hash_value, range_prefix=key)
    result = Item.gsi3.query(
        hash_value, Item.gsi3sk.startswith(key), limit=limit * NAME_PAGE_OVERFETCH, last_evaluated_key=start
    )
    rows = list(result)
    # Full-name matches are the profiles themselves; word matches point at one.
    profiles = {row.id: row for row in rows if isinstance(row, AccountItem)}
    ids = list(dict.fromkeys(row.id if isinstance(row, AccountItem) else row.account_id for row in rows))
    accounts = _visible(principal, ids, known=profiles)
    return db.Page(accounts, db.encode_cursor(result.last_evaluated_key))


def _visible(
    principal: Principal, account_ids: list[str], known: dict[str, AccountItem] | None = None
) -> list[Account]:
    """Of these accounts, the ones the caller may see, in the given order. Profiles already in
    hand (``known``) are not read again; at most one batch read fetches the rest and, for a rep,
    the access links of accounts they do not own."""
    if not account_ids:
        return []
    profiles = dict(known or {})
    wanted = [(keys.account(principal.org_id, a), keys.PROFILE) for a in account_ids if a not in profiles]
    if not principal.sees_whole_org:
        wanted += [
            (keys.account(principal.org_id, a), keys.access(principal.user_id))
            for a in account_ids
            if a not in profiles or profiles[a].owner_id != principal.user_id
        ]
    found = db.batch_get(wanted) if wanted else []
    profiles.update({i.id: i for i in found if isinstance(i, AccountItem)})
    access = {i.account_id for i in found if isinstance(i, AccessItem)}
    visible = []
    for account_id in account_ids:
        profile = profiles.get(account_id)
        if profile is None:
            continue
        if principal.sees_whole_org or profile.owner_id == principal.user_id or account_id in access:
            visible.append(to_domain(profile))
    return visible


@dataclass(frozen=True)
class MatchKeyErasure:
    """What erasing a customer does to one match key their orders used."""

    pk: str
    entries: list[str]  # the customer's entries in its history (order ids)
    others: int  # how many entries of other customers it held when read; none: the item goes


@dataclass(frozen=True)
class Erasure:
    """What erasing an account removes, read before anything is deleted."""

    org_id: str
    account_id: str
    doomed: list[tuple[str, str]]  # every attached item (the profile went with the request)
    rows: list[Item] = field(default_factory=list)  # what is attached (the report counters take it off)
    match_keys: list[MatchKeyErasure] = field(default_factory=list)  # histories naming its orders


@dataclass(frozen=True)
class ErasureRequest:
    """An erasure asked for and not finished: its due entry (``keys.erasure_due``) names it."""

    org_id: str
    account_id: str
    entry_sk: str

    @property
    def entry_key(self) -> tuple[str, str]:
        return keys.erasure_due(keys.shard_of(self.account_id, keys.ERASURE_SHARDS)), self.entry_sk


@db.bound
def attached_rows(org_id: str, account_id: str) -> list[Item]:
    """Every item of the account's partition and of the partitions it links (its leads ...):
    one Query per partition."""
    rows: list[Item] = []
    for row in Item.query(keys.account(org_id, account_id), consistent_read=True):
        rows.append(row)
        if isinstance(row, LinkItem):
            rows += list(Item.query(row.target_pk, consistent_read=True))
    return rows


def _match_key_erasures(account_id: str, rows: list[Item]) -> list[MatchKeyErasure]:
    """The match keys the account's orders used, as they are now: one consistent BatchGetItem
    (none for a customer without orders, or once a retried erasure has emptied them)."""
    orders = [row for row in rows if isinstance(row, OrderItem)]
    pks = list(dict.fromkeys(str(pk) for order in orders for pk in order.match_keys or []))
    if not pks:
        return []
    order_ids = {order.id for order in orders}
    changes = []
    for item in db.batch_get([(pk, keys.MATCH_HISTORY) for pk in pks]):
        if isinstance(item, MatchKeyItem):
            entries = db.plain(item.orders)
            ours = forgotten(entries, order_ids, account_id)
            if ours:
                changes.append(MatchKeyErasure(item.pk, ours, len(entries) - len(ours)))
    return sorted(changes, key=lambda change: change.pk)


@db.bound
def plan_erasure(org_id: str, account_id: str) -> Erasure:
    """What the erasure worker removes, read before anything is deleted: one Query of the account
    partition and one per attached partition (a lead's, an order's), then one BatchGetItem of the
    match keys its orders used. The profile, claims and name keys went with the request."""
    rows = attached_rows(org_id, account_id)
    doomed = list(dict.fromkeys((str(row.pk), str(row.sk)) for row in rows))
    return Erasure(org_id, account_id, doomed, rows, _match_key_erasures(account_id, rows))


@db.bound
def lead_owners(account: Account) -> list[str]:
    """The owner of each lead attached to the account: one Query of its lead links, one
    BatchGetItem of those leads (none without leads)."""
    pk = keys.account(account.org_id, account.id)
    links = Item.query(pk, Item.sk.startswith(keys.link(keys.LEAD, "")), consistent_read=True)
    targets = [(str(row.target_pk), keys.PROFILE) for row in links if isinstance(row, LinkItem)]
    return [row.owner_id for row in db.batch_get(targets) if isinstance(row, LeadItem)] if targets else []


def _erasure_entry(org_id: str, account_id: str, due_at: datetime) -> DueItem:
    return DueItem(
        keys.erasure_due(keys.shard_of(account_id, keys.ERASURE_SHARDS)),
        keys.due_entry(due_at, org_id, account_id),
        org_id=org_id,
        account_id=account_id,
        target_pk=keys.account(org_id, account_id),
        target_sk=keys.PROFILE,
    )


@db.bound
def request_erasure(account: Account, at: datetime) -> ErasureRequest:
    """The erasure request, one transaction: the profile goes (conditioned on the version read, so
    an edit meanwhile cannot leave a claim behind), with its e-mail/phone claims and name keys,
    so the account is gone from every read and search at once and its contacts are free again;
    and a due entry asks for the rest (``erase``). A lead, interaction or order that would attach
    to the account from now on fails its account check."""
    entry = _erasure_entry(account.org_id, account.id, at + ERASURE_RETRY_AFTER)
    with db.transaction() as tx:
        tx.delete(
            AccountItem(keys.account(account.org_id, account.id), keys.PROFILE),
            AccountItem.version == account.version,
            conflict=STALE,
        )
        for claim in _claims(account).values():
            tx.delete(claim)
        for name_key in _name_keys(account).values():
            tx.delete(name_key)
        tx.save(entry)
    return ErasureRequest(account.org_id, account.id, str(entry.sk))


@db.bound
def pending_erasure(org_id: str, account_id: str, entry_sk: str) -> ErasureRequest | None:
    """The request behind a queue message, if it is not finished yet (one GetItem)."""
    try:
        entry = DueItem.get(*ErasureRequest(org_id, account_id, entry_sk).entry_key, consistent_read=True)
    except DueItem.DoesNotExist:
        return None
    if entry.org_id != org_id or entry.account_id != account_id:
        return None
    return _request(entry)


def _request(entry: DueItem) -> ErasureRequest:
    return ErasureRequest(entry.org_id, str(entry.account_id), str(entry.sk))


def stalled_erasures(now: datetime) -> list[ErasureRequest]:
    """Requests not finished by their moment (a lost or failed queue message): one Query per shard."""
    return [_request(entry) for entry in due.entries(keys.erasure_due, keys.ERASURE_SHARDS, now)]


def _forget(tx: db.Transaction, change: MatchKeyErasure) -> None:
    """Take the customer's entries out of one match key. Conditioned on what was read, so a
    concurrent order is never lost and no empty history (its pk names the phone, e-mail or
    address) is left behind: the item is deleted only while it holds exactly the customer's
    entries (an order placed meanwhile makes it larger, or trims one of them away), and the
    entries are removed only while more than they remain (another customer's erasure may have
    emptied the rest meanwhile). A lost race is read again."""
    probe = MatchKeyItem(change.pk, keys.MATCH_HISTORY)
    orders: Any = MatchKeyItem.orders  # indexed by order id: PynamoDB types a map path loosely
    if change.others == 0:
        condition = size(MatchKeyItem.orders) == len(change.entries)
        for order_id in change.entries:
            condition &= orders[order_id].exists()
        tx.delete(probe, condition, conflict=MATCH_KEYS_BUSY)
    else:
        actions = [orders[order_id].remove() for order_id in change.entries]
        tx.update(probe, actions, size(MatchKeyItem.orders) > len(change.entries), conflict=MATCH_KEYS_BUSY)


def _take_orders_out_of_match_keys(plan: Erasure) -> int:
    """One TransactWriteItems per 100 match keys (usually one); returns how many were deleted.
    Idempotent: a retried erasure reads keys that no longer name the customer and writes nothing."""
    changes = plan.match_keys
    deleted = 0
    for attempt in range(1, MATCH_KEY_ATTEMPTS + 1):
        try:
            for chunk in db.chunked(changes, MATCH_KEYS_PER_TRANSACTION):
                with db.transaction() as tx:
                    for change in chunk:
                        _forget(tx, change)
                deleted += sum(1 for change in chunk if change.others == 0)
            return deleted
        except Conflict:
            if attempt == MATCH_KEY_ATTEMPTS:
                raise
            changes = _match_key_erasures(plan.account_id, plan.rows)
    return deleted


@db.bound
def erase(plan: Erasure, request: ErasureRequest) -> int:
    """Delete everything attached to the account; returns how many items were removed. The
    request's due entry goes last, so a retry can always find what is left."""
    # The match keys first, while the orders that name them are still there: a retried erasure
    # finds them again. Then the account partition (its #LINK# items) after the partitions they link.
    removed = _take_orders_out_of_match_keys(plan)
    pk = keys.account(plan.org_id, plan.account_id)
    db.batch_write(deletes=sorted(plan.doomed, key=lambda key: key[0] == pk))
    db.batch_write(deletes=[request.entry_key])
    return removed + len(plan.doomed)


add_creation = add  # the name used before ``add``; kept for code written against it
