"""Health and the OpenAPI document (both public)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import openapi
from chalicelib.api.http import Call, endpoint
from chalicelib.api.lazy import service
from chalicelib.api.schemas import Health, OpenApiDocument

if TYPE_CHECKING:
    from chalicelib.services import system
else:  # imported on the first call (cold start)
    system = service("system")

bp = Blueprint(__name__)


@endpoint(
    bp,
    "/health",
    summary="The service and its store are reachable",
    tags=["system"],
    public=True,
    response=Health,
    errors=[503],
)
def health(call: Call) -> Health:
    system.check_store()
    return Health(status="ok")


@endpoint(
    bp, "/openapi.json", summary="This OpenAPI 3.1 document", tags=["system"], public=True, response=OpenApiDocument
)
def openapi_document(call: Call) -> dict[str, object]:
    return openapi.document()
