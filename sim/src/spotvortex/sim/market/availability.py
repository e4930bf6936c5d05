"""Real spot availability traces: how many spot instances could be had at each tick of a (type, zone).

A value of 0 means no spot capacity: running spot nodes there are interrupted and new launches fail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.tables import parse_float, read_rows

COLUMNS = (
    "trace_name",
    "region",
    "az",
    "instance_type",
    "timestamp_offset_s",
    "value",
    "start_date",
    "gap_seconds",
)


@dataclass(frozen=True)
class AvailabilityTrace:
    name: str
    region: str
    zone: str
    instance_type: str
    start: datetime
    gap_seconds: float
    values: tuple[int, ...]

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.gap_seconds * len(self.values))

    def available_at(self, offset_seconds: float) -> bool:
        """Capacity at ``offset_seconds`` after the trace start; the trace repeats past its end."""
        i = int(offset_seconds // self.gap_seconds) % len(self.values)
        return self.values[i] > 0

    def availability_share(self) -> float:
        return sum(1 for v in self.values if v > 0) / len(self.values)

    def outages(self) -> list[tuple[float, float]]:
        """``(start offset, duration)`` in seconds of every run without capacity."""
        runs: list[tuple[float, float]] = []
        start: int | None = None
        for i, v in enumerate((*self.values, 1)):
            if v == 0 and start is None:
                start = i
            elif v > 0 and start is not None:
                runs.append((start * self.gap_seconds, (i - start) * self.gap_seconds))
                start = None
        return runs


def load_availability(path: str | Path) -> list[AvailabilityTrace]:
    path = Path(path)
    rows: dict[str, list[tuple[float, int]]] = defaultdict(list)
    meta: dict[str, tuple[str, str, str, str, float]] = {}
    for row_no, row in read_rows(path, COLUMNS):
        name = row["trace_name"]
        offset = parse_float(path, row_no, "timestamp_offset_s", row["timestamp_offset_s"])
        value = int(parse_float(path, row_no, "value", row["value"]))
        gap = parse_float(path, row_no, "gap_seconds", row["gap_seconds"])
        if gap <= 0:
            raise MarketDataError(path, "column gap_seconds must be positive", row=row_no)
        rows[name].append((offset, value))
        meta.setdefault(name, (row["region"], row["az"], row["instance_type"], row["start_date"], gap))
    if not rows:
        raise MarketDataError(path, "no trace rows")
    traces = []
    for name, samples in sorted(rows.items()):
        region, zone, itype, start_date, gap = meta[name]
        samples.sort()
        try:
            start = datetime.fromisoformat(start_date).replace(tzinfo=UTC)
        except ValueError:
            raise MarketDataError(path, f"trace {name}: start_date {start_date!r} is not a date") from None
        traces.append(AvailabilityTrace(name, region, zone, itype, start, gap, tuple(v for _, v in samples)))
    return traces
