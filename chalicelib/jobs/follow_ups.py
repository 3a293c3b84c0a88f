"""After the sale: send the follow-ups that are due, every five minutes.

AWS rights it needs (for the job-rights mapping of ``infra/``): DynamoDB read/write on the main
table, and sending through the outbox's senders (``sends_messages=True``): ``ses:SendEmail``,
``sns:Publish`` (SMS) and ``social-messaging:SendWhatsAppMessage``.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import now
from chalicelib.jobs import register
from chalicelib.services import follow_ups


@register("follow_ups", rate_minutes=5, sends_messages=True)
def send_follow_ups() -> dict[str, Any]:
    return follow_ups.run(now())
