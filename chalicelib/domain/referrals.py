"""Referral requests: asking a won customer for referrals, and the prospects they name."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.accounts import AccountCreate
from chalicelib.domain.errors import InvalidTransition
from chalicelib.domain.interactions import Channel
from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.timeline import TimelineEntry, timeline_entry

ReferralStatus = Literal["requested", "received", "declined"]
MAX_REFERRALS_PER_REQUEST = 50


class ReferralRequestCreate(Model):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    note: Annotated[str, Field(max_length=2000)] = ""


class ReferralRequestPatch(Model):
    model_config = ConfigDict(extra="forbid")

    status: ReferralStatus | None = None
    note: Annotated[str | None, Field(max_length=2000)] = None
    version: int | None = None


class ReferralCreate(Model):
    """A referred prospect: the new account, and optionally the new lead's title and value."""

    model_config = ConfigDict(extra="forbid")

    account: AccountCreate
    title: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    value: Money | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


@dataclass
class ReferralRequest:
    id: str
    org_id: str
    lead_id: str
    account_id: str
    asked_by: str
    channel: str
    created_at: datetime
    updated_at: datetime
    note: str = ""
    status: ReferralStatus = "requested"
    referred_lead_ids: list[str] = field(default_factory=list)
    version: int = 0


def apply_referral_patch(request: ReferralRequest, patch: ReferralRequestPatch, now: datetime) -> ReferralRequest:
    updated = replace(request, updated_at=now)
    if patch.status is not None:
        if request.referred_lead_ids and patch.status != "received":
            raise InvalidTransition("Referrals were already recorded for this request; it stays received.")
        updated.status = patch.status
    if patch.note is not None:
        updated.note = patch.note.strip()
    return updated


def record_referral(request: ReferralRequest, lead_id: str, now: datetime) -> ReferralRequest:
    """The request after one more referred prospect: it is ``received`` from now on."""
    if len(request.referred_lead_ids) >= MAX_REFERRALS_PER_REQUEST:
        raise InvalidTransition(f"A referral request holds at most {MAX_REFERRALS_PER_REQUEST} referrals.")
    return replace(request, status="received", referred_lead_ids=[*request.referred_lead_ids, lead_id], updated_at=now)


def referral_request_entry(request: ReferralRequest) -> TimelineEntry:
    return timeline_entry(
        "referral_request",
        org_id=request.org_id,
        account_id=request.account_id,
        at=request.created_at,
        entity_id=request.id,
        data={"channel": request.channel, "note": request.note or None, "by": request.asked_by},
        lead_id=request.lead_id,
    )


def referral_entry(request: ReferralRequest, referred_lead_id: str, at: datetime) -> TimelineEntry:
    """The entry on the referrer's timeline; it names only the new lead, so erasing the referred
    prospect leaves nothing of them behind."""
    return timeline_entry(
        "referral",
        org_id=request.org_id,
        account_id=request.account_id,
        at=at,
        entity_id=referred_lead_id,
        data={"referral_request_id": request.id, "referred_lead_id": referred_lead_id},
        lead_id=request.lead_id,
    )
