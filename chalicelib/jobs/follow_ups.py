"""After the sale: send the follow-ups that are due, every five minutes.

Scheduled in chalicelib/jobs/__init__.py with the rights it needs: sending through the outbox's
senders (SES e-mail, SNS SMS, WhatsApp).
"""

from __future__ import annotations

from typing import Any


def send_follow_ups() -> dict[str, Any]:
    from chalicelib.config import now
    from chalicelib.services import follow_ups  # only this job needs it: not at every cold start

    return follow_ups.run(now())
