"""Per-organisation settings: defaults, validation and partial updates.

``PUT /settings`` takes any subset; what it leaves out keeps its current value, and unknown keys
are rejected so a typo never silently does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.domain.model import Model
from chalicelib.domain.money import Money
from chalicelib.domain.templates import TemplateName, template_problems
from chalicelib.domain.validation import Omittable

PositiveMinutes = Annotated[int, Field(ge=0, le=60 * 24 * 60)]
Day = Annotated[int, Field(ge=0, le=3650)]


class Strict(Model):
    # Stored and returned settings carry every field: required in the documented response.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class ConfirmationLadder(Strict):
    sms_after_minutes: PositiveMinutes = 1
    whatsapp_after_minutes: PositiveMinutes = 240
    email_after_minutes: PositiveMinutes = 480
    call_after_minutes: PositiveMinutes = 1440
    cancel_after_minutes: PositiveMinutes = 2880

    @model_validator(mode="after")
    def _ascending(self) -> ConfirmationLadder:
        steps = [
            self.sms_after_minutes,
            self.whatsapp_after_minutes,
            self.email_after_minutes,
            self.call_after_minutes,
            self.cancel_after_minutes,
        ]
        if steps != sorted(steps):
            raise ValueError("ladder steps must come in order: sms, whatsapp, email, call, cancel")
        return self


class CouponRule(Strict):
    after_days: Day = 14
    percent_off: Annotated[int, Field(ge=1, le=100)] = 10
    valid_days: Annotated[int, Field(ge=1, le=3650)] = 30
    amount_off: Money | None = Field(
        default=None, description="a fixed amount off instead of percent_off (used on orders in its currency)"
    )


class BonusMaterial(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    url: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
FollowUpKind = Literal["bonus_material", "checkin", "review_request", "referral_request", "coupon"]
ChannelName = Literal["sms", "whatsapp", "email"]


class SendHours(Strict):
    """Local hours (the organisation's time zone) in which follow-ups go out; outside them a
    follow-up waits for the next start."""

    start: Annotated[str, Field(pattern=HOUR_MINUTE)] = "09:00"
    end: Annotated[str, Field(pattern=HOUR_MINUTE)] = "21:00"

    @model_validator(mode="after")
    def _ordered(self) -> SendHours:
        if self.start >= self.end:
            raise ValueError("start must come before end (same day, local time)")
        return self


# Default instances are made with model_construct (the same values, no validation): calling the
# model here would build its validator at import (cold start). Validators never run on defaults.
class FollowUp(Strict):
    """After the sale. Day 0 is when a prepaid order is paid or a cash-on-delivery order delivered; that
    event plans, once per (order, kind, day): bonus materials (bonus_after_days), a check-in on each of
    checkin_days, a review request, a referral request (which also opens one on the order's won lead)
    and a coupon (coupon.after_days). The follow_ups job (every 5 minutes) sends each once through the
    outbox, within send_hours (local time, settings.timezone) and not on weekend_days; nothing once the
    order is refunded, returned, refused or cancelled or the customer opted out (such items end
    'skipped' with the reason, in GET /messages and on the timeline)."""

    checkin_days: Annotated[list[Day], Field(max_length=20)] = [1, 3]
    review_request_day: Day = 7
    referral_request_day: Day = 10
    coupon: CouponRule = CouponRule.model_construct()
    bonus_materials: Annotated[list[BonusMaterial], Field(max_length=20)] = [
        BonusMaterial.model_construct(title="Starter guide", url="https://example.com/guide.pdf")
    ]
    bonus_after_days: Day = 0
    send_hours: SendHours = SendHours.model_construct()
    weekend_days: Annotated[list[Weekday], Field(max_length=6)] = Field(
        default=["fri", "sat"], description="local days on which no follow-up is sent (it waits for the next day)"
    )
    channels: dict[FollowUpKind, ChannelName] = Field(
        default={},
        description="a channel per kind; otherwise e-mail when the customer has one, else WhatsApp, else SMS",
    )
    channel_preference: Annotated[list[ChannelName], Field(min_length=1, max_length=3)] = ["email", "whatsapp", "sms"]
    review_url: Annotated[str | None, Field(pattern=r"^https?://", max_length=2000)] = None
    referral_url: Annotated[str | None, Field(pattern=r"^https?://", max_length=2000)] = None

    @field_validator("weekend_days", "channel_preference")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("checkin_days")
    @classmethod
    def _sorted_unique(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class OrgSettings(Strict):
    default_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "SA"
    timezone: str = "Asia/Riyadh"
    confirmation_ladder: ConfirmationLadder = ConfirmationLadder.model_construct()
    follow_up: FollowUp = FollowUp.model_construct()
    refund_window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    message_templates: dict[
        TemplateName, dict[Literal["ar", "en"], Annotated[str, Field(min_length=1, max_length=2000)]]
    ] = Field(
        default={},
        description="the organisation's own follow-up texts per template and language, e.g. "
        '{"checkin": {"en": "Hi {customer_name}, ..."}}; unset ones use the Arabic/English defaults',
    )
    default_language: Literal["ar", "en"] = "ar"  # of customer-facing pages and messages
    support_email: Annotated[str | None, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = Field(
        default=None, description="reply-to of automated e-mails (the confirmation ladder's e-mail step)"
    )

    @field_validator("default_country")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers  # only when settings are validated (cold-start cost)

        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be an ISO 3166 alpha-2 country with a phone numbering plan")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return validate_timezone(value)

    @field_validator("message_templates")
    @classmethod
    def _templates(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        problems = [
            f"message_templates.{name}.{language}: {problem}"
            for name, texts in value.items()
            for language, text in texts.items()
            for problem in template_problems(name, text)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return {name: texts for name, texts in value.items() if texts}


# -- PUT /settings: any subset ------------------------------------------------------------------
# The same fields as above, each optional and never null; nested objects merge key by key, lists
# and message_templates are replaced whole. merge_settings validates the merged result (ladder
# order, known regions and zones), so these only describe and pre-check the shape of a change.
# tests/unit/test_settings_domain.py keeps them field for field in step with the models above.


class LadderChanges(Strict):
    sms_after_minutes: Omittable[PositiveMinutes] = None
    whatsapp_after_minutes: Omittable[PositiveMinutes] = None
    email_after_minutes: Omittable[PositiveMinutes] = None
    call_after_minutes: Omittable[PositiveMinutes] = None
    cancel_after_minutes: Omittable[PositiveMinutes] = None


class CouponChanges(Strict):
    after_days: Omittable[Day] = None
    percent_off: Omittable[Annotated[int, Field(ge=1, le=100)]] = None
    valid_days: Omittable[Annotated[int, Field(ge=1, le=3650)]] = None
    amount_off: Money | None = Field(default=None, description="a fixed amount off instead; null removes it")


class FollowUpChanges(Strict):
    checkin_days: Omittable[Annotated[list[Day], Field(max_length=20)]] = None
    review_request_day: Omittable[Day] = None
    referral_request_day: Omittable[Day] = None
    coupon: Omittable[CouponChanges] = None
    bonus_materials: Omittable[Annotated[list[BonusMaterial], Field(max_length=20)]] = None
    bonus_after_days: Omittable[Day] = None
    send_hours: Omittable[SendHours] = None
    weekend_days: Omittable[Annotated[list[Weekday], Field(max_length=6)]] = None
    channels: Omittable[dict[FollowUpKind, ChannelName]] = None
    channel_preference: Omittable[Annotated[list[ChannelName], Field(min_length=1, max_length=3)]] = None
    review_url: Annotated[str | None, Field(pattern=r"^https?://", max_length=2000)] = None
    referral_url: Annotated[str | None, Field(pattern=r"^https?://", max_length=2000)] = None


class SettingsChanges(Strict):
    """The body of ``PUT /settings``: any subset of the settings; unknown keys are 422."""

    default_country: Omittable[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(
        default=None, description="ISO 3166 alpha-2; reads local phone numbers such as 0501234567"
    )
    timezone: Omittable[str] = Field(default=None, description="IANA time zone, e.g. Asia/Riyadh")
    confirmation_ladder: Omittable[LadderChanges] = None
    follow_up: Omittable[FollowUpChanges] = None
    refund_window_days: Omittable[Annotated[int, Field(ge=0, le=3650)]] = None
    message_templates: Omittable[
        dict[TemplateName, dict[Literal["ar", "en"], Annotated[str, Field(min_length=1, max_length=2000)]]]
    ] = Field(
        default=None,
        description='per template and language, e.g. {"checkin": {"en": "Hi {customer_name}, ..."}}: merged '
        "per template; {} for a template restores its defaults; an unknown placeholder is a 422",
    )
    default_language: Omittable[Literal["ar", "en"]] = Field(
        default=None, description="of customer-facing pages and messages when the account names none"
    )
    support_email: Annotated[str | None, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = Field(
        default=None, description="reply-to of automated e-mails; null removes it"
    )

    def as_changes(self) -> dict[str, Any]:
        """What the client sent, as the nested dict merge_settings takes."""
        return self.model_dump(mode="json", exclude_unset=True)


MESSAGE_KINDS = (
    "order_confirmation",
    "checkin",
    "review_request",
    "coupon",
    "bonus_material",
    "referral_request",
    "scorecard",
)


def validate_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # zoneinfo loads sysconfig: not at cold start

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Riyadh")
    return value


def merge_settings(current: OrgSettings, changes: dict[str, Any]) -> OrgSettings:
    """Apply a partial update (nested objects merge key by key) and validate the result."""
    # Unknown keys survive the merge at any depth, so ``extra="forbid"`` reports them.
    return OrgSettings.model_validate(_deep_merge(current.model_dump(mode="json"), changes))


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if key == "message_templates" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}  # per template: {"checkin": {}} restores the defaults
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key not in ("channels",):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_stored(data: dict[str, Any]) -> OrgSettings:
    """Settings as any version stored them. Unlike ``PUT /settings``, which refuses what it does
    not know, a stored item must always read: keys this version does not know (a later or an
    earlier version dropped them) are left out at any depth, as are message templates of kinds it
    does not know, and a setting whose stored value it no longer accepts falls back to its default."""
    known = _known_keys(OrgSettings, data)
    templates = known.get("message_templates")
    if isinstance(templates, dict):  # templates of names this version does not know are left out
        known["message_templates"] = {k: v for k, v in templates.items() if k in get_args(TemplateName)}
    try:
        return OrgSettings.model_validate(known)
    except ValidationError as error:
        refused = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        return OrgSettings.model_validate({k: v for k, v in known.items() if k not in refused})


def _known_keys(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue
        nested = _model_of(field.annotation)
        if nested is not None and isinstance(value, dict):
            value = _known_keys(nested, value)
        elif nested is not None and isinstance(value, list) and get_origin(field.annotation) is list:
            value = [_known_keys(nested, v) if isinstance(v, dict) else v for v in value]
        out[name] = value
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds, directly or as the items of a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is list:
        args = get_args(annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0]
    return None


@dataclass(frozen=True)
class StoredSettings:
    """Settings as saved for one organisation (version 0: never saved, the defaults apply)."""

    settings: OrgSettings
    version: int
    created_at: datetime | None
    updated_at: datetime | None
