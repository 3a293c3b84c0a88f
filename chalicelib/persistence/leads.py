"""Leads in DynamoDB: the lead item and what ties it to its account (access and erasure links)."""

from __future__ import annotations

from chalicelib.domain.pipeline import Lead
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import AccessItem, Item, LeadItem, LinkItem


def to_item(lead: Lead) -> LeadItem:
    created = lead.created_at.isoformat()
    item = LeadItem(
        keys.lead(lead.org_id, lead.id),
        keys.PROFILE,
        gsi1pk=keys.leads_list(lead.org_id),
        gsi1sk=keys.sortable(created, lead.id),
        gsi2pk=keys.owner_leads(lead.org_id, lead.owner_id),
        gsi2sk=keys.sortable(created, lead.id),
        gsi3pk=keys.leads_by_state(lead.org_id, lead.status, lead.stage),
        gsi3sk=keys.sortable(created, lead.id),
        id=lead.id,
        org_id=lead.org_id,
        account_id=lead.account_id,
        title=lead.title,
        owner_id=lead.owner_id,
        stage=lead.stage,
        status=lead.status,
        value=lead.value,
        source=lead.source or None,
        lost_reason=lead.lost_reason or None,
        lost_after_objection_id=lead.lost_after_objection_id,
        referred_by_account_id=lead.referred_by_account_id,
        referral_request_id=lead.referral_request_id,
        stage_entered_at=lead.stage_entered_at,
        closed_at=lead.closed_at,
        custom_fields=lead.custom_fields or None,
        extra=lead.extra or None,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )
    if lead.version:
        item.version = lead.version
    return item


def to_domain(item: LeadItem) -> Lead:
    return Lead(
        id=item.id,
        org_id=item.org_id,
        account_id=item.account_id,
        title=item.title,
        owner_id=item.owner_id,
        created_at=item.created_at,
        updated_at=item.updated_at,
        stage=item.stage,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        value=db.plain(item.value) or None,
        source=item.source or "",
        lost_reason=item.lost_reason or "",
        lost_after_objection_id=item.lost_after_objection_id,
        referred_by_account_id=item.referred_by_account_id,
        referral_request_id=item.referral_request_id,
        stage_entered_at=item.stage_entered_at,
        closed_at=item.closed_at,
        custom_fields=db.plain(item.custom_fields),
        extra=db.plain(item.extra),
        version=int(item.version or 0),
    )


def attachment_items(lead: Lead, account_created_at: str) -> list[Item]:
    """The items that tie a lead to its account: the erasure link and the owner's access link.

    ``account_created_at`` orders the access link in the rep's account list like the account.
    """
    account_pk = keys.account(lead.org_id, lead.account_id)
    return [
        LinkItem(account_pk, keys.link(keys.LEAD, lead.id), target_pk=keys.lead(lead.org_id, lead.id)),
        AccessItem(
            account_pk,
            keys.access(lead.owner_id),
            gsi2pk=keys.owner_accounts(lead.org_id, lead.owner_id),
            gsi2sk=keys.sortable(account_created_at, lead.account_id),
            account_id=lead.account_id,
            user_id=lead.owner_id,
        ),
    ]
