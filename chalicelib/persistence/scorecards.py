"""The weekly scorecard e-mail's schedules: one item per rep (``ORG#o#REP#u / #SCORECARD``) that is
itself the rep's due entry, on gsi3 ``DUE#SCORECARD#<shard>`` sorted by the moment it is due.

The job reads one Query per shard (``gsi3sk <= now``: only the reps due now, never all reps),
one batch read of their profiles and their organisations' settings, and per rep the week's
counters. Queueing an e-mail and moving the schedule to next week is one transaction,
conditioned on the schedule's version and on the message's send key, so two runs at once, or a
run that read a lagging index entry, queue it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.domain.messages import Message
from chalicelib.domain.reports.scorecard_mail import ScorecardSchedule
from chalicelib.domain.reps import RepProfile
from chalicelib.domain.settings import OrgSettings
from chalicelib.persistence import db, keys
from chalicelib.persistence import messages as message_store
from chalicelib.persistence.due import DUE_PAGE
from chalicelib.persistence.models import Item, RepItem, ScorecardScheduleItem, SettingsItem
from chalicelib.persistence.reps import SCHEDULE_STALE, add_schedule, schedule_item, schedule_of
from chalicelib.persistence.reps import to_domain as profile_of


@db.bound
def due_schedules(now: datetime, limit: int = DUE_PAGE) -> list[ScorecardSchedule]:
    """The reps whose scorecard e-mail is due now, across organisations: one Query per shard
    (gsi3, so a just-moved schedule may still show; the write's conditions settle it)."""
    upto = keys.moment(now) + "$"  # "$" sorts after "#": every entry due at or before now
    found: list[ScorecardSchedule] = []
    for shard in range(keys.SCORECARD_SHARDS):
        rows = Item.gsi3.query(keys.scorecard_due(shard), Item.gsi3sk <= upto, limit=limit)
        found += [schedule_of(row) for row in rows if isinstance(row, ScorecardScheduleItem)]
    return found


@dataclass
class DueContext:
    profiles: dict[tuple[str, str], RepProfile] = field(default_factory=dict)
    settings: dict[str, OrgSettings] = field(default_factory=dict)


@db.bound
def read_due(schedules: list[ScorecardSchedule]) -> DueContext:
    """The due reps' profiles and their organisations' settings: one BatchGetItem per 100 keys."""
    wanted: list[tuple[str, str]] = []
    for schedule in schedules:
        wanted += [
            (keys.rep(schedule.org_id, schedule.user_id), keys.PROFILE),
            (keys.org(schedule.org_id), keys.settings()),
        ]
    context = DueContext()
    for row in db.batch_get(wanted):
        if isinstance(row, RepItem):
            context.profiles[(row.org_id, row.user_id)] = profile_of(row)
        elif isinstance(row, SettingsItem):
            context.settings[row.org_id] = OrgSettings.model_validate(row.data.as_dict())
    return context


def _moved(before: ScorecardSchedule, after: ScorecardSchedule) -> ScorecardSchedule:
    return ScorecardSchedule(after.org_id, after.user_id, after.last_sent_week, after.due_at, before.version)


@db.bound
def queue(before: ScorecardSchedule, after: ScorecardSchedule, message: Message, *, send_key: str) -> None:
    """The e-mail joins the outbox (once per send key) and the schedule moves on, in one
    transaction conditioned on the schedule's version: a lost race is a ``Conflict``."""
    with db.transaction() as tx:
        add_schedule(tx, _moved(before, after))
        message_store.add(tx, message, send_key=send_key)


@db.bound
def advance(before: ScorecardSchedule, after: ScorecardSchedule) -> None:
    """The schedule moves without an e-mail (no address; or it was not due after all)."""
    db.save_versioned(schedule_item(_moved(before, after)), conflict=SCHEDULE_STALE)


@db.bound
def drop(schedule: ScorecardSchedule) -> None:
    """The schedule of a rep whose profile is gone (conditioned on the version read)."""
    try:
        schedule_item(schedule).delete()
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


# -- backfill --------------------------------------------------------------------------------


@db.bound
def schedules_missing(org_id: str) -> list[RepProfile]:
    """The organisation's saved rep profiles without a scorecard schedule (profiles saved before
    schedules existed): one Query of the org's rep list (gsi1), one BatchGetItem per 100 reps."""
    profiles = [profile_of(row) for row in RepItem.gsi1.query(keys.reps_list(org_id)) if isinstance(row, RepItem)]
    wanted = [(keys.rep(org_id, p.user_id), keys.SCORECARD_SCHEDULE) for p in profiles]
    have = {row.user_id for row in db.batch_get(wanted) if isinstance(row, ScorecardScheduleItem)} if wanted else set()
    return [p for p in profiles if p.user_id not in have]


@db.bound
def add_missing(schedules: list[ScorecardSchedule]) -> int:
    """Store new schedules, each only if the rep still has none (a PUT may have made one)."""
    written = 0
    for schedule in schedules:
        try:
            schedule_item(schedule).save(ScorecardScheduleItem.sk.does_not_exist())
            written += 1
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # a lost race with a PUT is fine; anything else is not
    return written
