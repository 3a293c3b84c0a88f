"""Seed reps for the weekly scorecard job: ``due`` reps whose e-mail is due at ``now`` among
``not_due`` reps whose next one is days away, spread over organisations and the schedule shards.

    run = seed(due=100, not_due=50_000, now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    result = run()  # one run of the job at ``now`` (queues and sends the due e-mails)

Profiles and schedules are written through the persistence layer's item builders with
``BatchWriteItem`` (25 per call, UnprocessedItems retried), against whatever table the
environment names (moto in tests, moto server or DynamoDB in a benchmark). Every due rep has an
e-mail address and Sun–Thu hours in Asia/Riyadh; the run reads only the due ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

SUN_THU = {d: ["09:00", "17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}
ORGS = 10


def rep_id(i: int) -> str:
    return f"bench-rep-{i:06d}"


def org_of(i: int) -> str:
    return f"bench-org-{i % ORGS}"


def seed(due: int, not_due: int, now: datetime) -> Callable[[], dict[str, Any]]:
    from chalicelib.domain.reports.scorecard import week_of
    from chalicelib.domain.reports.scorecard_mail import ScorecardSchedule
    from chalicelib.domain.reps import RepProfile
    from chalicelib.persistence import db
    from chalicelib.persistence import reps as rep_store
    from chalicelib.persistence.models import Item, RepItem
    from chalicelib.services import scorecards

    last_week = str(week_of(now, "Asia/Riyadh").previous())
    items: list[Item] = []
    for i in range(due + not_due):
        org, user = org_of(i), rep_id(i)
        profile = RepProfile(
            user_id=user,
            org_id=org,
            timezone="Asia/Riyadh",
            working_hours=SUN_THU,
            weekly_goals={"prospects": 20, "wins": 2},
            email=f"{user}@example.com",
            created_at=now - timedelta(days=30),
            updated_at=now - timedelta(days=30),
        )
        row: RepItem = rep_store.profile_item(profile)
        row.version = 1
        is_due = i < due
        schedule = ScorecardSchedule(
            org_id=org,
            user_id=user,
            last_sent_week=None if is_due else last_week,
            due_at=now - timedelta(minutes=5) if is_due else now + timedelta(days=1 + i % 6),
            version=1,
        )
        items += [row, rep_store.schedule_item(schedule)]
    db.ready()
    db.batch_write(items)

    def run() -> dict[str, Any]:
        return scorecards.run(now)

    return run
