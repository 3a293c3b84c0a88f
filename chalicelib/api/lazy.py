"""Services imported on a route's first call, not at cold start.

A route module names its service as usual for the type checker and gets a stand-in at run time::

    if TYPE_CHECKING:
        from chalicelib.services import accounts
    else:
        accounts = service("accounts")

The services pull in the persistence layer (PynamoDB's connection, models and transactions, the
store's item shapes): about a third of ``import app`` beside the libraries (bench/cold_start.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module and imports it on the first attribute read (the import system's
    lock makes that safe under threads; later reads cost one ``sys.modules`` lookup)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.module(), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def service(name: str) -> Any:
    return LazyModule(f"chalicelib.services.{name}")
