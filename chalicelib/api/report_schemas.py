"""Response shapes of the reports, scorecards and rep first-response figures. Every figure is
defined here, and so in /openapi.json."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.model import Model


class ReportPeriod(Model):
    first_day: str = Field(description="first UTC day counted (the from parameter), inclusive")
    last_day: str = Field(description="last UTC day counted (the to parameter), inclusive")


class FunnelStepOut(Model):
    stage: str
    count: int = Field(
        description="leads of the cohort that ever reached this step (or a later one: a skipped step counts as passed)"
    )
    conversion_to_next: float | None = Field(
        description="count of the next step / count of this one; null for follow_up or an empty step"
    )


class FunnelOut(Model):
    period: ReportPeriod = Field(description="the cohort: leads CREATED on these UTC days, however far they got since")
    owner_id: str | None
    team: str | None
    steps: list[FunnelStepOut] = Field(description="the six steps in order")
    leads: int = Field(description="leads in the cohort")
    won: int
    lost: int
    open: int = Field(description="still open: shown, never counted as lost")
    win_rate: float | None = Field(description="won / (won + lost); null when none is closed")
    median_cycle_days: int | None = Field(
        description="median days from creation to win of the won leads (lower median, nearest rank), exact to the "
        "day up to 60 days, to the week up to 180, to 30 days up to 720"
    )
    p90_cycle_days: int | None = Field(description="90th percentile of the same, same resolution")


class RateOut(Model):
    inquiries: int
    converted: int
    rate: float | None = Field(description="converted / inquiries to 4 places; null without inquiries")


class ContactSuccessOut(Model):
    period: ReportPeriod = Field(description="inquiries that ARRIVED on these UTC days")
    owner_id: str | None
    team: str | None
    raw: RateOut = Field(
        description="as platforms count it: every conversation's first inbound message (a lead's, or an account's "
        "without a lead) is an inquiry, converted when its lead was won"
    )
    fair: RateOut = Field(
        description="one person's repeats within 24 hours of their group's first inquiry collapsed into it, groups "
        "marked non_commercial dropped; converted counts the won leads of fair inquiries and of their collapsed repeats"
    )
    duplicates_collapsed: int = Field(description="raw inquiries that were repeats (raw = fair + these + excluded)")
    non_commercial_excluded: int = Field(description="raw inquiries marked intent non_commercial")
    outcomes: dict[str, int] = Field(
        description="fair inquiries by the outcome the rep set: price_comparison, just_curious, no_reply"
    )
    responses: int = Field(description="inquiries with a first reply")
    median_first_response_minutes: int | None = Field(
        description="median minutes to the first outbound reply, counting only the rep's working hours in their time "
        "zone (a message outside hours counts from when they begin; days off count nothing); lower median read from "
        "buckets exact to the minute up to 60, to 5 minutes up to 240, to 30 up to 1440, to 240 up to 7200"
    )
    p90_first_response_minutes: int | None = Field(description="90th percentile of the same, same resolution")


class ObjectionCategoryOut(Model):
    category: str
    count: int = Field(description="objections of this category raised in the period")
    resolved: int = Field(description="of those, now resolved")
    resolution_rate: float | None = Field(description="resolved / count")
    counter_offers: int = Field(description="of those, with a counter-offer or requested discount")
    lost_leads_preceded: int = Field(description="leads lost after (and linked to) an objection of this category")


class ObjectionsOut(Model):
    period: ReportPeriod = Field(description="objections RAISED and quote changes MADE on these UTC days")
    categories: list[ObjectionCategoryOut]
    total: int
    quote_changes: dict[str, int] = Field(
        description="changes of a lead's quoted value by reason: scope_change, add_on, discount, correction"
    )


class GoalOut(Model):
    goal: str
    target: int
    actual: float | None = Field(description="the week's figure; for win_ratio, contacts per win (null without a win)")
    difference: float | None = Field(
        description="actual minus the goal (negative: shortfall, positive: surplus); for win_ratio N, wins minus the "
        "ceil(contacts / N) wins the week's contacts ask for"
    )
    met: bool | None


class ScorecardOut(Model):
    rep_id: str
    week: str = Field(description="ISO week (Monday to Sunday) in the rep's time zone")
    timezone: str
    start: str
    end: str
    prospects_added: int = Field(description="leads created that the rep owns")
    contacts_made: int = Field(description="outbound interactions (not notes) with the rep's customers")
    wins: int = Field(description="the rep's leads won in the week")
    goals: list[GoalOut] = Field(description="one per weekly goal: prospects, contacts, wins, win_ratio")


class FirstResponseOut(Model):
    period: ReportPeriod
    responses: int
    median_minutes: int | None = Field(description="in the rep's working hours; see the contact-success report")
    p90_minutes: int | None
