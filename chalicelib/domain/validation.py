"""Turning pydantic's validation errors into the domain's field errors."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, Field, ValidationError

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.limits import MAX_CUSTOM_FIELD_NAME, MAX_CUSTOM_FIELD_VALUE, MAX_CUSTOM_FIELDS

M = TypeVar("M", bound=BaseModel)

# An id of a stored record (or a user) sent in a body: what the server hands out, never more, so
# it cannot reach into another key (ids are built into partition keys).
RecordId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]

# Free-form labelled values on accounts and leads. They are stored as a DynamoDB map, whose keys
# must be non-empty names, so an empty label is refused here rather than stored unreadable.
CustomFields = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=MAX_CUSTOM_FIELD_NAME)],
        Annotated[str, Field(max_length=MAX_CUSTOM_FIELD_VALUE)],
    ],
    Field(max_length=MAX_CUSTOM_FIELDS),
]


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def from_pydantic(error: ValidationError, prefix: str = "") -> ValidationFailed:
    errors = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "is not a known field"
        path = field_path(loc)
        errors.append(FieldError(f"{prefix}{path}" if prefix else path, message))
    return ValidationFailed(errors)


def parse_model(model: type[M], data: object) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_pydantic(error)
