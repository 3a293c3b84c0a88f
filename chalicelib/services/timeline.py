"""The customer timeline and the interactions logged on it.

An inbound message that opens a conversation (a lead's, or an account's without a lead) also
opens an *inquiry* for the contact-success report, and the first outbound reply to it fixes its
first-response time in the rep's working hours; both land in the report counters in the same
transaction as the message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.config import now
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.inquiries import (
    Inquiry,
    InteractionPatch,
    answers,
    apply_to_inquiry,
    check_patch,
    new_inquiry,
    responded,
)
from chalicelib.domain.interactions import Interaction, InteractionCreate, interaction_entry, new_interaction
from chalicelib.domain.paging import Page
from chalicelib.domain.principal import Principal
from chalicelib.domain.reports import counters
from chalicelib.domain.reports.working_hours import working_minutes
from chalicelib.domain.timeline import TimelineEntry
from chalicelib.domain.versioning import check_version
from chalicelib.ids import new_id
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import conversations, db, stats
from chalicelib.persistence import inquiries as inquiry_store
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence import org as org_store
from chalicelib.persistence import reps as rep_store
from chalicelib.persistence import timeline as store


def first_response_minutes(org_id: str, rep_id: str, asked: datetime, answered: datetime) -> float:
    """Minutes from a message to its first reply in the rep's working hours and zone (a rep who
    never saved a profile works in the organisation's zone, around the clock)."""
    profile = rep_store.find(org_id, rep_id)
    if profile is None:
        zone, hours = org_store.get_settings(org_id).settings.timezone, {}
    else:
        zone, hours = profile.timezone, profile.working_hours
    return working_minutes(asked, answered, zone=zone, hours=hours)


def log_interaction(principal: Principal, data: InteractionCreate) -> Interaction:
    """One batch read (the account and the lead, if named, as the caller may see them, and the
    conversation's inquiry), then one transaction: the timeline entry, a check that the account
    still exists, and the report counters. A conversation's first inbound message also reads the
    person's inquiries of the last 24 hours (one Query) and stores the new inquiry; the first
    reply reads the rep's profile (+ the settings while it was never saved) and stores the
    response time: 2 to 4 calls."""
    read = conversations.read(principal, data.account_id, data.lead_id)
    account, lead, existing = read.account, read.lead, read.inquiry
    rep_id = account.owner_id
    if lead is not None:
        if lead.account_id != account.id:
            raise ValidationFailed.single("lead_id", "belongs to another account")
        rep_id = lead.owner_id
    interaction = new_interaction(
        interaction_id=new_id(), org_id=principal.org_id, data=data, by=principal.user_id, rep_id=rep_id, now=now()
    )
    won = lead is not None and lead.status == "won"
    delta = counters.contact_counts(
        direction=interaction.direction, channel=interaction.channel, rep_id=rep_id, at=interaction.occurred_at
    )
    opened: Inquiry | None = None
    answered: tuple[Inquiry, Inquiry] | None = None
    if existing is None and interaction.direction == "inbound":
        recent = inquiry_store.person_recent(principal.org_id, account.id, interaction.occurred_at)
        opened = new_inquiry(interaction, recent)
        delta = counters.combine([delta, counters.inquiry_counts(opened, won=won)])
    elif existing is not None and answers(existing, interaction):
        minutes = first_response_minutes(principal.org_id, existing.rep_id, existing.at, interaction.occurred_at)
        after = responded(existing, interaction.occurred_at, minutes)
        answered = (existing, after)
        change = counters.difference(
            counters.inquiry_counts(after, won=won), counters.inquiry_counts(existing, won=won)
        )
        delta = counters.combine([delta, change])
    with db.transaction() as tx:
        store.add(tx, interaction_entry(interaction))
        account_store.add_exists_check(tx, interaction.org_id, interaction.account_id)
        if opened is not None:
            inquiry_store.add(tx, opened)
        if answered is not None:
            inquiry_store.add_update(tx, *answered)
        if lead is not None and (opened is not None or answered is not None):
            lead_store.add_status_check(tx, lead, lead.status, conflict="The lead changed meanwhile; retry.")
        stats.add(tx, interaction.org_id, delta)
    return interaction


def update_interaction(principal: Principal, interaction_id: str, patch: InteractionPatch) -> Interaction:
    """Set an interaction's intent and outcome. When it opened an inquiry, the inquiry and the
    contact-success counters follow in the same transaction (conditioned on the versions read and
    on the lead's status, which decides whether the inquiry converted)."""
    ref = conversations.find_interaction(principal.org_id, interaction_id)
    # a rep may change only what they may see; the item itself is read consistently in the batch
    read = conversations.read(principal, ref.account_id, ref.lead_id, entry=ref.key)
    if read.entry is None:
        raise NotFound("No such interaction.")
    item, before = read.entry, inquiry_store.interaction_from_item(read.entry, principal.org_id)
    check_version(before.version, patch.version)
    sent = check_patch(patch)
    after = replace(
        before,
        intent=patch.intent if "intent" in sent else before.intent,
        outcome=patch.outcome if "outcome" in sent else before.outcome,
    )
    inquiry = read.inquiry
    lead = read.lead if inquiry is not None else None
    with db.transaction() as tx:
        inquiry_store.add_interaction_update(tx, item, after)
        if inquiry is not None and inquiry.id == before.id:
            won = lead is not None and lead.status == "won"
            changed = apply_to_inquiry(inquiry, patch, sent)
            inquiry_store.add_update(tx, inquiry, changed)
            if lead is not None:
                lead_store.add_status_check(tx, lead, lead.status, conflict="The lead changed meanwhile; retry.")
            delta = counters.difference(
                counters.inquiry_counts(changed, won=won), counters.inquiry_counts(inquiry, won=won)
            )
            stats.add(tx, principal.org_id, delta)
    return replace(after, version=before.version + 1)


def timeline_page(principal: Principal, account_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEntry]:
    return store.page(principal, account_id, limit, cursor)
