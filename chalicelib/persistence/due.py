"""Work due at a moment, in sharded ``DUE#…`` partitions of the main table (read only by jobs).

Each due entry is an item whose sort key starts with its due moment, so one Query per shard with
``sk <= now`` finds exactly what is due: the reads follow the amount of due work, not the size of
the table. An entry is deleted in the same transaction that does its work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.persistence import db, keys
from chalicelib.persistence.models import DueItem, Item

DUE_PAGE = 500  # entries read per shard and run; the rest wait for the next run


@db.bound
def entries(partition: Callable[[int], str], shards: int, now: datetime, limit: int = DUE_PAGE) -> list[DueItem]:
    upto = keys.moment(now) + "$"  # "$" sorts after "#": every entry due at or before now
    found: list[DueItem] = []
    for shard in range(shards):
        rows = Item.query(partition(shard), Item.sk <= upto, limit=limit, consistent_read=True)
        found += [row for row in rows if isinstance(row, DueItem)]
    return found


@db.bound
def drop(entry: DueItem) -> None:
    entry.delete()
