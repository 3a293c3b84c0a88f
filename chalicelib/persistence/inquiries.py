"""Inquiries (a conversation's first inbound message) and the interactions they come from.

An inquiry item sits in its lead's partition (``INQUIRY``, read with the lead) or, without a
lead, in the account's (``#INQUIRY``); both are erased with the account. gsi2 lists one person's
inquiries by time, so a new one finds the repeats of the last 24 hours with one Query.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.errors import NotFound
from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.interactions import Interaction
from chalicelib.domain.reports.contact import REPEAT_WINDOW
from chalicelib.domain.timeutil import parse_rfc3339
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import InquiryItem as _InquiryItem
from chalicelib.persistence.models import Item, TimelineItem

STALE = "The inquiry was changed meanwhile; reload it and try again."


def to_item(inquiry: Inquiry) -> _InquiryItem:
    pk, sk = keys.inquiry_key(inquiry.org_id, inquiry.account_id, inquiry.lead_id)
    item = _InquiryItem(
        pk,
        sk,
        gsi2pk=keys.person_inquiries(inquiry.org_id, inquiry.account_id),
        gsi2sk=keys.sortable(inquiry.at, inquiry.id),
        id=inquiry.id,
        org_id=inquiry.org_id,
        account_id=inquiry.account_id,
        lead_id=inquiry.lead_id,
        rep_id=inquiry.rep_id,
        at=inquiry.at,
        group_id=inquiry.group,
        intent=inquiry.intent,
        outcome=inquiry.outcome,
        responded_at=inquiry.responded_at,
        response_minutes=inquiry.response_minutes,
    )
    if inquiry.version:
        item.version = inquiry.version
    return item


def to_domain(item: _InquiryItem) -> Inquiry:
    return Inquiry(
        id=item.id,
        org_id=item.org_id,
        account_id=item.account_id,
        lead_id=item.lead_id,
        rep_id=item.rep_id,
        at=item.at,
        group=item.group_id,
        intent=item.intent,  # type: ignore[arg-type]
        outcome=item.outcome,  # type: ignore[arg-type]
        responded_at=item.responded_at,
        response_minutes=float(item.response_minutes) if item.response_minutes is not None else None,
        version=int(item.version or 0),
    )


@db.bound
def find(org_id: str, account_id: str, lead_id: str | None) -> Inquiry | None:
    """The conversation's inquiry, if it has had an inbound message (one consistent GetItem)."""
    pk, sk = keys.inquiry_key(org_id, account_id, lead_id)
    try:
        return to_domain(_InquiryItem.get(pk, sk, consistent_read=True))
    except _InquiryItem.DoesNotExist:
        return None


@db.bound
def person_recent(org_id: str, account_id: str, at: datetime) -> list[Inquiry]:
    """The person's inquiries of the 24 hours up to ``at`` (one Query on gsi2)."""
    result = Item.gsi2.query(
        keys.person_inquiries(org_id, account_id),
        Item.gsi2sk.between(keys.moment(at - REPEAT_WINDOW), keys.moment(at) + "#~"),
    )
    return [to_domain(row) for row in result if isinstance(row, _InquiryItem)]


def add(tx: db.Transaction, inquiry: Inquiry) -> Inquiry:
    tx.save(
        to_item(inquiry),
        _InquiryItem.sk.does_not_exist(),
        conflict="Another first message of this conversation was logged at the same time; retry.",
    )
    return replace(inquiry, version=1)


def add_update(tx: db.Transaction, before: Inquiry, after: Inquiry) -> Inquiry:
    item = to_item(after)
    item.version = before.version
    tx.save(item, conflict=STALE)
    return replace(after, version=before.version + 1)


def add_version_check(tx: db.Transaction, inquiry: Inquiry) -> None:
    """Inside a transaction: the inquiry is as it was read (its counters follow the lead's)."""
    pk, sk = keys.inquiry_key(inquiry.org_id, inquiry.account_id, inquiry.lead_id)
    tx.check(_InquiryItem(pk, sk), _InquiryItem.version == inquiry.version, conflict=STALE)


# -- interactions (timeline entries of kind ``interaction``) --------------------------------


def interaction_from_item(item: TimelineItem, org_id: str) -> Interaction:
    data = db.plain(item.data)
    return Interaction(
        id=item.id,
        org_id=org_id,
        account_id=item.account_id or "",
        channel=data.get("channel", "note"),
        direction=data.get("direction", "inbound"),
        body=data.get("body", ""),
        occurred_at=parse_rfc3339(item.at),
        logged_by=data.get("logged_by", ""),
        rep_id=data.get("rep_id", ""),
        created_at=parse_rfc3339(data["created_at"]) if data.get("created_at") else parse_rfc3339(item.at),
        lead_id=item.lead_id,
        intent=data.get("intent"),
        version=int(item.version or 1),
    )


@db.bound
def find_interaction(org_id: str, interaction_id: str) -> tuple[TimelineItem, Interaction]:
    """An interaction by id: Query gsi3 (which account), then a consistent GetItem (the index
    lags; the item's version conditions the change)."""
    hits = list(Item.gsi3.query(keys.interaction_lookup(org_id, interaction_id), limit=1))
    if not hits:
        raise NotFound("No such interaction.")
    try:
        item = TimelineItem.get(hits[0].pk, hits[0].sk, consistent_read=True)
    except TimelineItem.DoesNotExist:
        raise NotFound("No such interaction.")
    return item, interaction_from_item(item, org_id)


def add_interaction_update(tx: db.Transaction, item: TimelineItem, interaction: Interaction) -> None:
    """The interaction's entry with its new intent and outcome, if still at the version read."""
    data = db.plain(item.data)
    data["intent"] = interaction.intent
    data["outcome"] = interaction.outcome
    item.data = {k: v for k, v in data.items() if v is not None}  # type: ignore[assignment]
    tx.save(item, conflict="The interaction was changed by someone else; reload it and try again.")
