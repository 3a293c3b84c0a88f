"""The document from the real local stack, and the pinned npm tools (installed by ``make test``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.smoke.test_local_stack import stack  # noqa: F401  (the same real local stack, on free ports)

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "openapi"
BIN = TOOLS / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def npm_tools() -> Path:
    if shutil.which("node") is None or not (BIN / "tsc").exists():
        pytest.fail("the npm tools are missing: run `make openapi-tools` (make test does)")
    return BIN


@pytest.fixture(scope="module")
def served_document(stack: str) -> dict:  # noqa: F811
    reply = requests.get(f"{stack}/openapi.json", timeout=10)
    assert reply.status_code == 200
    return reply.json()
