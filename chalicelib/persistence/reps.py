"""Rep profiles: time zone, working hours, availability and weekly goals (one item per rep)."""

from __future__ import annotations

from chalicelib.domain.reps import RepProfile
from chalicelib.persistence import db, keys
from chalicelib.persistence.models import RepItem

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


@db.bound
def save(profile: RepProfile) -> RepProfile:
    """One PutItem, conditioned on the version that was read (0: the profile must not exist yet)."""
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
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
    if profile.team:
        item.gsi2pk = keys.team_reps(profile.org_id, profile.team)
        item.gsi2sk = profile.user_id
    if profile.version:
        item.version = profile.version
    db.save_versioned(item, conflict=STALE)
    return to_domain(item)


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
