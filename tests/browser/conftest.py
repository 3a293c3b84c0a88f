"""The ``browser`` fixture: headless Chromium for the whole session, able to open any URL.

Without ``/usr/bin/chromium`` the browser tests skip, saying why, on a developer's machine; in CI
(``CI=true``) they fail instead, because there ``.ci/run`` must have installed it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.harness import CHROMIUM, Browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: apt-get install --no-install-recommends chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (requirements-dev.txt)")
    launched = Browser()
    try:
        yield launched
    finally:
        launched.close()
