"""An imported deal as the pipeline would have recorded it: the API's ``new_lead`` plus the moves
that brought it to the stage the file gives, at the times the file gives.

A CRM export says where a deal is (``Won``, ``Negotiation``, ``Lost``) and, often, when it was
created, engaged and closed. The history written for it walks the same rules as moves made through
the API (``pipeline.move`` / ``pipeline.mark_lost``): created in ``prospecting``; in ``approach``
when it was engaged; won deals pass ``closing`` and enter ``follow_up`` when they closed; lost deals
are lost from the last step the file shows they reached (``approach`` once engaged) when they
closed. The deal began at the earliest date the row gives; a missing engaged date is that one, a
missing close date the import's, and the history never runs backwards. Reports then measure the
real cycle, not the day of the import.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.imports.records import LeadDraft
from chalicelib.domain.pipeline import STAGES, Lead, LeadCreate, Stage, StageMove, mark_lost, move, new_lead

_ORDER = {stage: index for index, stage in enumerate(STAGES)}


def imported_lead(
    draft: LeadDraft,
    *,
    lead_id: str,
    org_id: str,
    account_id: str,
    owner_id: str,
    extra: dict[str, Any],
    now: datetime,
) -> tuple[Lead, list[StageMove]]:
    """The lead and its whole stage history, oldest first."""
    known = [t for t in (draft.created_at, draft.engaged_at, draft.closed_at) if t is not None]
    created = min(known) if known else now  # a record entered after its deal closed began no later
    closed = (draft.closed_at or max(now, created)) if draft.status != "open" else None
    engaged = max(draft.engaged_at or created, created)
    if closed is not None:
        engaged = min(engaged, closed)
    data = LeadCreate.model_validate(
        {"account_id": account_id, "title": draft.title, "value": draft.value, "source": "import"}
    )
    lead, first = new_lead(lead_id=lead_id, org_id=org_id, owner_id=owner_id, data=data, by=owner_id, now=created)
    history = [first]

    def step(to: Stage, at: datetime) -> None:
        nonlocal lead
        lead, entry = move(lead, to, by=owner_id, now=at)
        history.append(entry)

    reached = _reached(draft)
    if _ORDER[reached] >= _ORDER["approach"]:
        step("approach", engaged)
    if _ORDER[reached] > _ORDER["approach"]:
        step(reached, closed if reached == "closing" and closed else engaged)
    if draft.status == "won":
        assert closed is not None
        step("follow_up", closed)
    elif draft.status == "lost":
        assert closed is not None
        lead, entry = mark_lost(lead, reason=draft.lost_reason or "lost", objection_id=None, by=owner_id, now=closed)
        history.append(entry)
    lead = replace(
        lead,
        source=draft.source,
        custom_fields=draft.custom_fields,
        updated_at=now,
        extra=extra,
    )
    return lead, history


def _reached(draft: LeadDraft) -> Stage:
    """The furthest step the deal reached before it ended (or where it stands, if open)."""
    if draft.status == "won":
        return "closing"
    if draft.status == "lost" and draft.stage == "prospecting" and draft.engaged_at is not None:
        return "approach"
    return draft.stage
