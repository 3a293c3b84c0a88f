"""Test setup. Anything the app reads at import time must be set before it is imported."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TAWASUL_STAGE": "test",
        "TAWASUL_TABLE": "tawasul-test",
        "TAWASUL_IDEMPOTENCY_TABLE": "tawasul-test-idempotency",
        "TAWASUL_UPLOADS_BUCKET": "tawasul-test-uploads",
        "TAWASUL_IMPORT_QUEUE": "tawasul-test-imports",
        "TAWASUL_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # An inline import stops at its time budget and continues in the worker; on a busy shared
        # machine a real-file test could cross 20 s and end "running". Tests of the budget set it.
        "TAWASUL_IMPORT_INLINE_SECONDS": "600",
    }
)
for variable in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE", "TAWASUL_NOW"]:
    os.environ.pop(variable, None)
# `make test-dynalite` (scripts/dynalite_tests.py) points DynamoDB, and only DynamoDB, at a dynalite
# server it started; S3, SQS and the rest stay moto's in-process mock (tests/api/conftest.py).
if os.environ.get("TAWASUL_TEST_DYNAMODB"):
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ["TAWASUL_TEST_DYNAMODB"]
# A developer's shell may configure real senders; tests use the local one unless they say otherwise.
for variable in ("TAWASUL_SENDERS", "TAWASUL_MAIL_FROM", "TAWASUL_SMS_SENDER_ID", "TAWASUL_WHATSAPP_PHONE_NUMBER_ID"):
    os.environ.pop(variable, None)
