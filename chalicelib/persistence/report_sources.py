"""What stored items add to the report counters: the one function erasure (to take them off)
and the rebuild (to sum them afresh) share, built on ``domain.reports.counters``."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.pipeline import Lead
from chalicelib.domain.reports import counters
from chalicelib.domain.reports.counters import Counts
from chalicelib.domain.timeutil import parse_rfc3339
from chalicelib.persistence import db, keys
from chalicelib.persistence import inquiries as inquiry_store
from chalicelib.persistence import leads as lead_store
from chalicelib.persistence import objections as objection_store
from chalicelib.persistence import quotes as quote_store
from chalicelib.persistence.models import (
    AccountItem,
    InquiryItem,
    Item,
    LeadItem,
    ObjectionItem,
    QuoteChangeItem,
    StageMoveItem,
    TimelineItem,
)


def lead_state(lead: Lead, stages: Iterable[str], inquiry: Inquiry | None) -> Counts:
    """A lead's counts together with its inquiry's (whose conversion follows the lead's status)."""
    parts = [counters.lead_counts(lead, stages)]
    if inquiry is not None:
        parts.append(counters.inquiry_counts(inquiry, won=lead.status == "won"))
    return counters.combine(parts)


def contributions(org_id: str, rows: Iterable[Item]) -> Counts:
    """The counters a set of stored items adds up to: whole lead partitions (lead, history,
    inquiry, objections, quote changes) and account partitions (interactions, lead-less
    inquiries) as ``accounts.attached_rows`` reads them."""
    leads: dict[str, Lead] = {}
    stages: dict[str, list[str]] = {}
    found_inquiries: list[Inquiry] = []
    parts: list[Counts] = []
    for row in rows:
        if isinstance(row, LeadItem):
            leads[row.id] = lead_store.to_domain(row)
        elif isinstance(row, StageMoveItem):
            stages.setdefault(row.lead_id, []).append(row.to_stage)
        elif isinstance(row, InquiryItem):
            found_inquiries.append(inquiry_store.to_domain(row))
        elif isinstance(row, ObjectionItem):
            parts.append(counters.objection_counts(objection_store.to_domain(row)))
        elif isinstance(row, QuoteChangeItem):
            parts.append(counters.quote_change_counts(quote_store.to_domain(row, org_id)))
        elif isinstance(row, TimelineItem) and row.entry_type == "interaction":
            data = db.plain(row.data)
            parts.append(
                counters.contact_counts(
                    direction=data.get("direction", ""),
                    channel=data.get("channel", ""),
                    rep_id=data.get("rep_id", ""),
                    at=parse_rfc3339(row.at),
                )
            )
    parts += [counters.lead_counts(lead, stages.get(lead_id, [])) for lead_id, lead in leads.items()]
    for inquiry in found_inquiries:
        lead = leads.get(inquiry.lead_id or "")
        parts.append(counters.inquiry_counts(inquiry, won=lead is not None and lead.status == "won"))
    return counters.combine(parts)


@db.bound
def account_ids(org_id: str) -> list[str]:
    """Every account of the organisation, through its account list (gsi1; maintenance only)."""
    found = Item.gsi1.query(keys.accounts_list(org_id), attributes_to_get=["pk", "sk", "kind", "id"])
    return [row.id for row in found if isinstance(row, AccountItem)]
