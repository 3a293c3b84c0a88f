"""Retried POSTs: Powertools' idempotency utility keyed on the Idempotency-Key header.

The key is scoped to organisation, user, method and path; a hash of the body and query string is
validated so the same key with another body or other query options is a 409. Records live 24
hours. A request that fails is not remembered, so a retry after an error runs again. The DynamoDB
persistence layer is built on first use, never at import, and sends through the botocore client
PynamoDB already holds for the main table (``db.client()``): a client of its own would cost a
cold start another botocore session and client (~130 ms).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from chalicelib.config import environment
from chalicelib.domain.errors import Conflict

RECORD_TTL_SECONDS = 24 * 60 * 60

_work: ContextVar[Callable[[], dict[str, Any]]] = ContextVar("idempotent_work")


@lru_cache(maxsize=4)
def _runner(table_name: str) -> tuple[Callable[..., dict[str, Any]], Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from chalicelib.persistence import db

    store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=db.client())
    config = IdempotencyConfig(
        event_key_jmespath="[org, user, route, key]",
        payload_validation_jmespath="request_hash",
        expires_after_seconds=RECORD_TTL_SECONDS,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)
    def run(request: dict[str, Any]) -> dict[str, Any]:
        return _work.get()()

    return run, config


def run_once(request: dict[str, Any], work: Callable[[], dict[str, Any]], lambda_context: Any = None) -> dict[str, Any]:
    """Run ``work`` once per idempotency key; a repeat returns the first stored response.

    With the Lambda context registered, an in-progress record expires when the invocation would
    time out, so a retry after a crashed invocation is not blocked until the record expires.
    """
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    from chalicelib.persistence.db import unavailable

    run, config = _runner(environment().idempotency_table_name)
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    token = _work.set(work)
    try:
        return run(request=request)
    except IdempotencyValidationError:
        raise Conflict("This Idempotency-Key was already used with a different request body or query.")
    except IdempotencyAlreadyInProgressError:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
    except IdempotencyPersistenceLayerError as error:
        # The idempotency table throttled or failed: a 503 to retry, like the main table's failures.
        transient = unavailable(error.__cause__) if error.__cause__ is not None else None
        if transient is None:
            raise
        raise transient from error
    finally:
        _work.reset(token)
