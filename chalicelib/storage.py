"""S3 (import files) and SQS (the import queue): clients created on first use and reused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache, partial
from typing import Any

from chalicelib.config import environment
from chalicelib.observability import logger

READ_CHUNK = 256 * 1024
REOPEN_ATTEMPTS = 3


@lru_cache(maxsize=4)
def _client(service: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    # Signature v4 so presigned URLs work in every region; endpoint from AWS_ENDPOINT_URL(_S3).
    return boto3.client(service, region_name=region, config=Config(signature_version="s3v4"))


def s3() -> Any:
    return _client("s3", environment().region)


def sqs() -> Any:
    return _client("sqs", environment().region)


def presigned_put(key: str, *, content_type: str, expires_in: int) -> str:
    return str(
        s3().generate_presigned_url(
            "put_object",
            Params={"Bucket": environment().uploads_bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
        )
    )


def put_object(key: str, body: bytes, content_type: str = "text/csv") -> None:
    s3().put_object(Bucket=environment().uploads_bucket, Key=key, Body=body, ContentType=content_type)


def delete_object(key: str) -> None:
    s3().delete_object(Bucket=environment().uploads_bucket, Key=key)


def head_object(key: str) -> dict[str, Any] | None:
    try:
        meta: dict[str, Any] = s3().head_object(Bucket=environment().uploads_bucket, Key=key)
    except s3().exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return meta


def read_range(key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """The object's bytes from ``start``, streamed in 256 KB pieces by a ranged GET. A long import
    reads slowly, so a connection that breaks meanwhile is reopened where it stopped (up to
    ``REOPEN_ATTEMPTS`` times); a start at or past the end of the object yields nothing."""
    from botocore.exceptions import ClientError, IncompleteReadError, ReadTimeoutError, ResponseStreamingError

    end = None if length is None else start + length  # exclusive
    position, reopened = start, 0
    while end is None or position < end:
        last = "" if end is None else str(end - 1)
        try:
            response = s3().get_object(Bucket=environment().uploads_bucket, Key=key, Range=f"bytes={position}-{last}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return  # resumed exactly at the end of the file
            raise
        try:
            for piece in iter(partial(response["Body"].read, READ_CHUNK), b""):
                position += len(piece)
                yield piece
            return
        except (IncompleteReadError, ReadTimeoutError, ResponseStreamingError) as error:
            reopened += 1
            if reopened > REOPEN_ATTEMPTS:
                raise
            logger.warning("upload read broke; reopening", extra={"key": key, "at": position, "error": str(error)})


@lru_cache(maxsize=4)
def _queue_url(name: str, region: str) -> str:
    return str(sqs().get_queue_url(QueueName=name)["QueueUrl"])


def enqueue_import(org_id: str, import_id: str) -> None:
    """Ask the import worker to continue a job (the message the S3 event would have sent)."""
    _send_work({"tawasul_import": {"org": org_id, "id": import_id}})


def enqueue_erasure(org_id: str, account_id: str, entry_sk: str) -> None:
    """Ask the worker to erase what is attached to an account (the request's due entry names it).
    The import queue carries this work too: one queue, one worker, one dead-letter queue."""
    _send_work({"tawasul_erasure": {"org": org_id, "id": account_id, "entry": entry_sk}})


def _send_work(message: dict[str, Any]) -> None:
    """One message on the work queue (the import queue)."""
    settings = environment()
    url = _queue_url(settings.import_queue, settings.region)
    sqs().send_message(QueueUrl=url, MessageBody=json.dumps(message))
