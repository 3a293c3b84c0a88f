"""Rep profiles: a rep reads and changes their own; managers and admins any rep's."""

from __future__ import annotations

from chalicelib.config import now
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.reports.scorecard_mail import reschedule
from chalicelib.domain.reps import RepChanges, RepProfile, apply_rep_changes, default_profile
from chalicelib.domain.versioning import check_version
from chalicelib.persistence import org as org_store
from chalicelib.persistence import reps as store


def _current(principal: Principal, user_id: str) -> RepProfile:
    if not principal.may_see_owned(user_id):
        raise NotFound("No such rep.")
    found = store.find(principal.org_id, user_id)
    if found is not None:
        return found
    return default_profile(user_id, principal.org_id, org_store.get_settings(principal.org_id).settings.timezone)


def get_rep(principal: Principal, user_id: str) -> RepProfile:
    return _current(principal, user_id)


def change_rep(principal: Principal, user_id: str, changes: RepChanges) -> RepProfile:
    """Save the change; the rep's scorecard schedule (when their next weekly e-mail is due, in
    their zone and hours) follows it in the same transaction."""
    if not principal.may_see_owned(user_id):
        raise NotFound("No such rep.")
    found, schedule = store.find_with_schedule(principal.org_id, user_id)
    current = found or default_profile(
        user_id, principal.org_id, org_store.get_settings(principal.org_id).settings.timezone
    )
    if "team" in changes.model_fields_set and changes.team != current.team and not principal.sees_whole_org:
        raise ValidationFailed.single("team", "only a manager or admin sets a rep's team")
    if changes.version is not None:
        check_version(current.version, changes.version)
    at = now()
    after = apply_rep_changes(current, changes, at)
    planned = reschedule(
        schedule,
        org_id=principal.org_id,
        user_id=user_id,
        timezone=after.timezone,
        hours=after.working_hours,
        new_profile=found is None,
        now=at,
    )
    return store.save(after, planned)
