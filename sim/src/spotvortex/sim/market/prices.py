"""Spot price history as step functions per (instance type, zone).

Each row of AWS's ``describe-spot-price-history`` is a price *change*: the price holds until the next row of
the same series. Both the flattened CSV (``timestamp,region,az,instance_type,product,spot_price_usd_per_hour``,
optionally gzipped) and the raw JSON the AWS CLI prints are accepted.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.tables import parse_float, parse_time, read_rows

CSV_COLUMNS = ("timestamp", "az", "instance_type", "spot_price_usd_per_hour")
PoolKey = tuple[str, str]  # (instance type, zone)


@dataclass(frozen=True)
class PriceSeries:
    instance_type: str
    zone: str
    times: tuple[datetime, ...]
    prices: tuple[float, ...]

    def price_at(self, when: datetime) -> float | None:
        """The price in force at ``when``; ``None`` before the first known change."""
        i = bisect.bisect_right(self.times, when) - 1
        return self.prices[i] if i >= 0 else None

    def opening_price(self, when: datetime) -> float:
        """The price in force at ``when``, or the first recorded one when the record starts later.

        The data set begins some series hours after others; a simulation starting at the window's start
        takes the first known price as the one in force rather than inventing none.
        """
        price = self.price_at(when)
        return self.prices[0] if price is None else price

    def changes_between(self, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
        """Changes with ``start < time <= end``."""
        lo = bisect.bisect_right(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        return list(zip(self.times[lo:hi], self.prices[lo:hi], strict=True))


@dataclass(frozen=True)
class SpotPriceBook:
    region: str
    series: dict[PoolKey, PriceSeries] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return min(s.times[0] for s in self.series.values())

    @property
    def end(self) -> datetime:
        return max(s.times[-1] for s in self.series.values())

    def price_at(self, instance_type: str, zone: str, when: datetime) -> float | None:
        series = self.series.get((instance_type, zone))
        return series.price_at(when) if series else None

    def instance_types(self) -> set[str]:
        return {t for t, _ in self.series}

    def zones(self) -> set[str]:
        return {z for _, z in self.series}


def _book(
    path: Path, points: dict[PoolKey, list[tuple[datetime, float]]], regions: set[str]
) -> SpotPriceBook:
    if not points:
        raise MarketDataError(path, "no price rows")
    region = _one_region(path, regions)
    series: dict[PoolKey, PriceSeries] = {}
    for (itype, zone), rows in points.items():
        rows.sort()
        deduped: list[tuple[datetime, float]] = []
        for when, price in rows:
            if deduped and deduped[-1][0] == when:
                deduped[-1] = (when, price)  # the last report for an instant wins
            else:
                deduped.append((when, price))
        series[(itype, zone)] = PriceSeries(
            itype, zone, tuple(t for t, _ in deduped), tuple(p for _, p in deduped)
        )
    return SpotPriceBook(region=region, series=series)


def _load_csv(path: Path) -> SpotPriceBook:
    points: dict[PoolKey, list[tuple[datetime, float]]] = defaultdict(list)
    regions: set[str] = set()
    for row_no, row in read_rows(path, CSV_COLUMNS):
        if row.get("product") and row["product"] != "Linux/UNIX":
            continue
        when = parse_time(path, row_no, "timestamp", row["timestamp"])
        price = parse_float(path, row_no, "spot_price_usd_per_hour", row["spot_price_usd_per_hour"])
        if not row["az"] or not row["instance_type"]:
            raise MarketDataError(path, "empty az or instance_type", row=row_no)
        points[(row["instance_type"], row["az"])].append((when, price))
        regions.add(row.get("region") or row["az"][:-1])
    return _book(path, points, regions)


def _load_aws_json(path: Path) -> SpotPriceBook:
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise MarketDataError(path, f"not valid JSON: {err}") from None
    rows = document.get("SpotPriceHistory") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise MarketDataError(path, 'expected the AWS CLI shape {"SpotPriceHistory": [...]}')
    points: dict[PoolKey, list[tuple[datetime, float]]] = defaultdict(list)
    regions: set[str] = set()
    for i, item in enumerate(rows):
        missing = [k for k in ("AvailabilityZone", "InstanceType", "SpotPrice", "Timestamp") if k not in item]
        if missing:
            raise MarketDataError(path, f"SpotPriceHistory[{i}] lacks {', '.join(missing)}")
        if item.get("ProductDescription", "Linux/UNIX") != "Linux/UNIX":
            continue
        when = parse_time(path, i, "Timestamp", str(item["Timestamp"]))
        price = parse_float(path, i, "SpotPrice", str(item["SpotPrice"]))
        points[(item["InstanceType"], item["AvailabilityZone"])].append((when, price))
        regions.add(item["AvailabilityZone"][:-1])
    return _book(path, points, regions)


def _one_region(path: Path, regions: set[str]) -> str:
    if len(regions) != 1:
        raise MarketDataError(path, f"expected one region, found {', '.join(sorted(regions)) or 'none'}")
    return regions.pop()


def load_spot_prices(path: str | Path) -> SpotPriceBook:
    """Load a price history file: ``.csv``/``.csv.gz`` (flattened) or ``.json`` (raw AWS CLI output)."""
    path = Path(path)
    if path.name.endswith((".json", ".json.gz")):
        return _load_aws_json(path)
    if path.name.endswith((".csv", ".csv.gz")):
        return _load_csv(path)
    raise MarketDataError(path, "unknown price file type; expected .csv, .csv.gz or .json")
