"""What logging or changing an interaction reads first, in one batch read (``POST /interactions``,
``PATCH /interactions/{id}``): the account, the lead, the conversation's inquiry and the entry."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.accounts import Account
from chalicelib.domain.errors import NotFound
from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.pipeline import Lead
from chalicelib.domain.principal import Principal
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import db, keys
from chalicelib.persistence import inquiries as inquiry_store
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence.models import AccessItem, AccountItem, InquiryItem, Item, LeadItem, TimelineItem


@dataclass(frozen=True)
class Conversation:
    account: Account
    lead: Lead | None
    inquiry: Inquiry | None
    entry: TimelineItem | None = None


@db.bound
def read(
    principal: Principal, account_id: str, lead_id: str | None, entry: tuple[str, str] | None = None
) -> Conversation:
    """One consistent BatchGetItem: the account profile (+ a rep's access link), the lead, the
    inquiry and the timeline item ``entry``, with the visibility rules of ``accounts.get`` and
    ``leads.get`` (NotFound for what the caller may not see). It replaces a GetItem of each."""
    org = principal.org_id
    account_pk = keys.account(org, account_id)
    access_key = (account_pk, keys.access(principal.user_id))
    wanted = [(account_pk, keys.PROFILE), keys.inquiry_key(org, account_id, lead_id)]
    if not principal.sees_whole_org:
        wanted.append(access_key)
    if lead_id:
        wanted.append((keys.lead(org, lead_id), keys.PROFILE))
    if entry is not None:
        wanted.append(entry)
    found = {(item.pk, item.sk): item for item in db.batch_get(wanted)}
    profile = found.get((account_pk, keys.PROFILE))
    if not isinstance(profile, AccountItem):
        raise NotFound("No such account.")
    if not principal.sees_whole_org and not (
        profile.owner_id == principal.user_id or isinstance(found.get(access_key), AccessItem)
    ):
        raise NotFound("No such account.")
    lead: Lead | None = None
    if lead_id:
        row = found.get((keys.lead(org, lead_id), keys.PROFILE))
        lead = lead_store.visible(principal, lead_store.to_domain(row) if isinstance(row, LeadItem) else None)
    inquiry = found.get(keys.inquiry_key(org, account_id, lead_id))
    timeline_item = found.get(entry) if entry is not None else None
    return Conversation(
        account=account_store.to_domain(profile),
        lead=lead,
        inquiry=inquiry_store.to_domain(inquiry) if isinstance(inquiry, InquiryItem) else None,
        entry=timeline_item if isinstance(timeline_item, TimelineItem) else None,
    )


@dataclass(frozen=True)
class InteractionRef:
    key: tuple[str, str]  # the timeline item's
    account_id: str
    lead_id: str | None


@db.bound
def find_interaction(org_id: str, interaction_id: str) -> InteractionRef:
    """Where an interaction's timeline item is, and its account and lead (one Query on gsi3: the
    index may lag, but an interaction never moves to another account or lead)."""
    hits = [h for h in Item.gsi3.query(keys.interaction_lookup(org_id, interaction_id), limit=1)]
    hit = hits[0] if hits else None
    if not isinstance(hit, TimelineItem) or not hit.account_id:
        raise NotFound("No such interaction.")
    return InteractionRef((hit.pk, hit.sk), hit.account_id, hit.lead_id)
