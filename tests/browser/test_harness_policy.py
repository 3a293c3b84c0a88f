"""Without a browser the browser tests skip on a developer's machine and fail in CI (CI=true)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_without_browser(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TAWASUL_CHROMIUM"] = str(ROOT / "no-such-chromium")
    if ci is not None:
        env["CI"] = ci
    target = "tests/browser/test_confirmation_page.py"
    command = [sys.executable, "-m", "pytest", "-q", "-k", "cancel_posts_cancel", target]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_missing_browser_skips_outside_ci():
    result = _run_without_browser(None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout


def test_missing_browser_fails_in_ci():
    result = _run_without_browser("true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI=true" in result.stdout and "no-such-chromium" in result.stdout
