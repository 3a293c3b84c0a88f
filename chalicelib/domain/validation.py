"""Turning pydantic's validation errors into the domain's field errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Optional, TypeVar

from pydantic import BaseModel, Field, GetJsonSchemaHandler, ValidationError
from pydantic_core import CoreSchema

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.limits import MAX_CUSTOM_FIELD_NAME, MAX_CUSTOM_FIELD_VALUE, MAX_CUSTOM_FIELDS

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class _NotNullInSchema:
    """Documents an optional field without its ``null``: the JSON schema of ``T | None`` minus
    the null branch (validation is untouched, so errors keep their plain field paths)."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        schema: dict[str, Any] = dict(handler(core_schema))
        options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
        if "anyOf" in schema and len(options) == 1:
            del schema["anyOf"]
            schema = {**options[0], **schema}
        if schema.get("default", ...) is None:
            del schema["default"]
        return schema


# An optional request field that may be left out but not sent as null (the domain answers 422
# "must not be null"): None stays the Python default for "not sent", and the OpenAPI document
# shows the plain type, so generated clients never send null there.
Omittable = Annotated[Optional[T], _NotNullInSchema()]  # noqa: UP045  (a generic alias needs Optional)

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
