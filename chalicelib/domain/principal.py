"""Who is calling: the verified identity every service call receives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from chalicelib.domain.errors import ValidationFailed

Role = Literal["rep", "manager", "admin"]
ROLES: tuple[Role, ...] = ("rep", "manager", "admin")

# What a user or organisation id (and every server-chosen id in a path) may hold: it goes into
# DynamoDB keys, so it must stay short and free of the key separator ``#``.
IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


@dataclass(frozen=True)
class Principal:
    user_id: str
    org_id: str
    role: Role

    @property
    def sees_whole_org(self) -> bool:
        return self.role in ("manager", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see_owned(self, owner_id: str | None) -> bool:
        return self.sees_whole_org or owner_id == self.user_id


def owner_for(principal: Principal, requested: str | None, *, what: str, field: str = "owner_id") -> str:
    """Who owns a new record: a rep always owns what they create; managers and admins may assign
    it to someone else (``what`` names the record in the refusal, e.g. "a lead")."""
    if requested and requested != principal.user_id:
        if not principal.sees_whole_org:
            raise ValidationFailed.single(field, f"only a manager or admin may assign {what} to someone else")
        return requested
    return principal.user_id
