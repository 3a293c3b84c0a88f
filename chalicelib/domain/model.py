"""The base of every pydantic model of the app (request bodies, response shapes, settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validator and serialiser are built on first use, not at import:
    building ~45 models' core schemas was most of ``import app`` beside the libraries (cold
    start), and a request uses only a few of them. Subclasses' ``model_config`` merges with this
    one, so they keep ``defer_build`` while adding their own settings."""

    model_config = ConfigDict(defer_build=True)
