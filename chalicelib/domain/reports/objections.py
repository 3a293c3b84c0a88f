"""The objections report: per category how often it was raised, how often resolved, how many
counter-offers were made, and how many lost leads it preceded; quote changes by reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.reports.funnel import ratio

CATEGORIES = ("price", "financing", "value", "timing", "competitor", "authority", "rejection", "other")
QUOTE_REASONS = ("scope_change", "add_on", "discount", "correction")


def raised(category: str) -> str:
    return f"obj_{category}"


def resolved(category: str) -> str:
    return f"obj_{category}_resolved"


def countered(category: str) -> str:
    return f"obj_{category}_counter"


def preceded_loss(category: str) -> str:
    return f"obj_{category}_lost"


def quote_changes(reason: str) -> str:
    return f"quote_{reason}"


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    count: int
    resolved: int
    resolution_rate: float | None
    counter_offers: int
    lost_leads_preceded: int


@dataclass(frozen=True)
class ObjectionsReport:
    categories: list[CategoryFigures]
    total: int
    quote_changes: dict[str, int]


def objection_counters(*, category: str, status: str, counter_offer: bool, lost_after: bool) -> dict[str, int]:
    found = {raised(category): 1}
    if status == "resolved":
        found[resolved(category)] = 1
    if counter_offer:
        found[countered(category)] = 1
    if lost_after:
        found[preceded_loss(category)] = 1
    return found


def objections_from_counters(counters: Mapping[str, int]) -> ObjectionsReport:
    def get(name: str) -> int:
        return int(counters.get(name, 0))

    figures = [
        CategoryFigures(
            category=c,
            count=get(raised(c)),
            resolved=get(resolved(c)),
            resolution_rate=ratio(get(resolved(c)), get(raised(c))),
            counter_offers=get(countered(c)),
            lost_leads_preceded=get(preceded_loss(c)),
        )
        for c in CATEGORIES
    ]
    return ObjectionsReport(
        categories=figures,
        total=sum(f.count for f in figures),
        quote_changes={reason: get(quote_changes(reason)) for reason in QUOTE_REASONS},
    )
