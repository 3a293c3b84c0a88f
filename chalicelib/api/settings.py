"""/settings: per-organisation configuration (admins change it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.api.lazy import service
from chalicelib.api.presenters import settings_out
from chalicelib.api.schemas import SettingsOut
from chalicelib.domain.settings import SettingsChanges

if TYPE_CHECKING:
    from chalicelib.services import settings
else:  # imported on the first call (cold start)
    settings = service("settings")

bp = Blueprint(__name__)
TAGS = ["settings"]


@endpoint(
    bp, "/settings", summary="The organisation's settings (defaults until changed)", tags=TAGS, response=SettingsOut
)
def get_settings(call: Call) -> SettingsOut:
    return settings_out(settings.read_settings(call.principal))


@endpoint(
    bp,
    "/settings",
    "PUT",
    summary="Change any subset of the settings (admin only). message_templates: the organisation's own "
    "follow-up texts per template and language; an unknown placeholder or a malformed template is a 422 naming "
    "the template, the language and the placeholder",
    tags=TAGS,
    body=SettingsChanges,
    response=SettingsOut,
    errors=[403, 409],
)
def put_settings(call: Call) -> SettingsOut:
    changes: SettingsChanges = call.body
    return settings_out(settings.change_settings(call.principal, changes.as_changes()))
