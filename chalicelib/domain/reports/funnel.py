"""The funnel of a cohort: the leads created in a period, and how far each of them got.

``count`` of a step is how many leads of the cohort ever reached it. A forward move may skip
steps; a lead counts for every step up to the furthest it reached (a lead that went from
prospecting straight to closing passed approach, presentation and objections), so the funnel
never widens and a conversion is at most 1. Going back to presentation after objections does
not make a lead reach anything twice.

Win rate is won / (won + lost): open leads are shown beside it and never counted as lost.
Sales-cycle days run from a won lead's creation to its win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.reports.histogram import CYCLE_DAYS, median, quantile, tally

STAGES = ("prospecting", "approach", "presentation", "objections", "closing", "follow_up")
STAGE_INDEX = {stage: index for index, stage in enumerate(STAGES)}

# Counter names (attributes of a counter item) the funnel reads.
LEADS = "leads"
WON = "won"
LOST = "lost"


def reached(stage: str) -> str:
    return f"reached_{stage}"


def ratio(part: int, whole: int) -> float | None:
    """part / whole to 4 places, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def cycle_days(created_at: datetime, won_at: datetime) -> float:
    return max(0.0, (won_at - created_at).total_seconds() / 86_400)


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int
    conversion_to_next: float | None


@dataclass(frozen=True)
class Funnel:
    steps: list[FunnelStep]
    leads: int
    won: int
    lost: int
    open: int
    win_rate: float | None
    median_cycle_days: int | None
    p90_cycle_days: int | None


def funnel_from_counters(counters: Mapping[str, int]) -> Funnel:
    """The funnel from summed counters (``leads``, ``reached_<stage>``, ``won``, ``lost``, ``cd_<edge>``)."""
    counts = [int(counters.get(reached(stage), 0)) for stage in STAGES]
    steps = [
        FunnelStep(stage, counts[i], ratio(counts[i + 1], counts[i]) if i + 1 < len(STAGES) else None)
        for i, stage in enumerate(STAGES)
    ]
    leads, won, lost = (int(counters.get(name, 0)) for name in (LEADS, WON, LOST))
    cycles = CYCLE_DAYS.counts(counters)
    return Funnel(
        steps=steps,
        leads=leads,
        won=won,
        lost=lost,
        open=leads - won - lost,
        win_rate=ratio(won, won + lost),
        median_cycle_days=median(cycles),
        p90_cycle_days=quantile(cycles, 0.9),
    )


@dataclass(frozen=True)
class LeadOutcome:
    """What the funnel needs to know about one lead."""

    created_at: datetime
    furthest_stage: str
    status: str  # open, won, lost
    won_at: datetime | None = None


def furthest(stages: Iterable[str]) -> str:
    """The furthest step among those a lead's history entered."""
    return max(stages, key=lambda s: STAGE_INDEX[s], default=STAGES[0])


def lead_counters(lead: LeadOutcome) -> dict[str, int]:
    """What one lead adds to its cohort's counters."""
    found = {LEADS: 1}
    for stage in STAGES[: STAGE_INDEX[lead.furthest_stage] + 1]:
        found[reached(stage)] = 1
    if lead.status == "won":
        found[WON] = 1
        if lead.won_at is not None:
            found[CYCLE_DAYS.counter(cycle_days(lead.created_at, lead.won_at))] = 1
    elif lead.status == "lost":
        found[LOST] = 1
    return found


def funnel_of(leads: Iterable[LeadOutcome]) -> Funnel:
    """The funnel computed directly from leads (what the counters must agree with)."""
    total: dict[str, int] = {}
    for lead in leads:
        for name, count in lead_counters(lead).items():
            total[name] = total.get(name, 0) + count
    return funnel_from_counters(total)


__all__ = ["CYCLE_DAYS", "Funnel", "FunnelStep", "LeadOutcome", "funnel_from_counters", "funnel_of", "tally"]
