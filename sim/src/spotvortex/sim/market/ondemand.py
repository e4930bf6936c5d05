"""On-demand Linux prices per instance type (moto has no Pricing API, and prices rarely change)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.tables import parse_float, read_rows

COLUMNS = ("instance_type", "ondemand_usd_per_hour")


@dataclass(frozen=True)
class OnDemandPrices:
    region: str
    prices: dict[str, float]
    source: str

    def price(self, instance_type: str) -> float:
        try:
            return self.prices[instance_type]
        except KeyError:
            raise MarketDataError(
                self.source, f"no on-demand price for instance type {instance_type!r}"
            ) from None


def load_on_demand(path: str | Path, region: str = "us-east-1") -> OnDemandPrices:
    path = Path(path)
    prices: dict[str, float] = {}
    for row_no, row in read_rows(path, COLUMNS):
        if row.get("region") and row["region"] != region:
            continue
        price = parse_float(path, row_no, "ondemand_usd_per_hour", row["ondemand_usd_per_hour"])
        if price == 0:
            raise MarketDataError(
                path, f"instance type {row['instance_type']}: on-demand price is zero", row=row_no
            )
        prices[row["instance_type"]] = price
    if not prices:
        raise MarketDataError(path, f"no on-demand prices for region {region}")
    return OnDemandPrices(region=region, prices=prices, source=str(path))
