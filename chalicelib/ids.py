"""Opaque, time-sortable identifiers chosen by the server."""

from __future__ import annotations


def new_id() -> str:
    from ulid import ULID  # on first use, not at cold start

    return str(ULID()).lower()
