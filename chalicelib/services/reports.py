"""Reports read from the counters: a bounded number of DynamoDB calls, however many leads.

Every report reads the counter items of one scope over the period with one Query (the
organisation's, or one rep's); a team report reads the team's members (one Query) and then each
member's counters. A rep may ask only for their own figures; asking for another rep's, or for a
team's or the organisation's, is a 404 (the figures are not theirs to know exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from chalicelib.config import now
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.reports import counters, scorecard
from chalicelib.domain.reports.contact import ContactSuccess, contact_from_counters
from chalicelib.domain.reports.funnel import Funnel, funnel_from_counters
from chalicelib.domain.reports.objections import ObjectionsReport, objections_from_counters
from chalicelib.domain.reports.period import Period, period
from chalicelib.domain.reps import RepProfile
from chalicelib.persistence import reps as rep_store
from chalicelib.persistence import stats
from chalicelib.services import reps as rep_service

FIRST_RESPONSE_DAYS = 28  # GET /reps/{id} shows the last four weeks


@dataclass(frozen=True)
class Scope:
    owner_id: str | None = None
    team: str | None = None


def _scope(principal: Principal, owner_id: str | None, team: str | None) -> Scope:
    if owner_id and team:
        raise ValidationFailed.single("team", "ask for a rep or a team, not both")
    if principal.sees_whole_org:
        return Scope(owner_id or None, team or None)
    if team or (owner_id and owner_id != principal.user_id):
        raise NotFound("No such report.")
    return Scope(principal.user_id)  # a rep's report is always their own


def _read(principal: Principal, scope: Scope, first: str, last: str) -> dict[str, int]:
    org = principal.org_id
    if scope.owner_id:
        return stats.read_period(org, counters.rep(scope.owner_id), first, last)
    if scope.team:
        members = rep_store.team_members(org, scope.team)
        return counters.sum_counters(stats.read_period(org, counters.rep(m), first, last) for m in members)
    return stats.read_period(org, counters.ORG, first, last)


T = TypeVar("T")


@dataclass(frozen=True)
class Report(Generic[T]):
    period: Period
    scope: Scope
    figures: T


def funnel(
    principal: Principal, *, raw_from: str | None, raw_to: str | None, owner_id: str | None, team: str | None
) -> Report[Funnel]:
    """The cohort of leads created in the period (UTC days), however far they got since."""
    days = period(raw_from, raw_to, now())
    scope = _scope(principal, owner_id, team)
    return Report(days, scope, funnel_from_counters(_read(principal, scope, days.first_key, days.last_key)))


def contact_success(
    principal: Principal, *, raw_from: str | None, raw_to: str | None, owner_id: str | None, team: str | None
) -> Report[ContactSuccess]:
    """The inquiries that arrived in the period, raw and fair, with their buckets."""
    days = period(raw_from, raw_to, now())
    scope = _scope(principal, owner_id, team)
    return Report(days, scope, contact_from_counters(_read(principal, scope, days.first_key, days.last_key)))


def objections(principal: Principal, *, raw_from: str | None, raw_to: str | None) -> Report[ObjectionsReport]:
    """The organisation's objections raised in the period, and its quote changes (managers)."""
    if not principal.sees_whole_org:
        raise NotFound("No such report.")
    days = period(raw_from, raw_to, now())
    figures = objections_from_counters(stats.read_period(principal.org_id, counters.ORG, days.first_key, days.last_key))
    return Report(days, Scope(), figures)


def rep_scorecard(principal: Principal, rep_id: str, week: str | None) -> tuple[RepProfile, scorecard.Scorecard]:
    """One ISO week of the rep's own zone: the profile (zone, goals), then one Query over the
    week's 15-minute slots."""
    profile = rep_service.get_rep(principal, rep_id)
    wanted = scorecard.parse_week(week) if week else scorecard.week_of(now(), profile.timezone).previous()
    return profile, week_scorecard(profile, wanted)


def week_scorecard(profile: RepProfile, week: scorecard.IsoWeek) -> scorecard.Scorecard:
    """The rep's figures for one week of their zone against their goals: one Query over the
    week's 15-minute slots (also what the weekly scorecard e-mail reports)."""
    start, end = scorecard.week_bounds(week, profile.timezone)
    last_slot = end - timedelta(minutes=scorecard.SLOT_MINUTES)
    found = stats.read_period(
        profile.org_id, counters.rep(profile.user_id), counters.slot(start), counters.slot(last_slot)
    )
    return scorecard.score(week, profile.timezone, found, profile.weekly_goals)


@dataclass(frozen=True)
class RepOverview:
    profile: RepProfile
    first_response: ContactSuccess
    period: Period


def rep_overview(principal: Principal, rep_id: str) -> RepOverview:
    """The rep's profile and their first-response times of the last four weeks."""
    profile = rep_service.get_rep(principal, rep_id)
    today = now()
    days = period((today - timedelta(days=FIRST_RESPONSE_DAYS - 1)).date().isoformat(), None, today)
    found = stats.read_period(principal.org_id, counters.rep(rep_id), days.first_key, days.last_key)
    return RepOverview(profile, contact_from_counters(found), days)
