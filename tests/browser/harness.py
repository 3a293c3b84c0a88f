"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright, pointed at any URL.

Nothing here downloads a browser: Playwright only drives ``/usr/bin/chromium`` (``.ci/run`` installs
it with apt-get); never run ``playwright install``. ``Browser.open(url)`` loads a page in a phone-sized
window and keeps what the page printed to the console (Chromium reports every Content-Security-Policy
violation there) and any dialog a script managed to open. Point it at the real route the same way:

    visit = browser.open(f"{base_url}/orders/{order_id}/confirm?token={token}")
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name="Confirm order").click()
    assert visit.csp_violations() == []
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Debian's package; TAWASUL_CHROMIUM points elsewhere (another distribution's path).
CHROMIUM = Path(os.environ.get("TAWASUL_CHROMIUM") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@dataclass
class Visit:
    """One tab: the Playwright page plus what it reported."""

    page: Any
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line or "Refused to" in line]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


class Browser:
    """A fresh Chromium profile for the whole session; one tab per ``open``."""

    def __init__(self, executable: Path = CHROMIUM) -> None:
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.mkdtemp(prefix="tawasul-chromium-")
        self._playwright = sync_playwright().start()
        try:
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile,
                executable_path=str(executable),
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport=PHONE,
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="ar-SA",
                java_script_enabled=True,  # the page needs none; on, so a script that slipped in would show
            )
        except BaseException:
            self._playwright.stop()
            shutil.rmtree(self._profile, ignore_errors=True)
            raise
        self._context.set_default_timeout(15_000)

    def open(self, url: str) -> Visit:
        page = self._context.new_page()
        visit = Visit(page)
        page.on("console", lambda message: visit.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: visit.page_errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            visit.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url, wait_until="load")
        return visit

    def close(self) -> None:
        try:
            self._context.close()
        finally:
            self._playwright.stop()
            shutil.rmtree(self._profile, ignore_errors=True)
