"""Low-level helpers every repository shares: binding, cursors, batch writes, transactions."""

from __future__ import annotations

import base64
import json
import random
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException

from chalicelib.config import environment
from chalicelib.domain import paging
from chalicelib.domain.errors import Conflict, MalformedRequest, Unavailable
from chalicelib.domain.jsontext import parse_json
from chalicelib.persistence import models, schema

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

BATCH_WRITE_SIZE = 25
BATCH_GET_SIZE = 100
MAX_BATCH_ATTEMPTS = 8


def ready() -> None:
    """Bind the models to the configured table (cheap; call at the top of each repository call)."""
    settings = environment()
    models.Item.Meta.region = settings.region  # type: ignore[attr-defined]
    models.bind(settings.table_name)


def bound(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator for repository functions: make sure the models point at the right table, and
    turn the store's transient failures into ``Unavailable`` (see ``unavailable``)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ready()
        try:
            return fn(*args, **kwargs)
        except (PynamoDBException, ClientError, BotoCoreError) as error:
            transient = unavailable(error)
            if transient is None:
                raise
            raise transient from error

    return wrapper


# -- the store's transient failures ---------------------------------------------------------

# Error codes that say "not now" rather than "not this request": throttling (after botocore's own
# retries) and the service's 5xx. Any 5xx status counts too, and so does not reaching the store.
THROTTLED_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "Throttling"}
)
SERVER_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
# Reasons a cancelled transaction gives for an operation that was throttled.
THROTTLED_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
THROTTLED_RETRY_AFTER = 1
SERVER_RETRY_AFTER = 5


def unavailable(error: BaseException) -> Unavailable | None:
    """``Unavailable`` (503 with Retry-After) when ``error`` is the store failing for now, else None.

    The one translator for every path to DynamoDB: repository functions (``bound``), transactions,
    batch reads and writes, and the idempotency store. PynamoDB wraps botocore's errors in its
    own; the cause carries the code."""
    cause: BaseException | None = error
    if isinstance(error, PynamoDBException):
        cause = error.cause
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code", "")
        status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in THROTTLED_CODES:
            return Unavailable("The store is busy; retry shortly.", retry_after_seconds=THROTTLED_RETRY_AFTER)
        if code in SERVER_CODES or status >= 500:
            return Unavailable("The store failed for now; retry shortly.", retry_after_seconds=SERVER_RETRY_AFTER)
        return None
    if isinstance(cause, BotoCoreError):  # the store was not reached (connection refused, timeout)
        return Unavailable("The store cannot be reached; retry shortly.", retry_after_seconds=SERVER_RETRY_AFTER)
    return None


def save_versioned(item: models.Item, *, conflict: str) -> None:
    """One PutItem of the item at its next version, on condition that it is still at the one it
    was read at (or new): ``Item.put_fields``, as a transaction's save. A lost race is a Conflict;
    the item holds its new version after, as after PynamoDB's ``save``."""
    try:
        client().put_item(TableName=environment().table_name, **item.put_fields())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise Conflict(conflict)
        raise
    item.update_local_version_attribute()


def connection() -> Connection:
    ready()
    return models.Item._get_connection().connection


def client() -> Any:
    """The botocore DynamoDB client PynamoDB already holds (reused across invocations)."""
    ddb = connection().client
    if ddb not in _prebuilt_clients:
        prebuild_batch_bodies(ddb)
    return ddb


# BatchWriteItem and BatchGetItem bodies are written with one orjson.dumps. botocore would walk its
# model of every attribute value of the 25 items (~1 ms of CPU per call, a quarter of an import's)
# or of the 100 keys (~0.75 ms), and for the values we send (S, N, BOOL, NULL, L, M) its JSON is
# the parameters as given. orjson writes 25 items in ~35 µs where json.dumps takes ~520 µs. It
# refuses what JSON has no form for (bytes, which DynamoDB wants as base64; ints past 64 bits; lone
# surrogates), and such a body is left to botocore. The table names stay in the parameters:
# endpoint rules read them.
_prebuilt_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_BODY = "tawasul_body"
# What botocore then serialises (and validates, where a client does) per table: one empty request.
_PLACEHOLDERS: dict[str, Any] = {
    "BatchWriteItem": [{"DeleteRequest": {"Key": {}}}],
    "BatchGetItem": {"Keys": [{}]},
}


def prebuild_batch_bodies(ddb: Any) -> None:
    """Make a botocore DynamoDB client send BatchWriteItem and BatchGetItem bodies built by ``orjson.dumps``."""
    events = ddb.meta.events
    for operation in _PLACEHOLDERS:
        events.register(
            f"before-parameter-build.dynamodb.{operation}", _prebuild_body, unique_id=f"tawasul-prebuild-{operation}"
        )
        events.register(
            f"before-call.dynamodb.{operation}", _use_prebuilt_body, unique_id=f"tawasul-prebuilt-{operation}"
        )
    _prebuilt_clients.add(ddb)


def _prebuild_body(params: dict[str, Any], context: dict[str, Any], model: Any, **_: Any) -> None:
    try:
        context[_BODY] = orjson.dumps(params)
    except orjson.JSONEncodeError:  # a TypeError
        return
    placeholder = _PLACEHOLDERS[model.name]
    params["RequestItems"] = {table: placeholder for table in params.get("RequestItems", {})}


def _use_prebuilt_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    body = context.pop(_BODY, None)
    if body is not None:
        params["body"] = body


def fields(item: models.Item) -> Any:
    """A loaded item's values by attribute name: what ``item.<name>`` returns (None when unset),
    without PynamoDB's descriptor on each read. ``to_domain`` of the kinds lists return reads some
    twenty per item, for every item of a page."""
    return item.attribute_values


def plain(value: Any) -> Any:
    """A raw MapAttribute as a plain dict (PynamoDB returns MapAttribute objects)."""
    return value.as_dict() if hasattr(value, "as_dict") else (value or {})


Page = paging.Page  # the page type lives with the domain; kept importable from here


# -- cursors --------------------------------------------------------------------------------


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    flat = {name: value["S"] for name, value in last_evaluated_key.items()}
    return base64.urlsafe_b64encode(json.dumps(flat, separators=(",", ":")).encode()).decode().rstrip("=")


MAX_CURSOR = 4096  # characters; a real one is a few hundred
MAX_KEY_BYTES = 1024  # DynamoDB's limit for a sort key (a partition key may be 2048; ours are far shorter)


def _fits_key(value: str) -> bool:
    try:
        return 0 < len(value.encode("utf-8")) <= MAX_KEY_BYTES
    except UnicodeEncodeError:  # a lone surrogate escaped in the JSON
        return False


def cursor_key_attributes(hash_attribute: str) -> tuple[str, ...]:
    """The attributes of a LastEvaluatedKey when reading the table (``pk``) or the index whose
    hash key is ``hash_attribute``: the table's keys, plus the index's own."""
    table = schema.MAIN_TABLE
    if hash_attribute == table.hash_key:
        return (table.hash_key, str(table.range_key))
    index = next(i for i in table.indexes if i.hash_key == hash_attribute)  # else a programming error
    return (table.hash_key, str(table.range_key), index.hash_key, index.range_key)


def decode_cursor(
    cursor: str | None, *, hash_attribute: str, hash_value: str, range_prefix: str = ""
) -> dict[str, Any] | None:
    """The ExclusiveStartKey behind ``cursor`` for a Query of partition ``hash_value`` of the table
    (``hash_attribute="pk"``) or of the index keyed by ``hash_attribute``.

    It must hold exactly that index's key attributes (DynamoDB answers a missing or extra one with
    a ValidationException, a 500), each a short non-empty string, the hash key naming the partition
    being read and the range key inside the Query's ``begins_with`` (``range_prefix``); otherwise 400.
    """
    if cursor is None:
        return None
    expected = cursor_key_attributes(hash_attribute)
    try:
        if not cursor or len(cursor) > MAX_CURSOR:
            raise ValueError
        padded = cursor + "=" * (-len(cursor) % 4)
        flat = parse_json(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(flat, dict) or not all(isinstance(v, str) for v in flat.values()):
            raise ValueError
    except (ValueError, UnicodeError):
        raise MalformedRequest("The cursor is not one this API returned.", field="cursor")
    if flat.get(hash_attribute) != hash_value:
        raise MalformedRequest("The cursor belongs to another list.", field="cursor")
    range_attribute = expected[-1]
    if (
        set(flat) != set(expected)
        or not all(_fits_key(value) for value in flat.values())
        or not flat[range_attribute].startswith(range_prefix)
    ):
        raise MalformedRequest("The cursor is not one this API returned for this list.", field="cursor")
    return {name: {"S": value} for name, value in flat.items()}


# -- batches --------------------------------------------------------------------------------


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _backoff(attempt: int) -> None:
    # Full jitter: sleep a random time up to an exponentially growing cap (50 ms .. 3.2 s).
    time.sleep(random.uniform(0, min(3.2, 0.05 * (2**attempt))))


def batch_write(
    puts: Iterable[models.Item] = (),
    deletes: Iterable[tuple[str, str]] = (),
    *,
    concurrency: int = 1,
    raw_puts: Iterable[dict[str, Any]] = (),
) -> int:
    """Write items in chunks of 25, retrying ``UnprocessedItems`` with backoff; returns calls made.

    ``concurrency`` > 1 sends that many chunks at once (the client is thread-safe): bulk writers
    such as the CSV import are bound by round trips, not by the table."""
    table = environment().table_name
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item.serialize()}} for item in puts]
    requests += [{"PutRequest": {"Item": raw}} for raw in raw_puts]  # items with attributes no model names
    requests += [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in deletes]
    ddb = client()

    def write(chunk: Sequence[dict[str, Any]]) -> int:
        pending: list[dict[str, Any]] = list(chunk)
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = ddb.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                return attempt + 1
            _backoff(attempt)
        raise Unavailable(
            f"The store left {len(pending)} writes unprocessed after {MAX_BATCH_ATTEMPTS} tries; retry shortly.",
            retry_after_seconds=THROTTLED_RETRY_AFTER,
        )

    chunks = list(chunked(requests, BATCH_WRITE_SIZE))
    if concurrency <= 1 or len(chunks) <= 1:
        return sum(write(chunk) for chunk in chunks)
    with ThreadPoolExecutor(max_workers=min(concurrency, len(chunks))) as pool:
        return sum(pool.map(write, chunks))


def batch_get(keys: Sequence[tuple[str, str]]) -> list[models.Item]:
    """Fetch items by key in chunks of 100, retrying ``UnprocessedKeys`` with backoff."""
    table = environment().table_name
    ddb = client()
    found: list[models.Item] = []
    unique = list(dict.fromkeys(keys))
    for chunk in chunked(unique, BATCH_GET_SIZE):
        pending: dict[str, Any] = {
            table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk], "ConsistentRead": True}
        }
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = ddb.batch_get_item(RequestItems=pending)
            found += [models.Item.from_raw_data(raw) for raw in response.get("Responses", {}).get(table, [])]
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            _backoff(attempt)
        else:
            raise Unavailable(
                "The store left keys unread after repeated tries; retry shortly.",
                retry_after_seconds=THROTTLED_RETRY_AFTER,
            )
    return found


# -- transactions ---------------------------------------------------------------------------


class Transaction:
    """One ``TransactWriteItems`` call; each operation may say what its failed condition means.

    Model operations take their parameters from PynamoDB's own builders (the item as
    ``Item.serialize`` writes it, the version condition and increment, condition and update
    expressions), as PynamoDB's ``TransactWrite`` does; ``update_raw`` takes an UpdateItem already
    in DynamoDB's form (the report counters: no expression objects to build). Operations are sent
    as ``TransactWrite`` sends them, condition checks first, then deletes, puts and updates,
    whatever order they were added in; DynamoDB reports cancellation reasons in the order sent, so
    ``conflicts`` lists the messages in that same order and a reason finds its operation. A check
    may name the ``Conflict`` itself (a subclass), for a caller that acts on which condition failed.
    After the call succeeds, saved and updated items hold their new version, as after
    ``TransactWrite``.
    """

    _ORDER = ("ConditionCheck", "Delete", "Put", "Update")  # as TransactItems names them, in the order sent

    def __init__(self, table: str) -> None:
        self._table = table
        self._operations: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self._ORDER}
        self._messages: dict[str, list[str | Conflict | None]] = {kind: [] for kind in self._ORDER}
        self._versioned: list[models.Item] = []

    @property
    def conflicts(self) -> list[str | Conflict | None]:
        return [message for kind in self._ORDER for message in self._messages[kind]]

    @property
    def items(self) -> list[dict[str, Any]]:
        """``TransactItems`` as sent."""
        return [{kind: op} for kind in self._ORDER for op in self._operations[kind]]

    def _add(self, kind: str, operation: dict[str, Any], conflict: str | Conflict | None) -> None:
        self._operations[kind].append(operation)
        self._messages[kind].append(conflict)

    def save(self, item: models.Item, condition: Any = None, *, conflict: str | None = None) -> None:
        self._add("Put", {"TableName": self._table, **item.put_fields(condition)}, conflict)
        self._versioned.append(item)

    def delete(self, item: models.Item, condition: Any = None, *, conflict: str | None = None) -> None:
        self._add(
            "Delete", item.get_delete_kwargs_from_instance(condition=condition, add_version_condition=False), conflict
        )

    def update(
        self, item: models.Item, actions: list[Any], condition: Any = None, *, conflict: str | None = None
    ) -> None:
        operation = item.get_update_kwargs_from_instance(
            actions=actions, condition=condition, add_version_condition=False
        )
        self._add("Update", operation, conflict)
        self._versioned.append(item)

    def put_raw(self, item: dict[str, Any], *, condition: str | None = None, conflict: str | None = None) -> None:
        """A PutItem of an item in DynamoDB's form, on this transaction's table, with an optional
        condition expression that names no placeholders."""
        operation: dict[str, Any] = {"TableName": self._table, "Item": item}
        if condition is not None:
            operation["ConditionExpression"] = condition
        self._add("Put", operation, conflict)

    def update_raw(self, operation: dict[str, Any], *, conflict: str | None = None) -> None:
        """An UpdateItem in DynamoDB's form (``Key``, ``UpdateExpression``, names, values and an
        optional ``ConditionExpression``), on this transaction's table."""
        self._add("Update", {"TableName": self._table, **operation}, conflict)

    def check(self, item: models.Item, condition: Any, *, conflict: str | Conflict) -> None:
        self._add(
            "ConditionCheck",
            type(item).get_operation_kwargs_from_class(item.pk, item.sk, condition=condition),
            conflict,
        )

    def commit(self) -> None:
        """Send the operations (nothing when there are none); a cancelled transaction raises what
        ``_cancelled`` makes of its reasons, a transient failure ``Unavailable``."""
        operations = self.items
        if not operations:
            return
        try:
            client().transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise unavailable(error) or error
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
            raise _cancelled(codes, self.conflicts) from error
        except BotoCoreError as error:
            raise unavailable(error) or error
        for item in self._versioned:
            item.update_local_version_attribute()


@contextmanager
def transaction() -> Iterator[Transaction]:
    """Operations added inside the block are sent as one TransactWriteItems when it ends without
    an error; failed conditions become ``Conflict`` with the operation's message."""
    ready()
    tx = Transaction(environment().table_name)
    yield tx
    tx.commit()


def _cancelled(codes: Sequence[str | None], conflicts: Sequence[str | Conflict | None]) -> Conflict | Unavailable:
    """What a cancelled transaction means, from its cancellation reasons (one per operation, in the
    order sent) and what each operation's failed condition means (``conflicts``, same order)."""
    for index, code in enumerate(codes):
        if code == "ConditionalCheckFailed":
            message = conflicts[index] if index < len(conflicts) else None
            if isinstance(message, Conflict):
                return message
            return Conflict(message or "The record changed while you were editing it; reload and retry.")
    if any(code in THROTTLED_REASONS for code in codes):
        return Unavailable("The store is busy; retry shortly.", retry_after_seconds=THROTTLED_RETRY_AFTER)
    # TransactionConflict: another transaction held one of the items; a retry can succeed.
    return Conflict("Another change to the same records was in progress; retry.")


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit of operations in one TransactWriteItems


def transact_raw_puts(items: Sequence[dict[str, Any]], last: dict[str, Any], *, conflict: str) -> None:
    """One TransactWriteItems: ``items`` (attribute dicts, as ``batch_write(raw_puts=...)`` takes
    them) put unconditionally and ``last`` put only while no item has its key (``conflict`` if one
    does). Errors are translated as ``transaction`` translates them."""
    tx = Transaction(environment().table_name)
    for item in items:
        tx.put_raw(item)
    tx.put_raw(last, condition="attribute_not_exists(pk)", conflict=conflict)
    tx.commit()
