"""Rep profiles: time zone, working hours, availability and weekly goals (one item per rep)."""

from __future__ import annotations

from chalicelib.domain.reports.scorecard_mail import ScorecardSchedule
from chalicelib.domain.reps import RepProfile
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import RepItem, ScorecardScheduleItem

STALE = "The rep's profile was changed meanwhile; reload it and apply your change again."


def to_domain(item: RepItem) -> RepProfile:
    return RepProfile(
        user_id=item.user_id,
        org_id=item.org_id,
        timezone=item.timezone,
        working_hours={k: [str(t) for t in v] for k, v in db.plain(item.working_hours).items()},
        available=bool(item.available),
        weekly_goals={k: int(v) for k, v in db.plain(item.weekly_goals).items()},
        team=item.team or None,
        email=item.email or None,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


@db.bound
def find(org_id: str, user_id: str) -> RepProfile | None:
    """The rep's saved profile, or None if they never saved one (one GetItem)."""
    try:
        return to_domain(RepItem.get(keys.rep(org_id, user_id), keys.PROFILE, consistent_read=True))
    except RepItem.DoesNotExist:
        return None


def schedule_item(schedule: ScorecardSchedule) -> ScorecardScheduleItem:
    """A rep's scorecard schedule, indexed on gsi3 by its due moment in a sharded partition."""
    item = ScorecardScheduleItem(
        keys.rep(schedule.org_id, schedule.user_id),
        keys.SCORECARD_SCHEDULE,
        gsi3pk=keys.scorecard_due(keys.shard_of(f"{schedule.org_id}#{schedule.user_id}", keys.SCORECARD_SHARDS)),
        gsi3sk=keys.due_entry(schedule.due_at, schedule.org_id, schedule.user_id),
        org_id=schedule.org_id,
        user_id=schedule.user_id,
        last_sent_week=schedule.last_sent_week,
        due_at=schedule.due_at,
    )
    if schedule.version:
        item.version = schedule.version
    return item


def schedule_of(item: ScorecardScheduleItem) -> ScorecardSchedule:
    return ScorecardSchedule(
        org_id=item.org_id,
        user_id=item.user_id,
        last_sent_week=item.last_sent_week or None,
        due_at=item.due_at,
        version=int(item.version or 0),
    )


SCHEDULE_STALE = "The rep's scorecard e-mail was being sent meanwhile; apply your change again."


def add_schedule(tx: db.Transaction, schedule: ScorecardSchedule) -> None:
    """Inside a transaction: store the schedule, conditioned on the version that was read."""
    tx.save(schedule_item(schedule), conflict=SCHEDULE_STALE)


@db.bound
def find_with_schedule(org_id: str, user_id: str) -> tuple[RepProfile | None, ScorecardSchedule | None]:
    """The saved profile and the scorecard schedule of a rep (one BatchGetItem)."""
    pk = keys.rep(org_id, user_id)
    found = db.batch_get([(pk, keys.PROFILE), (pk, keys.SCORECARD_SCHEDULE)])
    profile = next((to_domain(i) for i in found if isinstance(i, RepItem)), None)
    schedule = next((schedule_of(i) for i in found if isinstance(i, ScorecardScheduleItem)), None)
    return profile, schedule


def profile_item(profile: RepProfile) -> RepItem:
    assert profile.created_at is not None and profile.updated_at is not None
    item = RepItem(
        keys.rep(profile.org_id, profile.user_id),
        keys.PROFILE,
        gsi1pk=keys.reps_list(profile.org_id),
        gsi1sk=profile.user_id,
        user_id=profile.user_id,
        org_id=profile.org_id,
        timezone=profile.timezone,
        working_hours=profile.working_hours or None,
        available=profile.available,
        weekly_goals=profile.weekly_goals or None,
        team=profile.team or None,
        email=profile.email or None,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
    if profile.team:
        item.gsi2pk = keys.team_reps(profile.org_id, profile.team)
        item.gsi2sk = profile.user_id
    return item


@db.bound
def save(profile: RepProfile, schedule: ScorecardSchedule | None = None) -> RepProfile:
    """The profile conditioned on the version that was read (0: it must not exist yet): one
    PutItem, or with a changed scorecard schedule one TransactWriteItems holding both."""
    item = profile_item(profile)
    if profile.version:
        item.version = profile.version
    if schedule is None:
        db.save_versioned(item, conflict=STALE)
        return to_domain(item)
    with db.transaction() as tx:
        tx.save(item, conflict=STALE)
        add_schedule(tx, schedule)
    saved = to_domain(item)
    saved.version = profile.version + 1
    return saved


@db.bound
def team_members(org_id: str, team: str) -> list[str]:
    """The reps of one team (one Query on gsi2; teams are small, one page)."""
    return [row.user_id for row in RepItem.gsi2.query(keys.team_reps(org_id, team)) if isinstance(row, RepItem)]


UNAVAILABLE = (
    "The rep has paused taking new leads (available: false); "
    'send "assign_even_if_unavailable": true to assign it anyway.'
)


def add_available_check(tx: db.Transaction, org_id: str, user_id: str) -> None:
    """Inside a transaction: the rep takes new work (a rep who never saved a profile does)."""
    probe = RepItem(keys.rep(org_id, user_id), keys.PROFILE)
    tx.check(probe, RepItem.pk.does_not_exist() | (RepItem.available == True), conflict=UNAVAILABLE)  # noqa: E712
