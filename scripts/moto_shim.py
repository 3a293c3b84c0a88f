"""Make moto's DynamoDB hold real data: a cheap rollback for TransactWriteItems, a bounded stream log.

Applied by the local stack (``make run``), the benchmarks and the tests' moto; never by the app.

Why. moto 5.2.5's ``DynamoDBBackend.transact_write_items`` takes its rollback copy by deep-copying
every table the transaction touches, once per item of the transaction, before it writes anything
(``copy.deepcopy(self.tables[name])``), and puts the copies back if any condition fails. The copy
includes the table's stream log, which keeps every write ever made. So the cost of one
``POST /accounts`` (one transaction of ~5 items) grows with everything written before it: at ~2,500
accounts a request took 1.3 s and the process grew until it was killed. No moto release fixes it
(5.2.5 is the newest; checked with ``pip index versions moto``).

What this changes, and only this:

1. Rollback. Before a transaction runs, the items it names (one per Put/Update/Delete/ConditionCheck)
   are copied, one by one, together with each touched stream's next sequence number. moto's own
   ``transact_write_items`` then runs unchanged (every validation, condition and error code is still
   moto's) except that its whole-table copy is the table itself: inside moto's DynamoDB backend
   module, ``copy.deepcopy`` of a ``Table`` returns the table, so moto's own "rollback" reassigns the
   same object. If the transaction raises (``TransactionCanceledException``, a validation error, two
   operations on one item), the copied items are put back, items the transaction created are removed,
   and stream records written since the snapshot are dropped: all or nothing, as before, at the cost
   of the items touched rather than the whole table. Transactions are also serialised among
   themselves by a lock, so two concurrent transactions cannot interleave their writes (moto had no
   isolation at all, and its whole-table restore could undo a concurrent writer's items).

2. Stream log. DynamoDB keeps stream records for 24 hours; moto keeps them forever, each a JSON copy
   of the old and new item. The shim keeps the newest ``stream_records`` per table (sequence numbers
   stay continuous; reading a trimmed record fails like DynamoDB's ``TrimmedDataAccessException``
   would).

``apply()`` is idempotent and checks that moto still takes its backup the way described above; if
a future moto stops copying tables, the rollback part is skipped rather than misapplied.
"""

from __future__ import annotations

import copy
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

log = logging.getLogger("local_stack.moto_shim")

STREAM_RECORDS = 10_000  # per table; a day of DynamoDB stream retention is far more than the local stack needs

_applied = False
_transaction_lock = threading.RLock()


class _CopyKeepingTables:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend module: a deep copy of a
    ``Table`` is the table itself (its items are saved one by one instead); everything else is
    copied as before."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@dataclass
class _Saved:
    table: Any
    hash_key: Any
    range_key: Any
    item: Any  # a deep copy of the item before the transaction, or None if there was none


@dataclass
class _Snapshot:
    """What a transaction may change: the items it names and where each touched stream ended."""

    items: list[_Saved] = field(default_factory=list)
    streams: list[tuple[Any, Any, int]] = field(default_factory=list)  # (shard, its item list, next seq)

    @classmethod
    def take(cls, backend: Any, transact_items: list[dict[str, Any]]) -> _Snapshot:
        from moto.dynamodb.models.dynamo_type import DynamoType

        snapshot = cls()
        tables: dict[int, Any] = {}
        for entry in transact_items:
            if not isinstance(entry, dict) or len(entry) != 1:
                continue  # moto refuses it before writing anything
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            if table.range_key_attr is not None and table.range_key_attr not in key:
                continue
            try:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
            except Exception:  # a malformed key: moto rejects the transaction before writing it
                continue
            current = _lookup(table, hash_key, range_key)
            snapshot.items.append(_Saved(table, hash_key, range_key, copy.deepcopy(current)))
            tables[id(table)] = table
        for table in tables.values():
            shard = table.stream_shard
            if shard is not None:
                snapshot.streams.append((shard, shard.items, len(shard.items) + shard.starting_sequence_number))
        return snapshot

    def restore(self) -> None:
        for saved in reversed(self.items):
            table = saved.table
            if table.range_key_attr is None:
                if saved.item is None:
                    table.items.pop(saved.hash_key, None)
                else:
                    table.items[saved.hash_key] = saved.item
                continue
            bucket = table.items.get(saved.hash_key)
            if saved.item is None:
                if bucket is not None:
                    bucket.pop(saved.range_key, None)
                    if not bucket:
                        del table.items[saved.hash_key]
            else:
                table.items[saved.hash_key][saved.range_key] = saved.item
        for shard, records, next_sequence in self.streams:
            if shard.items is records:  # not handed to a Lambda event source meanwhile
                del records[max(next_sequence - shard.starting_sequence_number, 0) :]


def _lookup(table: Any, hash_key: Any, range_key: Any) -> Any:
    """The stored item, without the side effect of moto's ``get_item`` (which leaves an empty
    partition behind in its defaultdict for a missing key)."""
    bucket = table.items.get(hash_key)
    if table.range_key_attr is None or bucket is None:
        return bucket
    return bucket.get(range_key)


def _cheap_rollback(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _transaction_lock:
            snapshot = _Snapshot.take(self, transact_items)
            try:
                original(self, transact_items)
            except BaseException:
                snapshot.restore()
                raise

    transact_write_items.__wrapped__ = original  # type: ignore[attr-defined]
    transact_write_items.__doc__ = "moto's transact_write_items with a per-item rollback (scripts/moto_shim.py)"
    return transact_write_items


def _bounded(original: Callable[..., None], limit: int) -> Callable[..., None]:
    def add(self: Any, old: Any, new: Any) -> None:
        original(self, old, new)
        excess = len(self.items) - limit
        if excess > limit // 10:  # trim in steps, not one record at a time
            del self.items[:excess]
            self.starting_sequence_number += excess  # the next record keeps the next number

    add.__wrapped__ = original  # type: ignore[attr-defined]
    return add


def _copies_whole_tables(backend_module: ModuleType) -> bool:
    """moto's transact_write_items still backs up with ``copy.deepcopy(self.tables[...])``."""
    try:
        source = inspect.getsource(backend_module.DynamoDBBackend.transact_write_items)
    except (OSError, TypeError):
        return False
    return "copy.deepcopy(" in source and "self.tables[table_name]" in source and "original_table_state" in source


def apply(stream_records: int = STREAM_RECORDS) -> None:
    """Patch moto (in this process) as described in the module docstring. Idempotent."""
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models.table import StreamShard, Table

    if _copies_whole_tables(backend_module):
        backend_module.copy = _CopyKeepingTables(Table)  # type: ignore[attr-defined]
        backend = backend_module.DynamoDBBackend
        backend.transact_write_items = _cheap_rollback(backend.transact_write_items)  # type: ignore[method-assign]
    else:
        log.warning("moto no longer copies whole tables in transact_write_items: rollback shim not applied")
    StreamShard.add = _bounded(StreamShard.add, stream_records)  # type: ignore[method-assign]
    _applied = True


def is_applied() -> bool:
    return _applied
