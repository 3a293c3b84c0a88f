"""Runtime configuration, read from the environment when needed (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

LOCAL_STAGES = frozenset({"local", "test"})
DEFAULT_JWT_SECRET = "local-dev-secret"
DEFAULT_CONFIRM_SECRET = "local-confirm-secret"  # local and test stages only
CONFIRM_SECRET_MAX_AGE = 300  # seconds a secret read from Secrets Manager is cached
# Lambda takes at most 6 MiB (6,291,456 bytes) per synchronous invocation, and API Gateway hands
# binary bodies (CSV) to it base64-encoded, 4/3 as large: 4.5 MB of CSV is 6,000,000 bytes, which
# leaves room for the headers. A larger body would fail in API Gateway instead of getting our 413.
MAX_BODY_BYTES = 4_500_000


@dataclass(frozen=True)
class Environment:
    """What this deployment runs with, read from its environment variables by ``environment()``.
    Not an organisation's settings (``PUT /settings``): those are ``domain.settings.OrgSettings``."""

    stage: str
    table_name: str
    idempotency_table_name: str
    jwt_secret: str
    cognito_user_pool_id: str | None
    cognito_client_id: str | None
    region: str
    uploads_bucket: str
    public_base_url: str
    max_body_bytes: int
    fixed_now: str | None
    import_queue: str = "tawasul-local-imports"
    import_inline_seconds: float = 20.0
    max_upload_bytes: int = 100 * 1024 * 1024
    # Outbound messages (chalicelib/messaging): "local" records only, "aws" sends through SES/SNS/
    # End User Messaging Social; "email=aws,sms=local" chooses per channel.
    senders: str = "local"
    mail_from: str | None = None
    sms_sender_id: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_meta_api_version: str = "v20.0"

    @property
    def is_local(self) -> bool:
        return self.stage in LOCAL_STAGES


# The environment as read once at the start of a request (``request_scope``): a request asks for it
# several times (auth, table names, the clock, links) and it cannot change while the request runs.
_REQUEST_ENVIRONMENT: ContextVar[Environment | None] = ContextVar("tawasul_environment", default=None)


def environment() -> Environment:
    scoped = _REQUEST_ENVIRONMENT.get()
    return scoped if scoped is not None else _read_environment()


@contextmanager
def request_scope() -> Iterator[Environment]:
    """Read the environment once for the block (one HTTP request); outside any block (jobs,
    scripts, tests between requests) ``environment()`` reads it afresh every time."""
    scoped = _read_environment()
    token = _REQUEST_ENVIRONMENT.set(scoped)
    try:
        yield scoped
    finally:
        _REQUEST_ENVIRONMENT.reset(token)


def _read_environment() -> Environment:
    env = os.environ
    stage = env.get("TAWASUL_STAGE", "local")
    return Environment(
        stage=stage,
        table_name=env.get("TAWASUL_TABLE", f"tawasul-{stage}"),
        idempotency_table_name=env.get("TAWASUL_IDEMPOTENCY_TABLE", f"tawasul-{stage}-idempotency"),
        jwt_secret=env.get("TAWASUL_JWT_SECRET", DEFAULT_JWT_SECRET),
        cognito_user_pool_id=env.get("TAWASUL_COGNITO_USER_POOL_ID") or None,
        cognito_client_id=env.get("TAWASUL_COGNITO_CLIENT_ID") or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        uploads_bucket=env.get("TAWASUL_UPLOADS_BUCKET", f"tawasul-{stage}-uploads"),
        public_base_url=env.get("TAWASUL_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        max_body_bytes=int(env.get("TAWASUL_MAX_BODY_BYTES", str(MAX_BODY_BYTES))),
        fixed_now=env.get("TAWASUL_NOW") or None,
        import_queue=env.get("TAWASUL_IMPORT_QUEUE", f"tawasul-{stage}-imports"),
        import_inline_seconds=float(env.get("TAWASUL_IMPORT_INLINE_SECONDS", "20")),
        max_upload_bytes=int(env.get("TAWASUL_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024))),
        senders=env.get("TAWASUL_SENDERS") or ("local" if stage in LOCAL_STAGES else "aws"),
        mail_from=env.get("TAWASUL_MAIL_FROM") or None,
        sms_sender_id=env.get("TAWASUL_SMS_SENDER_ID") or None,
        whatsapp_phone_number_id=env.get("TAWASUL_WHATSAPP_PHONE_NUMBER_ID") or None,
        whatsapp_meta_api_version=env.get("TAWASUL_WHATSAPP_META_API_VERSION") or "v20.0",
    )


def now() -> datetime:
    """The current UTC time; on the local stack ``TAWASUL_NOW`` may pin it for job runs."""
    settings = environment()
    if settings.is_local and settings.fixed_now:
        from chalicelib.domain.timeutil import parse_rfc3339

        return parse_rfc3339(settings.fixed_now)
    return datetime.now(UTC)


def confirm_secret() -> bytes:
    """The key that signs confirmation links: ``TAWASUL_CONFIRM_SECRET``, or the Secrets Manager
    secret named by ``TAWASUL_CONFIRM_SECRET_ARN`` (read on first use, cached for a few minutes),
    or on local/test stages a fixed development key. A cloud stage without one refuses (503)."""
    env = os.environ
    if env.get("TAWASUL_CONFIRM_SECRET"):
        return env["TAWASUL_CONFIRM_SECRET"].encode()
    arn = env.get("TAWASUL_CONFIRM_SECRET_ARN")
    if arn:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(arn, max_age=CONFIRM_SECRET_MAX_AGE)
        if isinstance(value, bytes):
            return value
        return str(value).encode()
    if environment().is_local:
        return DEFAULT_CONFIRM_SECRET.encode()
    from chalicelib.domain.errors import Unavailable

    raise Unavailable("Order confirmation is not configured on this stage (no TAWASUL_CONFIRM_SECRET).")
