"""Which DynamoDB the API tests run against: moto in process (default), or the server named by
``TAWASUL_TEST_DYNAMODB`` (dynalite, started by ``make test-dynalite``; tests/conftest.py points
``AWS_ENDPOINT_URL_DYNAMODB`` at it). Only tests marked ``dynalite`` are run there."""

from __future__ import annotations

import os

EXTERNAL_DYNAMODB = os.environ.get("TAWASUL_TEST_DYNAMODB") or None
ON_DYNALITE = EXTERNAL_DYNAMODB is not None
