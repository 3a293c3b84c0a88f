"""Report arithmetic with hand-computed figures: working hours, histograms, funnel, contact
success, ISO weeks and scorecards. No AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.reports import histogram as h
from chalicelib.domain.reports.contact import InquiryFacts, contact_of, groups
from chalicelib.domain.reports.funnel import LeadOutcome, funnel_of
from chalicelib.domain.reports.scorecard import IsoWeek, parse_week, score, slot, week_bounds, week_of
from chalicelib.domain.reports.working_hours import working_minutes

RIYADH = "Asia/Riyadh"
SUN_THU = {d: ["09:00", "17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


# -- working hours ---------------------------------------------------------------------------


def test_thursday_evening_to_sunday_morning_is_twenty_minutes() -> None:
    sent = local(RIYADH, 2026, 11, 19, 16, 50)  # Thursday
    answered = local(RIYADH, 2026, 11, 22, 9, 10)  # Sunday
    assert working_minutes(sent, answered, zone=RIYADH, hours=SUN_THU) == 20


def test_a_message_outside_hours_starts_counting_when_they_begin() -> None:
    saturday_night = local(RIYADH, 2026, 11, 21, 20, 0)
    assert working_minutes(saturday_night, local(RIYADH, 2026, 11, 22, 9, 30), zone=RIYADH, hours=SUN_THU) == 30
    early_sunday = local(RIYADH, 2026, 11, 22, 7, 0)
    assert working_minutes(early_sunday, local(RIYADH, 2026, 11, 22, 9, 5), zone=RIYADH, hours=SUN_THU) == 5


def test_days_off_count_nothing() -> None:
    friday, saturday = local(RIYADH, 2026, 11, 20, 10, 0), local(RIYADH, 2026, 11, 21, 15, 0)
    assert working_minutes(friday, saturday, zone=RIYADH, hours=SUN_THU) == 0


def test_a_full_week_is_five_working_days() -> None:
    start = local(RIYADH, 2026, 11, 22, 9, 0)
    assert working_minutes(start, start + timedelta(days=7), zone=RIYADH, hours=SUN_THU) == 5 * 8 * 60


def test_berlin_spring_forward_day_is_an_hour_short() -> None:
    zone = "Europe/Berlin"  # 2026-03-29 02:00 -> 03:00
    every_day = {"sun": ["00:00", "24:00"]}
    start, end = local(zone, 2026, 3, 29, 0, 0), local(zone, 2026, 3, 30, 0, 0)
    assert working_minutes(start, end, zone=zone, hours=every_day) == 23 * 60
    night_shift = {"sun": ["01:00", "05:00"]}
    assert working_minutes(start, end, zone=zone, hours=night_shift) == 3 * 60


def test_berlin_fall_back_day_is_an_hour_long() -> None:
    zone = "Europe/Berlin"  # 2026-10-25 03:00 -> 02:00
    start, end = local(zone, 2026, 10, 25, 0, 0), local(zone, 2026, 10, 26, 0, 0)
    assert working_minutes(start, end, zone=zone, hours={"sun": ["01:00", "05:00"]}) == 5 * 60
    assert working_minutes(start, end, zone=zone, hours={"sun": ["00:00", "24:00"]}) == 25 * 60


def test_new_york_weekend_with_the_clock_change_keeps_wall_clock_hours() -> None:
    zone = "America/New_York"  # 2026-03-08 02:00 -> 03:00 (a Sunday)
    weekdays = {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    friday = local(zone, 2026, 3, 6, 16, 50)  # EST, 21:50Z
    monday = local(zone, 2026, 3, 9, 9, 10)  # EDT, 13:10Z
    assert working_minutes(friday, monday, zone=zone, hours=weekdays) == 20
    assert working_minutes(friday, monday, zone=zone, hours={"sun": ["00:00", "12:00"]}) == 11 * 60


def test_no_working_hours_means_the_clock_runs_around_the_clock() -> None:
    start = local(RIYADH, 2026, 11, 20, 10, 0)
    assert working_minutes(start, start + timedelta(hours=5), zone=RIYADH, hours={}) == 300


def test_a_reply_before_the_message_counts_nothing() -> None:
    start = local(RIYADH, 2026, 11, 22, 10, 0)
    assert working_minutes(start, start - timedelta(minutes=5), zone=RIYADH, hours=SUN_THU) == 0


ZONES = st.sampled_from(["Asia/Riyadh", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"])
INSTANTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
SPANS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
CLOCKS = st.integers(min_value=0, max_value=96).map(lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}")
HOURS = st.dictionaries(
    st.sampled_from(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    st.tuples(CLOCKS, CLOCKS).filter(lambda t: t[0] < t[1]).map(list),
    min_size=1,
)


@settings(max_examples=80, deadline=None)
@given(zone=ZONES, hours=HOURS, a=INSTANTS, first=SPANS, second=SPANS)
def test_working_minutes_add_up_and_never_exceed_the_elapsed_time(
    zone: str, hours: dict[str, list[str]], a: datetime, first: timedelta, second: timedelta
) -> None:
    b, c = a + first, a + first + second
    whole = working_minutes(a, c, zone=zone, hours=hours)
    assert whole == pytest.approx(
        working_minutes(a, b, zone=zone, hours=hours) + working_minutes(b, c, zone=zone, hours=hours)
    )
    assert 0 <= whole <= (c - a).total_seconds() / 60 + 1e-9


@settings(max_examples=60, deadline=None)
@given(zone=ZONES, a=INSTANTS, span=SPANS)
def test_working_every_hour_of_every_day_is_the_elapsed_time_across_any_clock_change(
    zone: str, a: datetime, span: timedelta
) -> None:
    b = a + span
    all_day = {d: ["00:00", "24:00"] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}
    assert working_minutes(a, b, zone=zone, hours=all_day) == pytest.approx((b - a).total_seconds() / 60)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Python's weekday() order
STEADY_ZONES = ["Asia/Riyadh", "Asia/Kolkata"]  # no clock changes: wall-clock arithmetic is exact


def _clock_minutes(clock: str) -> int:
    hours, minutes = (int(part) for part in clock.split(":"))
    return hours * 60 + minutes


@settings(max_examples=80, deadline=None)
@given(zone=ZONES, hours=HOURS, a=INSTANTS, span=SPANS)
def test_no_minute_counts_on_a_day_off_or_outside_the_days_hours(
    zone: str, hours: dict[str, list[str]], a: datetime, span: timedelta
) -> None:
    tz = ZoneInfo(zone)
    local_start = a.astimezone(tz)
    day = DAYS[local_start.weekday()]
    # From ``a`` to the end of its local day (at most ``span``): only that day's window can count.
    midnight = datetime.combine(local_start.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    b = min(a + span, midnight.astimezone(UTC))
    minutes = working_minutes(a, b, zone=zone, hours=hours)
    if day not in hours:
        assert minutes == 0
    else:
        day_start = datetime.combine(local_start.date(), datetime.min.time(), tzinfo=tz)
        opens, closes = (day_start + timedelta(minutes=_clock_minutes(clock)) for clock in hours[day])
        if zone in STEADY_ZONES:
            inside = (min(b, closes.astimezone(UTC)) - max(a, opens.astimezone(UTC))).total_seconds() / 60
            assert minutes == pytest.approx(max(inside, 0))
        else:  # never more than the window, whatever the clocks did that day
            assert minutes <= (closes - opens).total_seconds() / 60 + 60


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(STEADY_ZONES), hours=HOURS, a=INSTANTS, span=SPANS, weeks=st.integers(1, 30))
def test_a_zone_without_clock_changes_counts_every_week_the_same(
    zone: str, hours: dict[str, list[str]], a: datetime, span: timedelta, weeks: int
) -> None:
    later = timedelta(weeks=weeks)
    assert working_minutes(a, a + span, zone=zone, hours=hours) == pytest.approx(
        working_minutes(a + later, a + span + later, zone=zone, hours=hours)
    )


@settings(max_examples=60, deadline=None)
@given(zone=ZONES, hours=HOURS, a=INSTANTS, span=SPANS)
def test_an_answer_before_the_message_counts_nothing_and_more_time_never_counts_less(
    zone: str, hours: dict[str, list[str]], a: datetime, span: timedelta
) -> None:
    assert working_minutes(a + span, a, zone=zone, hours=hours) == 0
    assert (
        working_minutes(a, a + span, zone=zone, hours=hours)
        <= working_minutes(a, a + span + timedelta(hours=1), zone=zone, hours=hours) + 1e-9
    )


# -- histograms ------------------------------------------------------------------------------


def test_bucket_edges_are_the_documented_resolution() -> None:
    assert [h.RESPONSE_MINUTES.edge(v) for v in (0, 0.9, 20, 59.99, 61, 243, 1500, 7199, 10_000, -3)] == [
        0, 0, 20, 59, 60, 240, 1440, 6960, 7200, 0,
    ]  # fmt: skip
    assert [h.CYCLE_DAYS.edge(v) for v in (0.2, 10.5, 59.9, 66, 200, 1000)] == [0, 10, 59, 60, 180, 720]
    assert h.RESPONSE_MINUTES.counter(20.7) == "rm_20"


def test_median_and_p90_are_nearest_rank_read_from_buckets() -> None:
    counts = h.tally(h.RESPONSE_MINUTES, [1, 2, 3, 4, 100])
    assert h.median(counts) == 3
    assert h.quantile(counts, 0.9) == 100  # rank ceil(4.5) = 5
    assert h.median(h.tally(h.RESPONSE_MINUTES, [10, 20])) == 10  # the lower median
    assert h.quantile(h.tally(h.RESPONSE_MINUTES, list(range(1, 11))), 0.9) == 9
    assert h.median({}) is None
    assert h.RESPONSE_MINUTES.counts({"rm_5": 2, "rm_7": 0, "cd_5": 9, "leads": 3}) == {5: 2}


# -- funnel ----------------------------------------------------------------------------------

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_funnel_counts_every_step_a_lead_reached_and_win_rate_ignores_open_leads() -> None:
    leads = [
        LeadOutcome(T0, "prospecting", "open"),
        LeadOutcome(T0, "follow_up", "won", T0 + timedelta(days=10, hours=12)),
        LeadOutcome(T0, "objections", "lost"),
        LeadOutcome(T0, "closing", "lost"),  # skipped straight to closing: passed the steps between
        LeadOutcome(T0, "objections", "open"),  # went back to presentation after objections
        LeadOutcome(T0, "follow_up", "won", T0 + timedelta(days=3)),
    ]
    f = funnel_of(leads)
    assert [(s.stage, s.count, s.conversion_to_next) for s in f.steps] == [
        ("prospecting", 6, 0.8333),
        ("approach", 5, 1.0),
        ("presentation", 5, 1.0),
        ("objections", 5, 0.6),
        ("closing", 3, 0.6667),
        ("follow_up", 2, None),
    ]
    assert (f.leads, f.won, f.lost, f.open) == (6, 2, 2, 2)
    assert f.win_rate == 0.5
    assert f.median_cycle_days == 3 and f.p90_cycle_days == 10


def test_an_empty_cohort_has_no_rates() -> None:
    f = funnel_of([])
    assert f.win_rate is None and f.median_cycle_days is None
    assert all(s.count == 0 and s.conversion_to_next is None for s in f.steps)


# -- contact success -------------------------------------------------------------------------


def test_contact_success_raw_and_fair_with_every_bucket() -> None:
    hour = timedelta(hours=1)
    inquiries = [
        InquiryFacts("l1", "p1", T0),  # the same buyer to three listings:
        InquiryFacts("l2", "p1", T0 + hour, won=True),  # within 24 h: collapsed, but its sale counts
        InquiryFacts("l3", "p1", T0 + 30 * hour),  # 30 h later: a new inquiry
        InquiryFacts("p2", "p2", T0, intent="non_commercial"),  # "how does this platform work?"
        InquiryFacts("p3", "p3", T0, outcome="price_comparison", response_minutes=20),
        InquiryFacts("p4", "p4", T0, intent="commercial", won=True, response_minutes=45),
    ]
    report = contact_of(inquiries)
    assert (report.raw.inquiries, report.raw.converted, report.raw.rate) == (6, 2, 0.3333)
    assert (report.fair.inquiries, report.fair.converted, report.fair.rate) == (4, 2, 0.5)
    assert report.duplicates_collapsed == 1 and report.non_commercial_excluded == 1
    assert report.outcomes == {"price_comparison": 1, "just_curious": 0, "no_reply": 0}
    assert report.raw.inquiries == report.fair.inquiries + report.duplicates_collapsed + report.non_commercial_excluded
    assert report.median_first_response_minutes == 20 and report.p90_first_response_minutes == 45


def test_the_repeat_window_runs_from_the_groups_first_message() -> None:
    hour = timedelta(hours=1)
    found = groups(
        [
            InquiryFacts("a", "p", T0),
            InquiryFacts("b", "p", T0 + 20 * hour),  # repeat of a
            InquiryFacts("c", "p", T0 + 40 * hour),  # 20 h after b but 40 h after a: new
            InquiryFacts("d", "q", T0 + hour),  # another person is never a repeat
        ]
    )
    assert found == {"a": "a", "b": "a", "c": "c", "d": "d"}


# -- weeks and scorecards --------------------------------------------------------------------


def test_iso_weeks_in_the_reps_zone() -> None:
    assert parse_week("2026-W47") == IsoWeek(2026, 47)
    assert week_bounds(IsoWeek(2026, 47), RIYADH) == (
        datetime(2026, 11, 15, 21, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 21, 0, tzinfo=UTC),
    )
    start, end = week_bounds(IsoWeek(2026, 13), "Europe/Berlin")  # the week of the spring change
    assert end - start == timedelta(hours=167)
    # Sunday 23:30 in Riyadh is still week 47 there, though it is Sunday 20:30 UTC.
    assert str(week_of(datetime(2026, 11, 22, 20, 30, tzinfo=UTC), RIYADH)) == "2026-W47"
    assert str(week_of(datetime(2026, 11, 22, 21, 30, tzinfo=UTC), RIYADH)) == "2026-W48"
    assert str(parse_week("2026-W53")) == "2026-W53"  # 2026 has 53 ISO weeks
    assert IsoWeek(2027, 1).previous() == IsoWeek(2026, 53)
    for bad in ("2025-W53", "2026-47", "2026-W00", "W47"):
        with pytest.raises(ValidationFailed):
            parse_week(bad)


def test_slots_are_quarter_hours() -> None:
    assert slot(datetime(2026, 11, 22, 9, 37, 12, tzinfo=UTC)) == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_scorecard_against_count_and_ratio_goals() -> None:
    counters = {"sc_prospects": 15, "sc_contacts": 25, "sc_wins": 2}
    card = score(IsoWeek(2026, 47), RIYADH, counters, {"prospects": 20, "wins": 2, "win_ratio": 10, "calls": 5})
    by_goal = {g.goal: g for g in card.goals}
    assert (card.prospects_added, card.contacts_made, card.wins) == (15, 25, 2)
    assert (by_goal["prospects"].difference, by_goal["prospects"].met) == (-5, False)
    assert (by_goal["wins"].difference, by_goal["wins"].met) == (0, True)
    # close 1 in 10: 25 contacts ask for 3 wins; 2 is one short; 12.5 contacts per win
    assert (by_goal["win_ratio"].actual, by_goal["win_ratio"].difference, by_goal["win_ratio"].met) == (12.5, -1, False)
    assert by_goal["calls"].actual is None


# -- honest quote changes --------------------------------------------------------------------


def test_a_changed_quote_needs_a_reason_and_a_first_value_does_not() -> None:
    from chalicelib.domain.quotes import quote_change

    base = {"org_id": "o", "lead_id": "l", "account_id": "a", "note": " bigger scope ", "by": "rep-1", "at": T0}
    old, new = {"amount": "100.00", "currency": "SAR"}, {"amount": "150.00", "currency": "SAR"}
    with pytest.raises(ValidationFailed) as refused:
        quote_change(old=old, new=new, reason=None, **base)  # type: ignore[arg-type]
    assert refused.value.errors[0].field == "value_change_reason"
    change = quote_change(old=old, new=new, reason="scope_change", **base)  # type: ignore[arg-type]
    assert change is not None and (change.old, change.new, change.note) == (old, new, "bigger scope")
    assert quote_change(old=None, new=new, reason=None, **base) is None  # type: ignore[arg-type]
    assert quote_change(old=old, new=dict(old), reason=None, **base) is None  # type: ignore[arg-type]
    assert quote_change(old=old, new=None, reason="correction", **base) is not None  # type: ignore[arg-type]
