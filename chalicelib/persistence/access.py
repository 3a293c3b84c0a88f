"""What ties records to an account: access links (a rep sees an account that carries one of their
records) and erasure links (a partition erased with the account).

Access links count their reasons: every record that needs the link adds one (an ``UpdateItem ADD``
in that record's transaction) and takes it off when it no longer does; the last reason deletes it.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import NotFound
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import AccessItem, AccountItem, LinkItem

STALE = "The record was changed by someone else; reload it and try again."


def link_item(org_id: str, account_id: str, kind: str, entity_id: str) -> LinkItem:
    """The erasure link to the partition of the ``kind`` (``keys.LEAD``, ...) record ``entity_id``."""
    target = keys.entity(org_id, kind, entity_id)
    return LinkItem(keys.account(org_id, account_id), keys.link(kind, entity_id), target_pk=target)


def access_item(org_id: str, account_id: str, user_id: str, account_created_at: datetime, reasons: int) -> AccessItem:
    """A whole access link, for bulk writers that know the count (a batch cannot ADD)."""
    return AccessItem(
        keys.account(org_id, account_id),
        keys.access(user_id),
        gsi2pk=keys.owner_accounts(org_id, user_id),
        gsi2sk=keys.sortable(account_created_at, account_id),
        account_id=account_id,
        user_id=user_id,
        reasons=reasons,
    )


def add_link(tx: db.Transaction, org_id: str, account_id: str, kind: str, entity_id: str) -> None:
    """Attach a record's partition (a lead's, an order's ...) to the account, so erasing the
    account finds it."""
    tx.save(link_item(org_id, account_id, kind, entity_id))


def add(tx: db.Transaction, *, org_id: str, account_id: str, user_id: str, account_created_at: datetime) -> None:
    """One more reason on the user's access link to the account (created if missing).
    ``account_created_at`` orders the link in the rep's account list like the account itself."""
    probe = AccessItem(keys.account(org_id, account_id), keys.access(user_id))
    tx.update(
        probe,
        [
            AccessItem.kind.set(AccessItem),  # type: ignore[arg-type]
            AccessItem.reasons.add(1),
            AccessItem.account_id.set(account_id),
            AccessItem.user_id.set(user_id),
            AccessItem.gsi2pk.set(keys.owner_accounts(org_id, user_id)),
            AccessItem.gsi2sk.set(keys.sortable(account_created_at, account_id)),
        ],
    )


def add_removal(tx: db.Transaction, *, org_id: str, account_id: str, user_id: str, reasons: int) -> None:
    """One reason off the user's access link; the last reason deletes it. Conditioned on the
    count that was read (``reasons``), so a concurrent grant is never lost."""
    probe = AccessItem(keys.account(org_id, account_id), keys.access(user_id))
    if reasons <= 1:
        tx.delete(probe, AccessItem.reasons <= 1, conflict=STALE)
    else:
        tx.update(probe, [AccessItem.reasons.add(-1)], AccessItem.reasons == reasons, conflict=STALE)


@db.bound
def reasons(org_id: str, account_id: str, user_id: str) -> tuple[Account, int]:
    """The account and how many reasons the user's access link to it carries (one batch read)."""
    pk = keys.account(org_id, account_id)
    found = db.batch_get([(pk, keys.PROFILE), (pk, keys.access(user_id))])
    profile = next((i for i in found if isinstance(i, AccountItem)), None)
    access = next((i for i in found if isinstance(i, AccessItem)), None)
    if profile is None:
        raise NotFound("The lead's account no longer exists.")
    return account_store.to_domain(profile), int(access.reasons) if access else 0
