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
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z"
    )
