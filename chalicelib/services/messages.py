"""Reading the outbox."""

from __future__ import annotations

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.messages import MESSAGE_KINDS, MESSAGE_STATUSES, Message
from chalicelib.domain.principal import Principal
from chalicelib.persistence import messages as store
from chalicelib.persistence.db import Page


def list_messages(
    principal: Principal,
    *,
    account_id: str | None,
    rep_id: str | None,
    order_id: str | None,
    kind: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Message]:
    if kind is not None and kind not in MESSAGE_KINDS:
        raise ValidationFailed.single("kind", f"must be one of {', '.join(MESSAGE_KINDS)}")
    if status is not None and status not in MESSAGE_STATUSES:
        raise ValidationFailed.single("status", f"must be one of {', '.join(MESSAGE_STATUSES)}")
    if account_id and rep_id:
        raise ValidationFailed.single("rep_id", "a message goes to an account or to a rep: name one of them")
    if not principal.sees_whole_org and not (account_id or order_id or rep_id):
        raise ValidationFailed.single(
            "account_id", "a rep lists the messages of an account or an order they see, or their own (rep_id)"
        )
    return store.list_page(
        principal,
        account_id=account_id,
        rep_id=rep_id,
        order_id=order_id,
        kind=kind,
        status=status,
        limit=limit,
        cursor=cursor,
    )
