"""The confirmation ladder, every minute.

Scheduled in chalicelib/jobs/__init__.py with the rights it needs: sending through the outbox's
senders (SES e-mail, SNS SMS, WhatsApp) and reading the secret that signs the confirmation links.
"""

from __future__ import annotations

from typing import Any


def confirmation_ladder() -> dict[str, Any]:
    from chalicelib.config import now
    from chalicelib.services import ladder  # only this job needs it: not at every cold start

    return ladder.run(now())
