"""The confirmation ladder, every minute.

AWS rights it needs (for the job-rights mapping of ``infra/``): DynamoDB read/write on the main
table, and sending through the outbox's senders: ``ses:SendEmail``, ``sns:Publish`` (SMS) and
``social-messaging:SendWhatsAppMessage``; ``secretsmanager:GetSecretValue`` on the confirmation
secret (it signs the links).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import now
from chalicelib.jobs import register
from chalicelib.services import ladder


@register("confirmation_ladder", rate_minutes=1, sends_messages=True)
def confirmation_ladder() -> dict[str, Any]:
    return ladder.run(now())
