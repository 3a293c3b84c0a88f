"""Planning the weekly scorecard e-mail: each rep gets last week's scorecard once, on the first
working day of their (ISO) week, from the hour their working day begins, in their own zone.

The job that sends them (through the outbox) asks ``due_scorecards`` which reps are due now;
``send_key`` names the message so the outbox sends it exactly once even when the job runs every
few minutes or twice at once. A job that missed the first working day (an outage) still sends
later that week; after the week it is no longer last week's scorecard and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.reports.scorecard import COUNT_GOALS, IsoWeek, Scorecard, week_containing

_ISO_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class RepSchedule:
    user_id: str
    timezone: str
    working_hours: Mapping[str, Sequence[str]]
    last_sent_week: str | None = None  # the last week whose scorecard was sent (or skipped), e.g. "2026-W47"


@dataclass(frozen=True)
class DueScorecard:
    user_id: str
    week: IsoWeek  # the week the scorecard reports (last week in the rep's zone)
    send_key: str  # one message per rep and week: the outbox's exactly-once key


def first_working_day(week: IsoWeek, hours: Mapping[str, Sequence[str]]) -> tuple[date, time]:
    """The first day of ``week`` (Monday first) the rep works, and when that day begins; a rep
    with no working hours is taken to start on Monday at midnight."""
    monday = week.monday()
    for offset, name in enumerate(_ISO_DAYS):
        span = hours.get(name)
        if span:
            hh, mm = (int(p) for p in span[0].split(":"))
            return monday + timedelta(days=offset), time(hh % 24, mm)
    return monday, time(0)


def _handled(rep: RepSchedule, week: IsoWeek) -> bool:
    """The week's scorecard (or a later one: a zone moved west) has gone out; ISO week names
    sort as their weeks do."""
    return rep.last_sent_week is not None and rep.last_sent_week >= str(week)


def send_start(week: IsoWeek, hours: Mapping[str, Sequence[str]], zone: str) -> datetime:
    """When the scorecard of the week before ``week`` may go out: the start of the rep's first
    working day of ``week`` in their zone, as a UTC instant (exact across a clock change)."""
    day, opens = first_working_day(week, hours)
    return datetime.combine(day, opens, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_send(rep: RepSchedule, now: datetime) -> datetime:
    """The UTC instant the rep's next scorecard e-mail is due (the key of their due entry): this
    week's send start while last week's scorecard is still to go (an instant already past means
    due at once, e.g. after an outage), else next week's."""
    zone = ZoneInfo(rep.timezone)
    this_week = week_containing(now.astimezone(zone).date())
    week = this_week.next() if _handled(rep, this_week.previous()) else this_week
    return send_start(week, rep.working_hours, rep.timezone)


def first_schedule(user_id: str, timezone: str, hours: Mapping[str, Sequence[str]], now: datetime) -> RepSchedule:
    """A new profile's schedule: its first scorecard e-mail is next week's (the week that just
    began, or is about to, is not reported on a profile made today)."""
    this_week = week_containing(now.astimezone(ZoneInfo(timezone)).date())
    return RepSchedule(user_id, timezone, hours, last_sent_week=str(this_week.previous()))


def due_scorecards(reps: Iterable[RepSchedule], now: datetime) -> list[DueScorecard]:
    """The reps whose last-week scorecard should go out now."""
    due: list[DueScorecard] = []
    for rep in reps:
        zone = ZoneInfo(rep.timezone)
        this_week = week_containing(now.astimezone(zone).date())
        report_week = this_week.previous()
        if _handled(rep, report_week):
            continue
        if now.astimezone(UTC) >= send_start(this_week, rep.working_hours, rep.timezone):
            due.append(DueScorecard(rep.user_id, report_week, f"scorecard#{rep.user_id}#{report_week}"))
    return due


# -- the e-mail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardMail:
    subject: str
    body: str
    placeholders: dict[str, str]  # the figures as sent (kept on the outbox message)


@dataclass(frozen=True)
class _Words:
    subject: str
    intro: str
    week: str
    figures: tuple[str, str, str]
    goals: str
    no_goals: str
    goal_names: Mapping[str, str]
    count: str
    ratio: str
    other: str
    met: str
    surplus: str
    shortfall: str
    days: tuple[str, str]


_TEXT = {
    "en": _Words(
        subject="Automated message: your scorecard for {week}",
        intro="Automated message: your weekly scorecard.",
        week="Week {week}: {first} to {last} ({zone})",
        figures=("Prospects added", "Contacts made", "Wins"),
        goals="Against your goals:",
        no_goals="You have set no weekly goals.",
        goal_names={"prospects": "Prospects", "contacts": "Contacts", "wins": "Wins"},
        count="- {name}: {actual} of {target} ({verdict})",
        ratio="- Close 1 in {target}: {wins} won for {contacts} contacts, {needed} needed ({verdict})",
        other="- {name}: {target} (not measured)",
        met="met",
        surplus="surplus {n}",
        shortfall="shortfall {n}",
        days=("Monday", "Sunday"),
    ),
    "ar": _Words(
        subject="رسالة آلية: بطاقة أدائك للأسبوع {week}",
        intro="رسالة آلية: بطاقة أدائك الأسبوعية.",
        week="الأسبوع {week}: من {first} إلى {last} ({zone})",
        figures=("العملاء المحتملون المضافون", "التواصلات", "الصفقات الرابحة"),
        goals="مقارنة بأهدافك:",
        no_goals="لم تحدد أهدافًا أسبوعية بعد.",
        goal_names={"prospects": "العملاء المحتملون", "contacts": "التواصلات", "wins": "الصفقات الرابحة"},
        count="- {name}: {actual} من {target} ({verdict})",
        ratio="- إغلاق صفقة من كل {target}: {wins} صفقة مقابل {contacts} تواصلًا، والمطلوب {needed} ({verdict})",
        other="- {name}: {target} (لا يُقاس)",
        met="تحقق",
        surplus="زيادة {n}",
        shortfall="نقص {n}",
        days=("الاثنين", "الأحد"),
    ),
}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _verdict(words: _Words, difference: float | None) -> str:
    if difference is None or difference == 0:
        return words.met
    return (words.surplus if difference > 0 else words.shortfall).format(n=_number(abs(difference)))


def render_mail(card: Scorecard, *, language: str, timezone: str) -> ScorecardMail:
    """Last week's scorecard as a plain e-mail in ``language`` (``ar`` or ``en``, else English):
    the week in the rep's zone, the three figures, and each goal with its shortfall or surplus."""
    words = _TEXT.get(language, _TEXT["en"])
    zone = ZoneInfo(timezone)
    first = card.start.astimezone(zone).date()
    last = card.end.astimezone(zone).date() - timedelta(days=1)
    monday, sunday = words.days
    figures = (card.prospects_added, card.contacts_made, card.wins)
    lines = [
        words.intro,
        "",
        words.week.format(week=card.week, first=f"{monday} {first}", last=f"{sunday} {last}", zone=timezone),
        "",
        *(f"{label}: {value}" for label, value in zip(words.figures, figures, strict=True)),
        "",
        words.goals if card.goals else words.no_goals,
    ]
    placeholders = {
        "week": card.week,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "prospects_added": str(card.prospects_added),
        "contacts_made": str(card.contacts_made),
        "wins": str(card.wins),
    }
    for goal in card.goals:
        verdict = _verdict(words, goal.difference)
        if goal.difference is None:
            lines.append(words.other.format(name=goal.goal, target=goal.target))
        elif goal.goal in COUNT_GOALS:
            name = words.goal_names[goal.goal]
            lines.append(
                words.count.format(name=name, actual=_number(goal.actual), target=goal.target, verdict=verdict)
            )
        else:  # win_ratio, "close 1 in N": the wins the week's contacts ask for
            needed = card.wins - int(goal.difference)
            lines.append(
                words.ratio.format(
                    target=goal.target, wins=card.wins, contacts=card.contacts_made, needed=needed, verdict=verdict
                )
            )
        placeholders[f"goal_{goal.goal}"] = f"{_number(goal.actual)}/{goal.target}/{_number(goal.difference)}"
    return ScorecardMail(words.subject.format(week=card.week), "\n".join(lines) + "\n", placeholders)


# -- the stored schedule ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardSchedule:
    """What is stored per rep: the last week handled and when the next e-mail is due."""

    org_id: str
    user_id: str
    last_sent_week: str | None
    due_at: datetime
    version: int = 0  # 0: not stored yet


def reschedule(
    stored: ScorecardSchedule | None,
    *,
    org_id: str,
    user_id: str,
    timezone: str,
    hours: Mapping[str, Sequence[str]],
    new_profile: bool,
    now: datetime,
) -> ScorecardSchedule | None:
    """The schedule after a profile is saved with this zone and these hours, or None when the
    stored one stands. A new profile starts with next week's e-mail; a profile saved before
    schedules existed (``stored`` None, not new) gets this week's if it is still to go."""
    if stored is not None:
        last_sent = stored.last_sent_week
    elif new_profile:
        last_sent = first_schedule(user_id, timezone, hours, now).last_sent_week
    else:
        last_sent = None
    due_at = next_send(RepSchedule(user_id, timezone, hours, last_sent), now)
    if stored is not None and stored.due_at == due_at:
        return None
    return ScorecardSchedule(org_id, user_id, last_sent, due_at, stored.version if stored else 0)
