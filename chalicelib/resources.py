"""Names shared by the code, the CDK stack in ``infra/`` and the tests.

The Lambda functions learn the physical names of their resources from environment variables
(read through ``chalicelib.config.environment``); this module names those variables and the
naming rules, so ``infra/`` sets exactly what the code reads. No boto3 or PynamoDB imports: the
CDK app imports it.
"""

from __future__ import annotations

# Environment variables the stack sets on every function (see chalicelib.config).
ENV_STAGE = "TAWASUL_STAGE"
ENV_TABLE = "TAWASUL_TABLE"
ENV_IDEMPOTENCY_TABLE = "TAWASUL_IDEMPOTENCY_TABLE"
ENV_UPLOADS_BUCKET = "TAWASUL_UPLOADS_BUCKET"
ENV_COGNITO_USER_POOL_ID = "TAWASUL_COGNITO_USER_POOL_ID"
ENV_COGNITO_CLIENT_ID = "TAWASUL_COGNITO_CLIENT_ID"
ENV_PUBLIC_BASE_URL = "TAWASUL_PUBLIC_BASE_URL"
# The Secrets Manager secret that signs order-confirmation links (read lazily, cached).
ENV_CONFIRM_SECRET_ARN = "TAWASUL_CONFIRM_SECRET_ARN"
# Read by app.py at import (Chalice needs the queue name when the handler is declared), so it is
# also set per stage in .chalice/config.json; a test keeps the two equal.
ENV_IMPORT_QUEUE = "TAWASUL_IMPORT_QUEUE"
# Also read by app.py at import: Chalice writes the CORS origin into the packaged API's preflights.
ENV_CORS_ORIGIN = "TAWASUL_CORS_ORIGIN"
# Outbound messages (chalicelib/messaging): which senders run, and the senders' identities.
ENV_SENDERS = "TAWASUL_SENDERS"
ENV_MAIL_FROM = "TAWASUL_MAIL_FROM"
ENV_SMS_SENDER_ID = "TAWASUL_SMS_SENDER_ID"
ENV_WHATSAPP_PHONE_NUMBER_ID = "TAWASUL_WHATSAPP_PHONE_NUMBER_ID"
ENV_WHATSAPP_META_API_VERSION = "TAWASUL_WHATSAPP_META_API_VERSION"

# Deployable stages (``local`` and ``test`` never reach AWS).
CLOUD_STAGES = ("dev", "prod")

# CSV uploads land under this prefix; only objects created there start an import.
UPLOADS_PREFIX = "uploads/"

# Cognito: the organisation attribute (``custom:org`` in tokens) and the role groups.
COGNITO_ORG_ATTRIBUTE = "org"
COGNITO_GROUPS = ("rep", "manager", "admin")


def table_name(stage: str) -> str:
    return f"tawasul-{stage}"


def idempotency_table_name(stage: str) -> str:
    return f"tawasul-{stage}-idempotency"


def import_queue_name(stage: str) -> str:
    return f"tawasul-{stage}-imports"


def messaging_secret_name(stage: str) -> str:
    """The Secrets Manager secret of the stage's customer messaging: the generated key that signs
    order-confirmation links (infra/ creates it); jobs with ``Right.READ_MESSAGING_SECRET`` may read it."""
    return f"tawasul/{stage}/messaging"
