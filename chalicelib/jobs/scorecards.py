"""E-mail each rep last week's scorecard, every 15 minutes (each rep once, on the first working
day of their week).

Scheduled in chalicelib/jobs/__init__.py with the rights it needs: sending through the outbox's
senders.
"""

from __future__ import annotations

from typing import Any


def weekly_scorecards() -> dict[str, Any]:
    from chalicelib.config import now
    from chalicelib.services import scorecards  # only this job needs it: not at every cold start

    return scorecards.run(now())
