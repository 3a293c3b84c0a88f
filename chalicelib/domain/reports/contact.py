"""Contact success, raw as platforms count it and fair as a rep deserves.

An *inquiry* is the first inbound message of a conversation (a lead; a message without a lead is
a conversation with the account). **Raw** counts every inquiry and calls it converted when its
lead was won. **Fair** first collapses one person's repeats: an inquiry that arrives within 24
hours after an earlier inquiry of the same person (the same message sent to several listings)
joins that earlier inquiry's group and is not another inquiry. Then it drops the groups marked
``non_commercial`` (how does the platform work? a curious question). Every raw inquiry lands in
exactly one bucket:

    raw.inquiries = fair.inquiries + duplicates_collapsed + non_commercial_excluded

Fair converted counts the won leads of the fair inquiries and of the collapsed repeats (a
buyer who wrote to five listings and bought through the third is one inquiry and one sale).
Outcomes a rep sets on a fair inquiry (``price_comparison``, ``just_curious``, ``no_reply``) are
counted beside the rates instead of silently against the rep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.domain.reports.funnel import ratio
from chalicelib.domain.reports.histogram import RESPONSE_MINUTES, median, quantile

REPEAT_WINDOW = timedelta(hours=24)
OUTCOMES = ("price_comparison", "just_curious", "no_reply")
Outcome = Literal["price_comparison", "just_curious", "no_reply"]
Bucket = Literal["fair", "duplicate", "non_commercial"]

# Counter names.
RAW = "inq_raw"
RAW_WON = "inq_raw_won"
FAIR = "inq_fair"
FAIR_WON = "inq_fair_won"
DUPLICATE = "inq_dup"
DUPLICATE_WON = "inq_dup_won"
NON_COMMERCIAL = "inq_noncom"


def outcome_counter(outcome: str) -> str:
    return f"out_{outcome}"


@dataclass(frozen=True)
class Earlier:
    """An inquiry the same person sent before: its id, when, and the group it belongs to."""

    id: str
    at: datetime
    group: str  # the id of the group's first inquiry (its own id if it is first)


def group_of(at: datetime, earlier: Iterable[Earlier]) -> str | None:
    """The group a new inquiry at ``at`` joins: that of the person's latest inquiry at most 24
    hours before it (measured from the group's first message), or None: a new group."""
    candidates = [e for e in earlier if e.at <= at and at - e.at <= REPEAT_WINDOW and e.group == e.id]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (e.at, e.id)).id


def bucket(is_repeat: bool, intent: str | None) -> Bucket:
    if is_repeat:
        return "duplicate"
    return "non_commercial" if intent == "non_commercial" else "fair"


def inquiry_counters(*, is_repeat: bool, intent: str | None, outcome: str | None, won: bool) -> dict[str, int]:
    """What one inquiry adds to the counters of its day and rep."""
    kind = bucket(is_repeat, intent)
    found = {RAW: 1}
    if won:
        found[RAW_WON] = 1
    if kind == "fair":
        found[FAIR] = 1
        if won:
            found[FAIR_WON] = 1
        if outcome in OUTCOMES:
            found[outcome_counter(outcome)] = 1
    elif kind == "duplicate":
        found[DUPLICATE] = 1
        if won:
            found[DUPLICATE_WON] = 1
    else:
        found[NON_COMMERCIAL] = 1
    return found


@dataclass(frozen=True)
class Rate:
    inquiries: int
    converted: int
    rate: float | None


@dataclass(frozen=True)
class ContactSuccess:
    raw: Rate
    fair: Rate
    duplicates_collapsed: int
    non_commercial_excluded: int
    outcomes: dict[str, int]
    responses: int
    median_first_response_minutes: int | None
    p90_first_response_minutes: int | None


def contact_from_counters(counters: Mapping[str, int]) -> ContactSuccess:
    def get(name: str) -> int:
        return int(counters.get(name, 0))

    fair_converted = get(FAIR_WON) + get(DUPLICATE_WON)
    minutes = RESPONSE_MINUTES.counts(counters)
    return ContactSuccess(
        raw=Rate(get(RAW), get(RAW_WON), ratio(get(RAW_WON), get(RAW))),
        fair=Rate(get(FAIR), fair_converted, ratio(fair_converted, get(FAIR))),
        duplicates_collapsed=get(DUPLICATE),
        non_commercial_excluded=get(NON_COMMERCIAL),
        outcomes={outcome: get(outcome_counter(outcome)) for outcome in OUTCOMES},
        responses=sum(minutes.values()),
        median_first_response_minutes=median(minutes),
        p90_first_response_minutes=quantile(minutes, 0.9),
    )


@dataclass(frozen=True)
class InquiryFacts:
    """One inquiry, for computing the report directly (tests, cross-checks)."""

    id: str
    person: str
    at: datetime
    intent: str | None = None
    outcome: str | None = None
    won: bool = False
    response_minutes: float | None = None


def groups(inquiries: Iterable[InquiryFacts]) -> dict[str, str]:
    """Each inquiry's group (the id of its group's first inquiry), taking them in time order."""
    seen: dict[str, list[Earlier]] = {}
    found: dict[str, str] = {}
    for inquiry in sorted(inquiries, key=lambda i: (i.at, i.id)):
        earlier = seen.setdefault(inquiry.person, [])
        group = group_of(inquiry.at, earlier) or inquiry.id
        found[inquiry.id] = group
        earlier.append(Earlier(inquiry.id, inquiry.at, group))
    return found


def contact_of(inquiries: Iterable[InquiryFacts]) -> ContactSuccess:
    """The report computed directly from inquiries (what the counters must agree with)."""
    listed = list(inquiries)
    grouping = groups(listed)
    total: dict[str, int] = {}
    for inquiry in listed:
        repeat = grouping[inquiry.id] != inquiry.id
        counts = inquiry_counters(is_repeat=repeat, intent=inquiry.intent, outcome=inquiry.outcome, won=inquiry.won)
        if inquiry.response_minutes is not None:
            counts[RESPONSE_MINUTES.counter(inquiry.response_minutes)] = 1
        for name, count in counts.items():
            total[name] = total.get(name, 0) + count
    return contact_from_counters(total)
