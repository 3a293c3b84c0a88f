"""Distributions kept as counts per fixed bucket, so a median is read without the values.

A bucket is named by its lower edge; a value falls in the last bucket whose edge is <= it. A
quantile is read by the nearest-rank method (the value at rank ceil(q * n) of the sorted values)
and reported as the lower edge of the bucket holding that rank: exact to the bucket's width.

Resolution: response minutes are exact to the minute up to 60, to 5 minutes up to 4 hours, to
30 minutes up to 24 hours and to 4 hours up to 5 days; 7,200 minutes (5 days) and more read as
7200. Sales-cycle days are exact to the day up to 60 days, to the week up to 180 days and to 30
days up to 720; 720 and more read as 720.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def _edges(*runs: tuple[int, int, int]) -> tuple[int, ...]:
    return tuple(edge for start, stop, step in runs for edge in range(start, stop, step))


@dataclass(frozen=True)
class Buckets:
    """Fixed bucket edges (ascending, the first is 0) of one distribution; ``prefix`` names its
    counters (``rm_15`` = response minutes, bucket 15)."""

    prefix: str
    edges: tuple[int, ...]

    def edge(self, value: float) -> int:
        """The lower edge of the bucket ``value`` falls in (negative values count as 0)."""
        return self.edges[max(0, bisect_right(self.edges, value) - 1)]

    def counter(self, value: float) -> str:
        return f"{self.prefix}{self.edge(value)}"

    def counts(self, counters: Mapping[str, int]) -> dict[int, int]:
        """This distribution's bucket counts among a counter item's attributes."""
        found: dict[int, int] = {}
        for name, count in counters.items():
            if name.startswith(self.prefix) and count:
                suffix = name[len(self.prefix) :]
                if suffix.isdigit():
                    found[int(suffix)] = found.get(int(suffix), 0) + int(count)
        return found


RESPONSE_MINUTES = Buckets("rm_", _edges((0, 60, 1), (60, 240, 5), (240, 1440, 30), (1440, 7200, 240), (7200, 7201, 1)))
CYCLE_DAYS = Buckets("cd_", _edges((0, 60, 1), (60, 180, 7), (180, 720, 30), (720, 721, 1)))


def quantile(counts: Mapping[int, int], q: float) -> int | None:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of a bucketed distribution, as the lower edge
    of its bucket; None when there are no values."""
    total = sum(c for c in counts.values() if c > 0)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for edge in sorted(counts):
        seen += max(0, counts[edge])
        if seen >= rank:
            return edge
    return max(counts)  # unreachable: ranks never exceed the total


def median(counts: Mapping[int, int]) -> int | None:
    """The lower median (rank ceil(n/2)): with 2 values, the smaller."""
    return quantile(counts, 0.5)


def tally(buckets: Buckets, values: Iterable[float]) -> dict[int, int]:
    """Bucket counts of plain values (tests, and the rebuild's cross-check)."""
    counts: dict[int, int] = {}
    for value in values:
        edge = buckets.edge(value)
        counts[edge] = counts.get(edge, 0) + 1
    return counts
