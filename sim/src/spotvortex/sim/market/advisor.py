"""AWS Spot Instance Advisor bands: the trailing-month interruption frequency per region and instance type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError


@dataclass(frozen=True)
class Band:
    index: int
    label: str
    max_percent: float


@dataclass(frozen=True)
class AdvisorBands:
    ranges: tuple[Band, ...]
    bands: dict[tuple[str, str], int]  # (region, instance type) -> band index (Linux)
    savings: dict[tuple[str, str], int]

    def band(self, region: str, instance_type: str) -> Band | None:
        index = self.bands.get((region, instance_type))
        return self.ranges[index] if index is not None else None

    def monthly_interruption_rate(self, region: str, instance_type: str) -> float | None:
        """A point estimate inside the band (its midpoint), as a fraction per month."""
        band = self.band(region, instance_type)
        if band is None:
            return None
        low = self.ranges[band.index - 1].max_percent if band.index > 0 else 0.0
        high = min(band.max_percent, 30.0)
        return (low + high) / 2 / 100


def load_advisor(path: str | Path) -> AdvisorBands:
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise MarketDataError(path, "file does not exist") from None
    except json.JSONDecodeError as err:
        raise MarketDataError(path, f"not valid JSON: {err}") from None
    for key in ("ranges", "spot_advisor"):
        if key not in document:
            raise MarketDataError(path, f"missing key {key!r} (expected AWS's spot-advisor-data.json shape)")
    ranges = tuple(Band(int(r["index"]), str(r["label"]), float(r["max"])) for r in document["ranges"])
    bands: dict[tuple[str, str], int] = {}
    savings: dict[tuple[str, str], int] = {}
    for region, by_os in document["spot_advisor"].items():
        for itype, entry in by_os.get("Linux", {}).items():
            bands[(region, itype)] = int(entry["r"])
            savings[(region, itype)] = int(entry["s"])
    return AdvisorBands(ranges=ranges, bands=bands, savings=savings)
