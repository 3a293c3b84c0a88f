"""Optimistic concurrency as the API states it: a change names the version it was based on."""

from __future__ import annotations

from chalicelib.domain.errors import Conflict, ValidationFailed


def check_version(current: int, expected: int | None) -> None:
    """A change based on another version than the stored one is a 409 naming the current one."""
    if expected is None:
        raise ValidationFailed.single("version", "send the version you edited (in the body or as If-Match)")
    if expected != current:
        raise Conflict(
            f"The record is at version {current}; your change was based on version {expected}.",
            current_version=current,
        )
