"""Report counters: one item per scope (the organisation, a rep) and period (a UTC day, a
15-minute slot), changed only by ``ADD`` so concurrent events never lose a count.

Writers add ``domain.reports.counters`` deltas to the transaction of the change they count
(``add``); bulk writers and erasure apply them outside one (``apply``). Reports read one scope's
period with one Query (``read_period``); the rebuild lists every counter item of the
organisation through gsi1 (``all_counts``) and replaces them (``replace_all``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import environment
from chalicelib.domain.reports.counters import Counts, Key
from chalicelib.persistence import db, keys

COUNTER = "counter"
APPLIED = "applied"  # the named changes (``apply(once=...)``) a counter item has taken
_META = frozenset({"pk", "sk", "kind", "gsi1pk", "gsi1sk", "scope", "period", APPLIED})


def _update(org_id: str, key: Key, counts: dict[str, int], *, once: str | None = None) -> dict[str, Any]:
    """The UpdateItem (DynamoDB's form, without the table) that adds ``counts`` to one counter item,
    creating it with its scope, period and list keys. ``once`` names the change: the item then
    remembers the name and refuses the change (a failed condition) when it took it before."""
    scope, period = key
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds, sets = [], []
    for i, (name, value) in enumerate(sorted(counts.items())):
        names[f"#c{i}"], values[f":c{i}"] = name, {"N": str(value)}
        adds.append(f"#c{i} :c{i}")
    meta = {
        "kind": COUNTER,
        "scope": scope,
        "period": period,
        "gsi1pk": keys.stats_list(org_id),
        "gsi1sk": keys.stats_entry(scope, period),
    }
    for j, (meta_name, meta_value) in enumerate(meta.items()):
        names[f"#m{j}"], values[f":m{j}"] = meta_name, {"S": meta_value}
        sets.append(f"#m{j} = :m{j}")
    update: dict[str, Any] = {"Key": {"pk": {"S": keys.stats(org_id, scope)}, "sk": {"S": period}}}
    if once is not None:
        names["#applied"], values[":once"], values[":once_set"] = APPLIED, {"S": once}, {"SS": [once]}
        adds.append("#applied :once_set")
        update["ConditionExpression"] = "NOT contains(#applied, :once)"
    update["UpdateExpression"] = f"SET {', '.join(sets)} ADD {', '.join(adds)}"
    update["ExpressionAttributeNames"] = names
    update["ExpressionAttributeValues"] = values
    return update


def add(tx: db.Transaction, org_id: str, counts: Counts) -> None:
    """Inside a transaction: one UpdateItem ``ADD`` per counter item the change touches (a
    transaction may touch an item once, so callers add one merged delta)."""
    for key, changes in sorted(counts.items()):
        if changes:
            tx.update_raw(_update(org_id, key, changes))


@db.bound
def apply(org_id: str, counts: Counts, *, once: str | None = None) -> int:
    """Outside a transaction (bulk writers, erasure): one UpdateItem per counter item.

    ``once`` names the change (an erasure: ``erase#<account id>``): each counter item remembers
    the names applied to it and takes a named change only once, so a retry after a crash part
    way through adds only what the first try did not."""
    ddb, table, calls = db.client(), environment().table_name, 0
    for key, changes in sorted(counts.items()):
        if not changes:
            continue
        calls += 1
        try:
            ddb.update_item(TableName=table, **_update(org_id, key, changes, once=once))
        except ClientError as error:
            if once is None or error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
    return calls


def _counters(raw: dict[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in raw.items() if name not in _META and "N" in value}


def _pages(**query: Any) -> Iterator[dict[str, Any]]:
    ddb = db.client()
    start: dict[str, Any] | None = None
    while True:
        response = ddb.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        yield from response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            return


@db.bound
def read_period(org_id: str, scope: str, first: str, last: str) -> dict[str, int]:
    """The counters of one scope summed over the periods ``first``..``last`` (inclusive sort
    keys): one Query (a second page only past 1 MB of counter items)."""
    total: dict[str, int] = {}
    rows = _pages(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": {"S": keys.stats(org_id, scope)}, ":a": {"S": first}, ":b": {"S": last}},
        ConsistentRead=True,
    )
    for raw in rows:
        for name, value in _counters(raw).items():
            total[name] = total.get(name, 0) + value
    return total


@db.bound
def all_counts(org_id: str) -> Counts:
    """Every non-zero counter of the organisation, by (scope, period) (maintenance only)."""
    found: Counts = {}
    rows = _pages(
        TableName=environment().table_name,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.stats_list(org_id)}},
    )
    for raw in rows:
        counters = {n: v for n, v in _counters(raw).items() if v}
        if counters:
            found[(raw["scope"]["S"], raw["period"]["S"])] = counters
    return found


@db.bound
def replace_all(org_id: str, counts: Counts) -> int:
    """Delete every counter item of the organisation and write ``counts`` instead (the rebuild;
    run it while nothing else writes, or the events of the meantime are lost). Returns calls."""
    existing = [
        (raw["pk"]["S"], raw["sk"]["S"])
        for raw in _pages(
            TableName=environment().table_name,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.stats_list(org_id)}},
            ProjectionExpression="pk, sk",
        )
    ]
    puts = []
    for (scope, period), counters in sorted(counts.items()):
        item: dict[str, Any] = {
            "pk": {"S": keys.stats(org_id, scope)},
            "sk": {"S": period},
            "kind": {"S": COUNTER},
            "scope": {"S": scope},
            "period": {"S": period},
            "gsi1pk": {"S": keys.stats_list(org_id)},
            "gsi1sk": {"S": keys.stats_entry(scope, period)},
        }
        item.update({name: {"N": str(value)} for name, value in counters.items() if value})
        puts.append(item)
    written = {(p["pk"]["S"], p["sk"]["S"]) for p in puts}
    calls = db.batch_write(deletes=[k for k in existing if k not in written])
    return calls + db.batch_write(raw_puts=puts)
