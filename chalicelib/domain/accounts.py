"""Accounts: the customers (people or companies) every lead, order and message hangs off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.limits import MAX_CONTACTS, MAX_TAG_LENGTH, MAX_TAGS
from chalicelib.domain.model import Model
from chalicelib.domain.normalize import clean_name, normalize_email, normalize_phone
from chalicelib.domain.principal import Principal
from chalicelib.domain.validation import CustomFields, Omittable, RecordId

JourneyStage = Literal["awareness", "research", "preference", "purchase", "advocacy"]
AccountKind = Literal["person", "company"]
RiskLevel = Literal["low", "medium", "high"]
Language = Literal["ar", "en"]

ShortText = Annotated[str, Field(max_length=200)]


class Address(Model):
    model_config = ConfigDict(extra="forbid")

    line1: Annotated[str, Field(max_length=500)] = ""
    line2: Annotated[str, Field(max_length=500)] = ""
    city: ShortText = ""
    region: ShortText = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(pattern=r"^([A-Z]{2})?$")] = ""


class Risk(Model):
    model_config = ConfigDict(extra="forbid")

    level: RiskLevel = "low"
    reasons: list[str] = []


class AccountFields(Model):
    """What a client may set on an account (all optional: used for create and for PATCH).

    Null clears the lists, the address and the risk (and leaves the owner as it is); the other
    fields refuse it (``Omittable``)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Omittable[str], Field(min_length=1, max_length=200)] = None
    kind: Omittable[AccountKind] = None
    company: Omittable[ShortText] = None
    title: Omittable[ShortText] = None
    emails: Annotated[list[Annotated[str, Field(max_length=320)]] | None, Field(max_length=MAX_CONTACTS)] = None
    phones: Annotated[list[Annotated[str, Field(max_length=40)]] | None, Field(max_length=MAX_CONTACTS)] = None
    address: Address | None = None
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]] | None, Field(max_length=MAX_TAGS)
    ] = None
    owner_id: RecordId | None = None
    journey_stage: Omittable[JourneyStage] = None
    risk: Risk | None = None
    contact_opt_out: Omittable[bool] = None
    notes: Annotated[Omittable[str], Field(max_length=10_000)] = None
    custom_fields: Omittable[CustomFields] = None
    language: Language | None = Field(
        default=None, description="of the pages and messages the customer gets; the organisation's default if unset"
    )


class AccountCreate(AccountFields):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class AccountPatch(AccountFields):
    version: int | None = None


@dataclass
class Account:
    id: str
    org_id: str
    name: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    version: int = 0
    kind: AccountKind = "person"
    company: str = ""
    title: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    address: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    journey_stage: JourneyStage = "awareness"
    risk: dict[str, Any] = field(default_factory=lambda: {"level": "low", "reasons": []})
    contact_opt_out: bool = False
    notes: str = ""
    custom_fields: dict[str, str] = field(default_factory=dict)
    source: str = "api"
    referred_by_account_id: str | None = None
    language: str | None = None  # None: the organisation's default_language


def normalize_contacts(
    emails: list[str] | None, phones: list[str] | None, default_country: str
) -> tuple[list[str], list[str]]:
    """Normalised, de-duplicated e-mails and E.164 phones; every bad entry is a field error."""
    errors: list[FieldError] = []
    clean_emails: list[str] = []
    for i, raw in enumerate(emails or []):
        email = normalize_email(raw)
        if email is None:
            errors.append(FieldError(f"emails[{i}]", f"{raw!r} is not an e-mail address"))
        elif email not in clean_emails:
            clean_emails.append(email)
    clean_phones: list[str] = []
    for i, raw in enumerate(phones or []):
        phone = normalize_phone(raw, default_country)
        if phone is None:
            errors.append(
                FieldError(f"phones[{i}]", f"{raw!r} is not a valid phone number (default country {default_country})")
            )
        elif phone not in clean_phones:
            clean_phones.append(phone)
    if errors:
        raise ValidationFailed(errors)
    return clean_emails, clean_phones


def new_account(
    *, account_id: str, org_id: str, owner_id: str, data: AccountCreate, default_country: str, now: datetime
) -> Account:
    account = Account(
        id=account_id, org_id=org_id, name=clean_name(data.name), owner_id=owner_id, created_at=now, updated_at=now
    )
    return _apply(account, data, default_country=default_country)  # a new account: no copy to make


def apply_changes(account: Account, changes: AccountFields, *, default_country: str, now: datetime) -> Account:
    """The account with ``changes`` applied; fields the client did not send stay as they were."""
    return _apply(replace(account, updated_at=now), changes, default_country=default_country)


def _apply(updated: Account, changes: AccountFields, *, default_country: str) -> Account:
    """Set what the client sent (``model_fields_set``) on ``updated``, an account of the caller's own."""
    sent = changes.model_fields_set
    if "name" in sent:
        name = clean_name(changes.name) if changes.name is not None else ""
        if not name:
            raise ValidationFailed.single("name", "must not be empty")
        updated.name = name
    if "emails" in sent or "phones" in sent:
        emails, phones = normalize_contacts(
            changes.emails if "emails" in sent else updated.emails,
            changes.phones if "phones" in sent else updated.phones,
            default_country,
        )
        updated.emails, updated.phones = emails, phones
    if "language" in sent:
        updated.language = changes.language
    for simple in ("kind", "company", "title", "journey_stage", "contact_opt_out", "notes", "custom_fields"):
        if simple in sent:
            value = getattr(changes, simple)
            if value is None:
                raise ValidationFailed.single(simple, "must not be null")
            setattr(updated, simple, dict(value) if simple == "custom_fields" else value)
    if "tags" in sent:
        updated.tags = list(dict.fromkeys(t.strip() for t in (changes.tags or []) if t.strip()))
    if "address" in sent:
        updated.address = {k: v for k, v in (changes.address.model_dump() if changes.address else {}).items() if v}
    if "risk" in sent:
        updated.risk = changes.risk.model_dump() if changes.risk else {"level": "low", "reasons": []}
    if "owner_id" in sent and changes.owner_id:
        updated.owner_id = changes.owner_id
    return updated


# -- erasure ------------------------------------------------------------------------------------


def check_may_erase(principal: Principal, account: Account) -> None:
    """A manager or admin erases any account of the organisation; a rep only one they own. An
    account a rep sees only through one of their leads is someone else's: 404, as if unseen."""
    if not principal.sees_whole_org and account.owner_id != principal.user_id:
        raise NotFound("No such account.")


def check_leads_allow_erasure(principal: Principal, lead_owners: Sequence[str]) -> None:
    """Erasing an account erases its leads: a rep may not erase other reps' work with it."""
    if principal.sees_whole_org:
        return
    others = sum(1 for owner in lead_owners if owner != principal.user_id)
    if others:
        leads = "lead" if others == 1 else "leads"
        raise Conflict(
            f"{others} {leads} of other reps hang off this account; a manager can erase it, "
            "or reassign those leads first.",
            other_reps_leads=others,
        )
