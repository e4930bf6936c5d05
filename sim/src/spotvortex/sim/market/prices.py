"""Spot price history as step functions per (instance type, zone).

Each row of AWS's ``describe-spot-price-history`` is a price *change*: the price holds until the next row of
the same series. Both the flattened CSV (``timestamp,region,az,instance_type,product,spot_price_usd_per_hour``,
optionally gzipped) and the raw JSON the AWS CLI prints are accepted.

Parsing the real history takes seconds and an evaluation worker runs many simulations on the same file, so
a loaded book is kept per process for as long as the file is unchanged (same size and modification time).
Books are shared between runs and therefore never changed after loading.
"""

from __future__ import annotations

import bisect
import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.tables import open_text, parse_float, parse_time, read_rows

CSV_COLUMNS = ("timestamp", "az", "instance_type", "spot_price_usd_per_hour")
PoolKey = tuple[str, str]  # (instance type, zone)
FileKey = tuple[str, int, int]  # (resolved path, size, modification time in ns)
BOOKS_KEPT = 4


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


class _Irregular(Exception):
    """The fast CSV reader met a row it does not handle; the checked reader says what is wrong."""


def _fast_points(
    path: Path,
) -> tuple[dict[PoolKey, list[tuple[datetime, float]]], set[str]]:
    """What ``_load_csv_checked`` collects, for a well-formed file, without a dict and checks per row."""
    points: dict[PoolKey, list[tuple[datetime, float]]] = defaultdict(list)
    regions: set[str] = set()
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or len(set(header)) != len(header) or any(c not in header for c in CSV_COLUMNS):
            raise _Irregular
        width = len(header)
        at = {name: header.index(name) for name in header}
        i_time, i_az, i_type = at["timestamp"], at["az"], at["instance_type"]
        i_price, i_product, i_region = at["spot_price_usd_per_hour"], at.get("product"), at.get("region")
        for row in reader:
            if len(row) != width:
                raise _Irregular
            if i_product is not None and row[i_product] and row[i_product] != "Linux/UNIX":
                continue
            try:
                when = datetime.fromisoformat(row[i_time].replace("Z", "+00:00"))
                price = float(row[i_price])
            except ValueError:
                raise _Irregular from None
            if price < 0 or not row[i_az] or not row[i_type]:
                raise _Irregular
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            points[(row[i_type], row[i_az])].append((when, price))
            regions.add((row[i_region] if i_region is not None else "") or row[i_az][:-1])
    return points, regions


def _load_csv(path: Path) -> SpotPriceBook:
    try:
        points, regions = _fast_points(path)
    except _Irregular:
        return _load_csv_checked(path)
    return _book(path, points, regions)


def _load_csv_checked(path: Path) -> SpotPriceBook:
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


_books: dict[FileKey, SpotPriceBook] = {}


def _file_key(path: Path) -> FileKey | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def load_spot_prices(path: str | Path) -> SpotPriceBook:
    """Load a price history file: ``.csv``/``.csv.gz`` (flattened) or ``.json`` (raw AWS CLI output).

    The same unchanged file gives the same book object as last time; treat it as read-only.
    """
    path = Path(path)
    key = _file_key(path)
    if key is not None and key in _books:
        return _books[key]
    book = _load(path)
    if key is not None:
        while len(_books) >= BOOKS_KEPT:
            del _books[next(iter(_books))]
        _books[key] = book
    return book


def _load(path: Path) -> SpotPriceBook:
    if path.name.endswith((".json", ".json.gz")):
        return _load_aws_json(path)
    if path.name.endswith((".csv", ".csv.gz")):
        return _load_csv(path)
    raise MarketDataError(path, "unknown price file type; expected .csv, .csv.gz or .json")
