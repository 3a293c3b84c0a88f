"""Operational checks."""

from __future__ import annotations

from chalicelib.persistence import org


def check_store() -> None:
    """Raise if the table cannot be read (one GetItem on a key that never exists)."""
    org.ping()
