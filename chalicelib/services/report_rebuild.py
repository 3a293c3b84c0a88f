"""Rebuild an organisation's report counters from the source items.

A maintenance job, not a request: it reads every account of the organisation through the
organisation's account list (gsi1, no Scan) and, for each, the account's partition and the
partitions it links (its leads: profile, history, inquiry, objections, quote changes), sums what
they contribute (the same function erasure uses to take them off) and replaces the counter
items. Run it while the organisation is quiet: events written during the rebuild may be lost
from the counters (run it again).

It also gives every saved rep profile without one its weekly scorecard schedule (profiles saved
before the scorecard e-mail existed): due this week if last week's e-mail is still to go. A
profile change makes the same schedule (``services.reps.change_rep``).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import now
from chalicelib.domain.reports import counters
from chalicelib.domain.reports.scorecard_mail import reschedule
from chalicelib.persistence import accounts as account_store
from chalicelib.persistence import scorecards as scorecard_store
from chalicelib.persistence import stats
from chalicelib.persistence.report_sources import account_ids, contributions


def rebuilt_counts(org_id: str) -> counters.Counts:
    """What the counters of ``org_id`` add up to from the source items (writes nothing)."""
    parts = [
        contributions(org_id, account_store.attached_rows(org_id, account_id)) for account_id in account_ids(org_id)
    ]
    return counters.combine(parts)


def rebuild_reports(org_id: str) -> dict[str, Any]:
    """Replace the organisation's counters with the rebuilt ones; reports what changed."""
    fresh = rebuilt_counts(org_id)
    before = stats.all_counts(org_id)
    changed = sorted(
        f"{scope}/{period}"
        for scope, period in set(fresh) | set(before)
        if fresh.get((scope, period)) != before.get((scope, period))
    )
    stats.replace_all(org_id, fresh)
    return {
        "org_id": org_id,
        "counter_items": len(fresh),
        "changed": len(changed),
        "changed_items": changed[:50],
        "scorecard_schedules_added": add_missing_scorecard_schedules(org_id),
    }


def add_missing_scorecard_schedules(org_id: str) -> int:
    """Schedules for the organisation's saved reps that have none (one Query, one batch read per
    100 reps, one conditional put per missing schedule)."""
    at = now()
    planned = [
        reschedule(
            None,
            org_id=org_id,
            user_id=p.user_id,
            timezone=p.timezone,
            hours=p.working_hours,
            new_profile=False,
            now=at,
        )
        for p in scorecard_store.schedules_missing(org_id)
    ]
    return scorecard_store.add_missing([s for s in planned if s is not None])
