"""The market as the simulated cluster sees it: prices, capacity and their integral over a node's life.

The world may run at any date (a demo runs "now") while the data covers a fixed past window, so the view
maps world time onto market time with a fixed offset: day 3 of a run sees day 3 of the data. Spot offerings
with no price series are not offered at all, which is also what EC2 does for a pool it does not sell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spotvortex.sim.market.capacity import CapacityTimeline
from spotvortex.sim.market.ondemand import OnDemandPrices
from spotvortex.sim.market.prices import SpotPriceBook

from .labels import SPOT


@dataclass(frozen=True)
class MarketView:
    """Prices and spot capacity at world times; ``offset`` = market time − world time."""

    region: str
    spot: SpotPriceBook
    on_demand: OnDemandPrices
    capacity: CapacityTimeline | None
    offset: timedelta = timedelta(0)

    def market_time(self, when: datetime) -> datetime:
        return when + self.offset

    def world_time(self, market_when: datetime) -> datetime:
        return market_when - self.offset

    def spot_price(self, instance_type: str, zone: str, when: datetime) -> float | None:
        """The price in force (see ``PriceSeries.opening_price`` for before the first record)."""
        series = self.spot.series.get((instance_type, zone))
        return series.opening_price(self.market_time(when)) if series is not None else None

    def on_demand_price(self, instance_type: str) -> float:
        return self.on_demand.price(instance_type)

    def price(self, instance_type: str, zone: str, capacity_type: str, when: datetime) -> float | None:
        """The price in force, or ``None`` when the offering is not sold (no data for it)."""
        if capacity_type == SPOT:
            return self.spot_price(instance_type, zone, when)
        return self.on_demand.prices.get(instance_type)

    def spot_available(self, instance_type: str, zone: str, when: datetime) -> bool:
        if self.spot_price(instance_type, zone, when) is None:
            return False
        if self.capacity is None:
            return True
        return self.capacity.available(instance_type, zone, self.market_time(when))

    def cost(
        self, instance_type: str, zone: str, capacity_type: str, start: datetime, end: datetime
    ) -> float:
        """USD for running one instance over [start, end): the price in force integrated over time."""
        if end <= start:
            return 0.0
        if capacity_type != SPOT:
            return self.on_demand_price(instance_type) * (end - start).total_seconds() / 3600
        series = self.spot.series.get((instance_type, zone))
        if series is None:
            return 0.0
        m_start, m_end = self.market_time(start), self.market_time(end)
        total, cursor = 0.0, m_start
        price = self.spot_price(instance_type, zone, start) or 0.0
        for when, new_price in series.changes_between(m_start, m_end):
            total += price * (when - cursor).total_seconds() / 3600
            cursor, price = when, new_price
        total += price * (m_end - cursor).total_seconds() / 3600
        return total
