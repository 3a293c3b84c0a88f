"""Organisation settings: anyone in the organisation reads them, only an admin changes them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.config import now
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.principal import Principal
from chalicelib.domain.settings import StoredSettings, merge_settings
from chalicelib.domain.validation import from_pydantic
from chalicelib.persistence import org as store


def read_settings(principal: Principal) -> StoredSettings:
    return store.get_settings(principal.org_id)


def change_settings(principal: Principal, changes: dict[str, Any]) -> StoredSettings:
    if not principal.is_admin:
        raise Forbidden("Only an admin may change organisation settings.")
    current = store.get_settings(principal.org_id)
    try:
        merged = merge_settings(current.settings, changes)
    except ValidationError as error:
        raise from_pydantic(error)
    return store.save_settings(principal.org_id, current, merged, now())
