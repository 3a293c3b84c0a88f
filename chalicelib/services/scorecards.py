"""The weekly scorecard e-mail: each rep gets last week's scorecard once, through the outbox, from
the start of the first working day of their (ISO) week in their own zone.

Reads: one Query per ``DUE#SCORECARD#`` shard (the reps due now, whatever the number of reps), one
batch read of their profiles and organisations' settings, and per rep the one Query of the week's
counters that ``GET /reps/{id}/scorecard`` makes (``reports.week_scorecard``); then the outbox pass,
which sends the e-mails this run queued without reading them back. Per rep one transaction: the
e-mail queued under its send key (``scorecard#<rep>#<week>``, a conditional put) and the schedule
moved to next week (conditioned on its version), so overlapping or retried runs queue it once. A run
after an outage still sends later that week; once the week is over, that week's e-mail is skipped
(``due_scorecards``). A rep without an e-mail address is skipped with a logged reason and moved to
next week.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.messages import Message
from chalicelib.domain.reports.scorecard_mail import (
    RepSchedule,
    ScorecardSchedule,
    due_scorecards,
    next_send,
    render_mail,
)
from chalicelib.domain.reps import RepProfile
from chalicelib.domain.settings import OrgSettings
from chalicelib.ids import new_id
from chalicelib.observability import logger
from chalicelib.persistence import messages as message_store
from chalicelib.persistence import scorecards as store
from chalicelib.services import outbox
from chalicelib.services.reports import week_scorecard

NO_EMAIL = "the rep has no e-mail address on their profile (PUT /reps/{id} with email)"
TEMPLATE = "scorecard.email"


def run(now: datetime) -> dict[str, Any]:
    counts: dict[str, Any] = {"queued": 0, "no_email": 0, "rescheduled": 0, "lost_races": 0, "stale": 0}
    queued: list[Message] = []
    schedules = store.due_schedules(now)
    if schedules:
        context = store.read_due(schedules)
        for schedule in schedules:
            profile = context.profiles.get((schedule.org_id, schedule.user_id))
            if profile is None:
                store.drop(schedule)
                counts["stale"] += 1
                continue
            settings = context.settings.get(schedule.org_id) or OrgSettings()
            try:
                counts[handle(schedule, profile, settings, now, queued=queued)] += 1
            except Conflict:
                counts["lost_races"] += 1  # another run handled this rep first
    counts["outbox"] = outbox.deliver_due(now, queued)  # this run's e-mails without reading them back
    return counts


def handle(
    schedule: ScorecardSchedule,
    profile: RepProfile,
    settings: OrgSettings,
    now: datetime,
    *,
    queued: list[Message] | None = None,
) -> str:
    """Queue one rep's e-mail (one transaction); the message, as stored, is added to ``queued``."""
    rep = RepSchedule(profile.user_id, profile.timezone, profile.working_hours, schedule.last_sent_week)
    due = due_scorecards([rep], now)
    if not due:  # moved meanwhile (a lagging index entry, or a zone moved west): key it anew
        store.advance(schedule, replace(schedule, due_at=next_send(rep, now)))
        return "rescheduled"
    [item] = due
    handled = str(item.week)
    after = replace(schedule, last_sent_week=handled, due_at=next_send(replace(rep, last_sent_week=handled), now))
    log = {"org_id": profile.org_id, "rep_id": profile.user_id, "week": handled}
    if not profile.email:
        store.advance(schedule, after)
        logger.info("scorecard e-mail skipped", extra={**log, "reason": NO_EMAIL})
        return "no_email"
    card = week_scorecard(profile, item.week)
    mail = render_mail(card, language=settings.default_language, timezone=profile.timezone)
    message = Message(
        id=new_id(),
        org_id=profile.org_id,
        account_id=None,
        rep_id=profile.user_id,
        kind="scorecard",
        channel="email",
        template=TEMPLATE,
        placeholders=mail.placeholders,
        to=profile.email,
        subject=mail.subject,
        body=mail.body,
        created_at=now,
        send_at=now,
        updated_at=now,
    )
    store.queue(schedule, after, message, send_key=item.send_key)
    if queued is not None:
        queued.append(message_store.as_queued(message))
    logger.info("scorecard e-mail queued", extra={**log, "message_id": message.id})
    return "queued"
