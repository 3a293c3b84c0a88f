"""What every source item adds to the report counters.

A counter item is named by a scope (the organisation, or one rep) and a period (a UTC day
``D#2026-11-22``, or a 15-minute UTC slot ``S#2026-11-22T09:30`` for scorecards), and holds
plain integer counters. The counters are, by definition, the sum over all source items of what
each contributes: a lead to the day it was created (its cohort), an inquiry to the day it
arrived, an objection to the day it was raised. A change to an item adds ``after - before`` to
the counters in the change's own transaction, and the rebuild sums the contributions afresh, so
the two agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from chalicelib.domain.inquiries import Inquiry
from chalicelib.domain.objections import Objection
from chalicelib.domain.pipeline import Lead
from chalicelib.domain.quotes import QuoteChange
from chalicelib.domain.reports import contact, objections, scorecard
from chalicelib.domain.reports.funnel import LeadOutcome, furthest, lead_counters
from chalicelib.domain.reports.histogram import RESPONSE_MINUTES

Key = tuple[str, str]  # (scope, period)
Counts = dict[Key, dict[str, int]]

ORG = "ORG"
DAY = "D#"
SLOT = "S#"


def rep(user_id: str) -> str:
    return f"REP#{user_id}"


def day(at: datetime) -> str:
    return DAY + at.astimezone(UTC).strftime("%Y-%m-%d")


def day_of_date(value: str) -> str:
    return DAY + value


def slot(at: datetime) -> str:
    return SLOT + scorecard.slot(at).strftime("%Y-%m-%dT%H:%M")


def add_into(total: Counts, key: Key, counts: Mapping[str, int], sign: int = 1) -> None:
    bucket = total.setdefault(key, {})
    for name, value in counts.items():
        bucket[name] = bucket.get(name, 0) + sign * value


def combine(parts: Iterable[Counts]) -> Counts:
    total: Counts = {}
    for part in parts:
        for key, counts in part.items():
            add_into(total, key, counts)
    return prune(total)


def difference(after: Counts, before: Counts) -> Counts:
    """``after - before`` without the counters that do not change."""
    total: Counts = {}
    for key, counts in after.items():
        add_into(total, key, counts)
    for key, counts in before.items():
        add_into(total, key, counts, -1)
    return prune(total)


def prune(total: Counts) -> Counts:
    pruned = {key: {n: v for n, v in counts.items() if v} for key, counts in total.items()}
    return {key: counts for key, counts in pruned.items() if counts}


def sum_counters(items: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in items:
        for name, value in counts.items():
            total[name] = total.get(name, 0) + int(value)
    return total


# -- contributions ---------------------------------------------------------------------------


def lead_counts(lead: Lead, stages_entered: Iterable[str] = ()) -> Counts:
    """A lead counts in its creation day's cohort (organisation and owner) for every step up to
    the furthest it reached, won or lost, and its cycle days; and on its owner's scorecard as a
    prospect added when created and a win when won."""
    won_at = lead.closed_at if lead.status == "won" else None
    outcome = LeadOutcome(lead.created_at, furthest([*stages_entered, lead.stage]), lead.status, won_at)
    funnel = lead_counters(outcome)
    created = day(lead.created_at)
    counts: Counts = {(ORG, created): dict(funnel), (rep(lead.owner_id), created): dict(funnel)}
    add_into(counts, (rep(lead.owner_id), slot(lead.created_at)), {scorecard.PROSPECTS: 1})
    if won_at is not None:
        add_into(counts, (rep(lead.owner_id), slot(won_at)), {scorecard.WINS: 1})
    return counts


def inquiry_counts(inquiry: Inquiry, *, won: bool) -> Counts:
    """An inquiry counts on the day it arrived for the organisation and the rep it reached; its
    first-response minutes go into that day's histogram."""
    found = contact.inquiry_counters(
        is_repeat=inquiry.is_repeat, intent=inquiry.intent, outcome=inquiry.outcome, won=won
    )
    if inquiry.response_minutes is not None:
        found[RESPONSE_MINUTES.counter(inquiry.response_minutes)] = 1
    arrived = day(inquiry.at)
    return {(ORG, arrived): dict(found), (rep(inquiry.rep_id), arrived): dict(found)}


CONTACT_CHANNELS = ("phone", "email", "sms", "whatsapp", "chat", "social", "meeting")  # a note is no contact


def contact_counts(*, direction: str, channel: str, rep_id: str, at: datetime) -> Counts:
    """An outbound message or call is a contact made on the scorecard of the rep whose customer it is."""
    if direction != "outbound" or channel not in CONTACT_CHANNELS or not rep_id:
        return {}
    return {(rep(rep_id), slot(at)): {scorecard.CONTACTS: 1}}


def objection_counts(objection: Objection) -> Counts:
    found = objections.objection_counters(
        category=objection.category,
        status=objection.status,
        counter_offer=objection.counter_offer is not None,
        lost_after=objection.preceded_loss,
    )
    return {(ORG, day(objection.created_at)): found}


def quote_change_counts(change: QuoteChange) -> Counts:
    return {(ORG, day(change.at)): {objections.quote_changes(change.reason): 1}}
