"""The six-step rules, time per step, and the validation of reps and interactions (no AWS)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain import pipeline
from chalicelib.domain.errors import InvalidTransition, ValidationFailed
from chalicelib.domain.interactions import InteractionCreate, new_interaction
from chalicelib.domain.objections import ObjectionCreate, ObjectionPatch, apply_objection_patch, new_objection
from chalicelib.domain.pipeline import STAGES, Lead, LeadCreate, StageMove
from chalicelib.domain.referrals import ReferralRequest, ReferralRequestPatch, apply_referral_patch, record_referral
from chalicelib.domain.reps import RepChanges, apply_rep_changes, default_profile
from chalicelib.domain.validation import parse_model
from chalicelib.persistence import keys

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ORDER = {s: i for i, s in enumerate(STAGES)}


def a_lead(stage: str = "prospecting", status: str = "open") -> Lead:
    return Lead(
        id="l1",
        org_id="o",
        account_id="a",
        title="t",
        owner_id="u",
        created_at=T0,
        updated_at=T0,
        stage=stage,
        status=status,  # type: ignore[arg-type]
    )


def expected_legal(src: str, dst: str) -> bool:
    if src == dst:
        return False
    if dst == "follow_up":
        return src == "closing"
    return ORDER[dst] > ORDER[src] or dst == "presentation"


@pytest.mark.parametrize("src", STAGES[:-1])
@pytest.mark.parametrize("dst", STAGES)
def test_every_move_between_open_steps(src: str, dst: str) -> None:
    lead = a_lead(src)
    if expected_legal(src, dst):
        moved, entry = pipeline.move(lead, dst, by="u", now=T0 + timedelta(hours=1), note=" n ")
        assert moved.stage == dst and entry.from_stage == src and entry.to_stage == dst
        assert entry.note == "n" and entry.by == "u"
        assert moved.status == ("won" if dst == "follow_up" else "open")
        assert (moved.closed_at is not None) == (dst == "follow_up")
        assert moved.stage_entered_at == T0 + timedelta(hours=1)
    else:
        with pytest.raises(InvalidTransition):
            pipeline.move(lead, dst, by="u", now=T0)


def test_the_rules_in_words() -> None:
    assert expected_legal("prospecting", "closing")  # forward may skip
    assert expected_legal("closing", "presentation")  # back only to presentation
    assert not expected_legal("closing", "approach")
    assert not expected_legal("objections", "prospecting")
    assert not expected_legal("presentation", "follow_up")  # follow_up only from closing
    assert not expected_legal("objections", "follow_up")


@pytest.mark.parametrize("status,stage", [("won", "follow_up"), ("lost", "objections"), ("lost", "prospecting")])
@pytest.mark.parametrize("dst", STAGES)
def test_closed_leads_do_not_move(status: str, stage: str, dst: str) -> None:
    with pytest.raises(InvalidTransition):
        pipeline.move(a_lead(stage, status), dst, by="u", now=T0)


def test_unknown_stage_is_a_validation_error_not_a_conflict() -> None:
    with pytest.raises(ValidationFailed):
        pipeline.move(a_lead(), "negotiation", by="u", now=T0)


@pytest.mark.parametrize("stage", STAGES[:-1])
def test_lost_from_any_open_step_keeps_the_step_and_needs_a_reason(stage: str) -> None:
    lost, entry = pipeline.mark_lost(a_lead(stage), reason=" too expensive ", objection_id="ob1", by="u", now=T0)
    assert (lost.status, lost.stage, lost.lost_reason, lost.lost_after_objection_id) == (
        "lost",
        stage,
        "too expensive",
        "ob1",
    )
    assert entry.status == "lost" and entry.from_stage == entry.to_stage == stage
    with pytest.raises(ValidationFailed):
        pipeline.mark_lost(a_lead(stage), reason="   ", objection_id=None, by="u", now=T0)


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_closed_lead_cannot_be_lost(status: str) -> None:
    with pytest.raises(InvalidTransition):
        pipeline.mark_lost(a_lead("follow_up", status), reason="x", objection_id=None, by="u", now=T0)


def test_stage_durations_add_up_revisits_and_count_the_current_step_until_now() -> None:
    hist = [
        StageMove(None, "prospecting", "u", T0),
        StageMove("prospecting", "presentation", "u", T0 + timedelta(hours=1)),
        StageMove("presentation", "objections", "u", T0 + timedelta(hours=3)),
        StageMove("objections", "presentation", "u", T0 + timedelta(hours=4)),  # re-present
        StageMove("presentation", "closing", "u", T0 + timedelta(hours=4, minutes=30)),
    ]
    durations = pipeline.stage_durations(hist, a_lead("closing"), T0 + timedelta(hours=5))
    assert durations == {"prospecting": 3600, "presentation": 2 * 3600 + 1800, "objections": 3600, "closing": 1800}


def test_a_lost_leads_clock_stops_when_it_is_lost() -> None:
    lead = a_lead("approach", "lost")
    lead.closed_at = T0 + timedelta(hours=2)
    hist = [
        StageMove(None, "prospecting", "u", T0),
        StageMove("prospecting", "approach", "u", T0 + timedelta(hours=1)),
        StageMove("approach", "approach", "u", T0 + timedelta(hours=2), "gone", "lost"),
    ]
    assert pipeline.stage_durations(hist, lead, T0 + timedelta(days=30)) == {"prospecting": 3600, "approach": 3600}


def test_new_lead_starts_in_prospecting_with_one_history_entry() -> None:
    data = LeadCreate(account_id="a", title="  عرض  ")
    lead, first = pipeline.new_lead(lead_id="l", org_id="o", owner_id="u", data=data, by="m", now=T0)
    assert (lead.stage, lead.status, lead.title, lead.source) == ("prospecting", "open", "عرض", "api")
    assert first == StageMove(None, "prospecting", "m", T0, "", "open")


def test_timeline_times_sort_as_strings_like_times() -> None:
    whole = keys.moment(T0)
    fraction = keys.moment(T0 + timedelta(microseconds=500_000))
    later = keys.moment(T0 + timedelta(seconds=1))
    assert whole < fraction < later
    assert keys.stage_move(T0, 2) < keys.stage_move(T0, 10)


def test_one_instant_is_one_sort_key_time_in_any_zone_and_naive_times_follow_the_local_zone(monkeypatch) -> None:
    riyadh = T0.astimezone(timezone(timedelta(hours=3)))
    assert keys.moment(T0) == keys.moment(riyadh) == keys.moment(T0)  # the second read is remembered
    naive = datetime(2026, 1, 1, 12, 0)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    in_utc = keys.moment(naive)
    monkeypatch.setenv("TZ", "Asia/Riyadh")
    time.tzset()
    try:
        assert (in_utc, keys.moment(naive)) == ("2026-01-01T12:00:00.000000Z", "2026-01-01T09:00:00.000000Z")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_rep_changes_validate_zone_hours_and_goals() -> None:
    ok = parse_model(
        RepChanges,
        {
            "timezone": "Africa/Cairo",
            "working_hours": {"mon": ["09:00", "17:00"], "sun": ["10:00", "24:00"]},
            "weekly_goals": {"prospects": 20, "wins": 2},
        },
    )
    assert list(ok.working_hours or {}) == ["sun", "mon"]  # week order
    bad = [
        {"timezone": "Mars/Olympus"},
        {"working_hours": {"funday": ["09:00", "17:00"]}},
        {"working_hours": {"mon": ["17:00", "09:00"]}},
        {"working_hours": {"mon": ["9am", "5pm"]}},
        {"working_hours": {"mon": ["09:00"]}},
        {"weekly_goals": {"wins": -1}},
        {"weekly_goals": {"Wins Count": 1}},
        {"available": "maybe"},
        {"nickname": "x"},
    ]
    for body in bad:
        with pytest.raises(ValidationFailed):
            parse_model(RepChanges, body)
    with pytest.raises(ValidationFailed):
        apply_rep_changes(default_profile("u", "o", "Asia/Riyadh"), parse_model(RepChanges, {"available": None}), T0)


def test_rep_changes_keep_what_they_leave_out() -> None:
    profile = default_profile("u", "o", "Asia/Riyadh")
    changed = apply_rep_changes(profile, parse_model(RepChanges, {"available": False}), T0)
    assert (changed.timezone, changed.available, changed.created_at) == ("Asia/Riyadh", False, T0)


def interaction(**kw: object) -> InteractionCreate:
    body = {
        "account_id": "a",
        "channel": "whatsapp",
        "direction": "inbound",
        "body": "السلام عليكم",
        "occurred_at": "2026-11-22T08:00:00Z",
        **kw,
    }
    return parse_model(InteractionCreate, body)


def test_interactions_validate_channel_direction_intent_and_time() -> None:
    made = new_interaction(
        interaction_id="i", org_id="o", data=interaction(intent="non_commercial"), by="u", rep_id="u", now=T0
    )
    assert made.occurred_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC) and made.body == "السلام عليكم"
    for bad in [{"channel": "fax"}, {"direction": "sideways"}, {"intent": "maybe"}, {"occurred_at": 5}]:
        with pytest.raises(ValidationFailed):
            interaction(**bad)
    for bad_time in ["yesterday", "2026-11-22T08:00:00", "2026-11-23T09:00:00Z"]:  # garbage, no zone, future
        with pytest.raises(ValidationFailed):
            new_interaction(
                interaction_id="i", org_id="o", data=interaction(occurred_at=bad_time), by="u", rep_id="u", now=T0
            )
    with pytest.raises(ValidationFailed):
        new_interaction(interaction_id="i", org_id="o", data=interaction(body="  "), by="u", rep_id="u", now=T0)
    call = new_interaction(
        interaction_id="i", org_id="o", data=interaction(channel="phone", body=""), by="u", rep_id="u", now=T0
    )
    assert call.channel == "phone"


def test_objection_resolution_sets_and_clears_resolved_at() -> None:
    made = new_objection(
        objection_id="ob",
        org_id="o",
        lead_id="l",
        account_id="a",
        by="u",
        data=ObjectionCreate(category="financing", text="نحتاج تقسيط"),
        now=T0,
    )
    assert made.status == "open" and made.resolved_at is None
    later = T0 + timedelta(hours=1)
    resolved = apply_objection_patch(made, ObjectionPatch(status="resolved", response="تقسيط على 6 أشهر"), later)
    assert resolved.resolved_at == later and resolved.response == "تقسيط على 6 أشهر"
    reopened = apply_objection_patch(resolved, ObjectionPatch(status="open"), later)
    assert reopened.resolved_at is None


def test_referral_requests_count_referrals_and_stay_received() -> None:
    request = ReferralRequest(
        id="r", org_id="o", lead_id="l", account_id="a", asked_by="u", channel="phone", created_at=T0, updated_at=T0
    )
    got = record_referral(request, "l2", T0)
    assert got.status == "received" and got.referred_lead_ids == ["l2"]
    with pytest.raises(InvalidTransition):
        apply_referral_patch(got, ReferralRequestPatch(status="declined"), T0)
    assert apply_referral_patch(request, ReferralRequestPatch(status="declined"), T0).status == "declined"
