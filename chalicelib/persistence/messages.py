"""The outbox in DynamoDB: message items in the customer's partition, their index entries, and
the sharded ``DUE#OUTBOX#…`` entries the sender job reads.

Exactly once: a message is claimed (queued -> sending, with the claim time) by one conditional
write before it is handed to the provider; the result is recorded by a version-conditioned write
after. A message found ``sending`` past ``SEND_TIMEOUT`` ends ``failed``, never resent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.domain.errors import NotFound
from chalicelib.domain.messages import Message
from chalicelib.domain.principal import Principal
from chalicelib.domain.timeutil import parse_rfc3339
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, due, keys
from chalicelib.persistence import orders as order_store
from chalicelib.persistence.models import DueItem, Item, MessageItem, OrderItem, SendOnceItem
from chalicelib.persistence.timeline import save_new, timeline_entry


def _index(message: Message) -> dict[str, Any]:
    status_sort = keys.status_sortable(message.status, message.created_at, message.id)
    return {
        "gsi1pk": keys.messages_by_status(message.org_id),
        "gsi1sk": status_sort,
        "gsi2pk": keys.order_messages(message.org_id, message.order_id) if message.order_id else None,
        "gsi2sk": keys.sortable(message.created_at, message.id) if message.order_id else None,
        "gsi3pk": keys.messages_by_kind(message.org_id, message.kind),
        "gsi3sk": status_sort,
    }


def home(message: Message) -> str:
    """The partition a message lives in: its customer's, or for a message to a rep the rep's."""
    if message.account_id:
        return keys.account(message.org_id, message.account_id)
    assert message.rep_id, "a message goes to an account or a rep"
    return keys.rep(message.org_id, message.rep_id)


def to_item(message: Message) -> MessageItem:
    item = MessageItem(
        home(message),
        keys.message(message.created_at, message.id),
        **_index(message),
        id=message.id,
        org_id=message.org_id,
        account_id=message.account_id,
        rep_id=message.rep_id,
        order_id=message.order_id,
        message_kind=message.kind,
        channel=message.channel,
        template=message.template,
        placeholders=message.placeholders or None,
        to=message.to,
        subject=message.subject,
        reply_to=message.reply_to,
        body=message.body,
        status=message.status,
        failure_reason=message.failure_reason,
        provider_id=message.provider_id,
        claimed_at=message.claimed_at,
        due_sk=_due_sk(message),
        created_at=message.created_at,
        sent_at=message.sent_at,
        updated_at=message.updated_at or message.created_at,
    )
    if message.version:
        item.version = message.version
    return item


def to_domain(item: MessageItem) -> Message:
    return Message(
        id=item.id,
        org_id=item.org_id,
        account_id=item.account_id,
        kind=item.message_kind,
        channel=item.channel,
        template=item.template,
        to=item.to,
        body=item.body,
        created_at=item.created_at,
        send_at=parse_rfc3339(item.due_sk.split("#")[0]) if item.due_sk else item.created_at,
        order_id=item.order_id,
        placeholders={k: str(v) for k, v in db.plain(item.placeholders).items()},
        subject=item.subject,
        reply_to=item.reply_to,
        status=item.status,
        failure_reason=item.failure_reason,
        provider_id=item.provider_id,
        claimed_at=item.claimed_at,
        sent_at=item.sent_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
        rep_id=item.rep_id,
    )


def _due_sk(message: Message) -> str:
    return keys.due_entry(message.send_at, message.org_id, message.id)


def _due_item(message: Message) -> DueItem:
    return DueItem(
        keys.outbox_due(keys.shard_of(message.id, keys.OUTBOX_SHARDS)),
        _due_sk(message),
        org_id=message.org_id,
        target_pk=home(message),
        target_sk=keys.message(message.created_at, message.id),
        account_id=message.account_id,
        order_id=message.order_id,
    )


ALREADY_SENT = "A message with this send key was queued already."
SEND_ONCE_KEEP = timedelta(days=90)  # far longer than a send key is used (a scorecard's: one week)


def add(tx: db.Transaction, message: Message, *, send_key: str | None = None) -> None:
    """Queue a message: its item and its outbox due entry (in the caller's transaction). With a
    ``send_key``, also its claim (a conditional put in the recipient's partition): a second
    message with that key fails the transaction (``Conflict``), whoever queues it."""
    tx.save(to_item(message), MessageItem.sk.does_not_exist(), conflict="This message already exists.")
    tx.save(_due_item(message))
    if send_key is not None:
        claim = SendOnceItem(
            home(message),
            keys.send_once(send_key),
            message_id=message.id,
            created_at=message.created_at,
            expires_at=message.created_at + SEND_ONCE_KEEP,
        )
        tx.save(claim, SendOnceItem.sk.does_not_exist(), conflict=ALREADY_SENT)


def as_queued(message: Message) -> Message:
    """A message as ``add`` stored it once its transaction committed (its first version), for a
    job that hands the messages it queued to the outbox without reading them back."""
    return replace(message, status="queued", version=1)


def add_unsent(tx: db.Transaction, message: Message) -> None:
    """A message that will not go out (``skipped``, with its reason): the item and its timeline
    entry, and no due entry."""
    tx.save(to_item(message), MessageItem.sk.does_not_exist(), conflict="This message already exists.")
    if message.account_id is None:
        return  # a rep's message: no customer timeline
    at = message.updated_at or message.created_at
    save_new(
        tx,
        timeline_entry(
            message.org_id, message.account_id, "message", at, message.id, message.summary(), entry_id=message.id
        ),
    )


# -- the sender job -------------------------------------------------------------------------


def due_entries(now: datetime) -> list[DueItem]:
    """Due outbox entries across every shard: one Query per shard (reads follow what is due)."""
    return due.entries(keys.outbox_due, keys.OUTBOX_SHARDS, now)


@db.bound
def read(entries: list[DueItem]) -> tuple[dict[tuple[str, str], Message], dict[str, str]]:
    """The messages behind due entries and the status of the orders they are about, in one batch
    read (per 100 keys): ``({(pk, sk): message}, {order id: status})``."""
    wanted = [(e.target_pk, e.target_sk) for e in entries]
    wanted += [(keys.order(e.org_id, e.order_id), keys.PROFILE) for e in entries if e.order_id]
    items = db.batch_get(wanted)
    messages = {(i.pk, i.sk): to_domain(i) for i in items if isinstance(i, MessageItem)}
    statuses = {i.id: i.status for i in items if isinstance(i, OrderItem)}
    return messages, statuses


def drop_due(entry: DueItem) -> None:
    due.drop(entry)


@db.bound
def claim(message: Message, now: datetime) -> Message | None:
    """queued -> sending, by one conditional write; None if another sender got there first."""
    item = to_item(message)
    claimed = replace(message, status="sending", claimed_at=now, updated_at=now)
    index = _index(claimed)
    try:
        item.update(
            actions=[
                MessageItem.status.set("sending"),
                MessageItem.claimed_at.set(now),
                MessageItem.updated_at.set(now),
                MessageItem.gsi1sk.set(index["gsi1sk"]),
                MessageItem.gsi3sk.set(index["gsi3sk"]),
            ],
            condition=MessageItem.status == "queued",
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    claimed.version = message.version + 1
    return claimed


@db.bound
def finish(claimed: Message, after: Message) -> Message:
    """Record the outcome of a claimed message (sent or failed), conditioned on the claim still
    being the one we hold; drop its due entry and put it on the customer's timeline."""
    with db.transaction() as tx:
        item = to_item(after)
        item.version = claimed.version
        tx.save(item, MessageItem.status == "sending", conflict="The message was recorded by another sender.")
        tx.delete(_due_item(claimed))
        if after.account_id is not None:  # a rep's message has no customer timeline
            at = after.sent_at or after.updated_at or after.created_at
            entry = timeline_entry(
                after.org_id, after.account_id, "message", at, after.id, after.summary(), entry_id=after.id
            )
            save_new(tx, entry)
    after.version = claimed.version + 1
    return after


# -- lists ----------------------------------------------------------------------------------


@db.bound
def list_page(
    principal: Principal,
    *,
    account_id: str | None,
    rep_id: str | None,
    order_id: str | None,
    kind: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> db.Page[Message]:
    """One Query per page: an account's messages from its partition, a rep's (their scorecard
    e-mails) from theirs, an order's on gsi2, a kind (and status) on gsi3, a status on gsi1;
    filters the chosen key does not cover are applied to that Query. Reps must name an account or
    an order they see, or themselves."""
    org = principal.org_id
    condition: Any = None
    range_condition: Any = None
    index: Any
    if account_id:
        account_store.get(principal, account_id)
        index, attribute, hash_value = Item, "pk", keys.account(org, account_id)
        range_condition = Item.sk.startswith(keys.MESSAGE_PREFIX)
        condition = _filter(order_id=order_id, kind=kind, status=status)
    elif rep_id:
        if not principal.may_see_owned(rep_id):
            raise NotFound("No such rep.")
        index, attribute, hash_value = Item, "pk", keys.rep(org, rep_id)
        range_condition = Item.sk.startswith(keys.MESSAGE_PREFIX)
        condition = _filter(order_id=order_id, kind=kind, status=status)
    elif order_id:
        order_store.get(principal, order_id)
        index, attribute, hash_value = Item.gsi2, "gsi2pk", keys.order_messages(org, order_id)
        condition = _filter(kind=kind, status=status)
    elif kind:
        index, attribute, hash_value = Item.gsi3, "gsi3pk", keys.messages_by_kind(org, kind)
        range_condition = Item.gsi3sk.startswith(f"{status}#") if status else None
    else:
        index, attribute, hash_value = Item.gsi1, "gsi1pk", keys.messages_by_status(org)
        range_condition = Item.gsi1sk.startswith(f"{status}#") if status else None
    start = db.decode_cursor(cursor, hash_attribute=attribute, hash_value=hash_value)
    result = index.query(
        hash_value,
        range_condition,
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
    )
    return db.Page(
        [to_domain(row) for row in result if isinstance(row, MessageItem)], db.encode_cursor(result.last_evaluated_key)
    )


def _filter(*, order_id: str | None = None, kind: str | None = None, status: str | None = None) -> Any:
    condition: Any = None
    for clause in (
        MessageItem.order_id == order_id if order_id else None,
        MessageItem.message_kind == kind if kind else None,
        MessageItem.status == status if status else None,
    ):
        if clause is not None:
            condition = clause if condition is None else condition & clause
    return condition
