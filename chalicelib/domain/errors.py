"""Domain errors. They say what went wrong in sales terms; the API maps them to HTTP once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base class; ``detail`` is safe to show to the caller."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it does."""


class Conflict(DomainError):
    """The request clashes with the record's current state (stale version, duplicate, ...)."""


class InvalidTransition(Conflict):
    """A lead or order cannot move that way from where it is now."""


class ValidationFailed(DomainError):
    """Well-formed input that breaks a rule; carries one entry per offending field."""

    def __init__(self, errors: list[FieldError], detail: str = "The request breaks validation rules.") -> None:
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)], detail=f"{field}: {message}")


class MalformedRequest(DomainError):
    """The body or a parameter cannot be parsed at all (bad JSON, bad cursor, bad CSV)."""


class Unauthenticated(DomainError):
    """Missing, forged or expired credentials."""


class Forbidden(DomainError):
    """Authenticated, but the role does not allow this action."""


class PayloadTooLarge(DomainError):
    """The request body exceeds what one synchronous request may carry."""


class UnsupportedMediaType(DomainError):
    """The body's content type is not one the route reads."""


class Unavailable(DomainError):
    """A dependency (the store) cannot be reached right now; the caller may retry after a while."""

    def __init__(self, detail: str, *, retry_after_seconds: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_seconds = retry_after_seconds
