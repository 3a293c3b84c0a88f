"""/messages: the outbox (every message the jobs queued or sent, with its status)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import Field

from chalicelib.api.http import PATH_VALUE, Call, QueryParam, endpoint, page
from chalicelib.api.lazy import service
from chalicelib.api.schemas import Resource
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.messages import CHANNELS, MESSAGE_KINDS, MESSAGE_STATUSES, Message
from chalicelib.domain.model import Model
from chalicelib.domain.timeutil import format_rfc3339

if TYPE_CHECKING:
    from chalicelib.services import messages
else:  # imported on the first call (cold start)
    messages = service("messages")

bp = Blueprint(__name__)


class MessageOut(Resource):
    account_id: str | None = Field(description="the customer it goes to; null for a rep's scorecard (rep_id)")
    rep_id: str | None = Field(default=None, description="kind scorecard: the rep it goes to")
    order_id: str | None
    kind: str = Field(description=", ".join(MESSAGE_KINDS))
    channel: str = Field(description=", ".join(CHANNELS))
    template: str
    placeholders: dict[str, str]
    to: str
    subject: str | None
    body: str = Field(description="exactly what was sent; automated messages say so")
    status: str = Field(
        description="queued -> sending (claimed by the sender) -> sent | failed. A message whose sending was never "
        "confirmed ends failed and is not resent. skipped: a planned follow-up that was not sent (the order was "
        "refunded, returned, refused or cancelled, the customer opted out, or nobody could be reached); "
        "failure_reason says why"
    )
    failure_reason: str | None = Field(description="why the message failed or was skipped")
    provider_id: str | None
    sent_at: str | None


class MessagePage(Model):
    items: list[MessageOut]
    next_cursor: str | None


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        created_at=format_rfc3339(message.created_at),
        updated_at=format_rfc3339(message.updated_at or message.created_at),
        version=message.version,
        account_id=message.account_id,
        rep_id=message.rep_id,
        order_id=message.order_id,
        kind=message.kind,
        channel=message.channel,
        template=message.template,
        placeholders=message.placeholders,
        to=message.to,
        subject=message.subject,
        body=message.body,
        status=message.status,
        failure_reason=message.failure_reason,
        provider_id=message.provider_id,
        sent_at=format_rfc3339(message.sent_at) if message.sent_at else None,
    )


def _id(call: Call, name: str) -> str | None:
    value = call.query.get(name) or None
    if value is not None and not PATH_VALUE.fullmatch(value):
        raise ValidationFailed.single(name, "is not an id this API returned")
    return value


@endpoint(
    bp,
    "/messages",
    summary="The outbox, newest first within a status: filter by account_id, rep_id, order_id, kind and status "
    "(each served by a key of the table or an index). A rep names an account or an order they see, or themselves",
    tags=["messages"],
    response=MessagePage,
    paginated=True,
    errors=[404],  # an account_id or order_id not there or not visible to the caller; for a rep, another rep_id
    query=[
        QueryParam("account_id", "the messages of one account"),
        QueryParam("rep_id", "the messages to one rep (their weekly scorecard e-mails); a rep names themselves"),
        QueryParam("order_id", "the messages about one order"),
        QueryParam("kind", "what the message is for", {"type": "string", "enum": list(MESSAGE_KINDS)}),
        QueryParam(
            "status", "queued, sending, sent, failed or skipped", {"type": "string", "enum": list(MESSAGE_STATUSES)}
        ),
    ],
)
def list_messages(call: Call) -> dict[str, Any]:
    limit, cursor = call.page_args()
    result = messages.list_messages(
        call.principal,
        account_id=_id(call, "account_id"),
        rep_id=_id(call, "rep_id"),
        order_id=_id(call, "order_id"),
        kind=call.query.get("kind") or None,
        status=call.query.get("status") or None,
        limit=limit,
        cursor=cursor,
    )
    return page([message_out(m) for m in result.items], result.next_cursor)
