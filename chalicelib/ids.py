"""Opaque, time-sortable identifiers chosen by the server."""

from __future__ import annotations

from ulid import ULID


def new_id() -> str:
    return str(ULID()).lower()
