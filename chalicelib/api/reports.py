"""/reports/* and /reps/{id}/scorecard: figures read from the report counters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, QueryParam, endpoint
from chalicelib.api.lazy import service
from chalicelib.api.report_schemas import (
    ContactSuccessOut,
    FunnelOut,
    FunnelStepOut,
    GoalOut,
    ObjectionCategoryOut,
    ObjectionsOut,
    RateOut,
    ReportPeriod,
    ScorecardOut,
)
from chalicelib.domain.reports.period import Period
from chalicelib.domain.timeutil import format_rfc3339

if TYPE_CHECKING:
    from chalicelib.services import reports
else:  # imported on the first call (cold start)
    reports = service("reports")

bp = Blueprint(__name__)
TAGS = ["reports"]

PERIOD = (
    QueryParam("from", "first UTC day, 2026-11-01 (default: 29 days before to)", {"type": "string", "format": "date"}),
    QueryParam(
        "to", "last UTC day, inclusive (default: today); at most 366 days", {"type": "string", "format": "date"}
    ),
)
WHO = (
    QueryParam("owner_id", "one rep's figures (a rep may ask only for their own; another rep's are a 404)"),
    QueryParam("team", "the figures of the reps in a team (managers and admins)"),
)


def period_out(days: Period) -> ReportPeriod:
    return ReportPeriod(first_day=days.first.isoformat(), last_day=days.last.isoformat())


def _q(call: Call, name: str) -> str | None:
    return call.query.get(name) or None


@endpoint(
    bp,
    "/reports/funnel",
    summary="The funnel of a cohort: of the leads CREATED in the period, how many ever reached each step, "
    "conversion to the next, win rate (won / (won + lost); open leads are not lost) and median cycle days",
    tags=TAGS,
    response=FunnelOut,
    query=[*PERIOD, *WHO],
    errors=[404],
)
def funnel(call: Call) -> FunnelOut:
    report = reports.funnel(
        call.principal,
        raw_from=_q(call, "from"),
        raw_to=_q(call, "to"),
        owner_id=_q(call, "owner_id"),
        team=_q(call, "team"),
    )
    f = report.figures
    return FunnelOut(
        period=period_out(report.period),
        owner_id=report.scope.owner_id,
        team=report.scope.team,
        steps=[FunnelStepOut(stage=s.stage, count=s.count, conversion_to_next=s.conversion_to_next) for s in f.steps],
        leads=f.leads,
        won=f.won,
        lost=f.lost,
        open=f.open,
        win_rate=f.win_rate,
        median_cycle_days=f.median_cycle_days,
        p90_cycle_days=f.p90_cycle_days,
    )


@endpoint(
    bp,
    "/reports/contact-success",
    summary="Contact success of the inquiries that arrived in the period: raw (every conversation's first inbound "
    "message) beside fair (repeats within 24 h collapsed, non-commercial excluded), the buckets, and first-response "
    "minutes in the rep's working hours",
    tags=TAGS,
    response=ContactSuccessOut,
    query=[*PERIOD, *WHO],
    errors=[404],
)
def contact_success(call: Call) -> ContactSuccessOut:
    report = reports.contact_success(
        call.principal,
        raw_from=_q(call, "from"),
        raw_to=_q(call, "to"),
        owner_id=_q(call, "owner_id"),
        team=_q(call, "team"),
    )
    c = report.figures
    return ContactSuccessOut(
        period=period_out(report.period),
        owner_id=report.scope.owner_id,
        team=report.scope.team,
        raw=RateOut(inquiries=c.raw.inquiries, converted=c.raw.converted, rate=c.raw.rate),
        fair=RateOut(inquiries=c.fair.inquiries, converted=c.fair.converted, rate=c.fair.rate),
        duplicates_collapsed=c.duplicates_collapsed,
        non_commercial_excluded=c.non_commercial_excluded,
        outcomes=c.outcomes,
        responses=c.responses,
        median_first_response_minutes=c.median_first_response_minutes,
        p90_first_response_minutes=c.p90_first_response_minutes,
    )


@endpoint(
    bp,
    "/reports/objections",
    summary="Objections raised in the period by category: count, resolution rate, counter-offers, lost leads each "
    "preceded; and quote changes by reason (managers and admins)",
    tags=TAGS,
    response=ObjectionsOut,
    query=list(PERIOD),
    errors=[404],
)
def objections(call: Call) -> ObjectionsOut:
    report = reports.objections(call.principal, raw_from=_q(call, "from"), raw_to=_q(call, "to"))
    o = report.figures
    return ObjectionsOut(
        period=period_out(report.period),
        categories=[
            ObjectionCategoryOut(
                category=c.category,
                count=c.count,
                resolved=c.resolved,
                resolution_rate=c.resolution_rate,
                counter_offers=c.counter_offers,
                lost_leads_preceded=c.lost_leads_preceded,
            )
            for c in o.categories
        ],
        total=o.total,
        quote_changes=o.quote_changes,
    )


@endpoint(
    bp,
    "/reps/{rep_id}/scorecard",
    summary="A rep's ISO week (in their time zone) against their weekly goals: prospects added, contacts made, "
    "wins, and win_ratio (close 1 in N), each with its shortfall or surplus",
    tags=TAGS,
    response=ScorecardOut,
    query=[
        QueryParam(
            "week", "ISO week, e.g. 2026-W47 (default: last week)", {"type": "string", "pattern": r"^\d{4}-W\d{2}$"}
        )
    ],
    errors=[404],
)
def scorecard(call: Call) -> ScorecardOut:
    profile, card = reports.rep_scorecard(call.principal, call.path["rep_id"], _q(call, "week"))
    return ScorecardOut(
        rep_id=profile.user_id,
        week=card.week,
        timezone=profile.timezone,
        start=format_rfc3339(card.start),
        end=format_rfc3339(card.end),
        prospects_added=card.prospects_added,
        contacts_made=card.contacts_made,
        wins=card.wins,
        goals=[
            GoalOut(goal=g.goal, target=g.target, actual=g.actual, difference=g.difference, met=g.met)
            for g in card.goals
        ],
    )
