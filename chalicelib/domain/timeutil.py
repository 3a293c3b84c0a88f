"""RFC 3339 times as the API speaks them: UTC, second precision, ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import ValidationFailed


def parse_rfc3339(value: str, field: str = "time") -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, "must be an RFC 3339 time such as 2026-11-22T09:30:00Z")
    if parsed.tzinfo is None:
        raise ValidationFailed.single(field, "must carry a time zone offset (for example Z)")
    return parsed.astimezone(UTC)


def format_rfc3339(moment: datetime) -> str:
    """The API's form: always whole seconds, so that any two times the API writes sort as strings
    the way they sort as times (a fraction shown only when non-zero put ``…24Z`` after ``…24.145Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_exact(moment: datetime) -> str:
    """The stored form: fixed-width microseconds, so stored times keep their order exactly and sort
    as strings (sort keys, match-key histories)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
