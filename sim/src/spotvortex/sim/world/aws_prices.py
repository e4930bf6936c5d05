"""``DescribeSpotPriceHistory`` answered from the world's market, in world time.

A demo runs the 2021 data shifted to today, so the AWS path of the collector must see the same shifted
prices the cluster is billed at; this source maps the window into market time and the answers back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from spotvortex.sim.aws import SpotPrice

from .market import MarketView

DEFAULT_WINDOW = timedelta(days=1)


class MarketPriceSource:
    """A ``SpotPriceSource`` over a :class:`MarketView` (Linux/UNIX only, as the data set is)."""

    def __init__(self, market: MarketView, now: Callable[[], datetime]) -> None:
        self.market = market
        self._now = now

    def history(
        self,
        instance_types: Sequence[str],
        zones: Sequence[str],
        products: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> Sequence[SpotPrice]:
        if products and "Linux/UNIX" not in products:
            return []
        end = end or self._now()
        start = start or end - DEFAULT_WINDOW
        m_start, m_end = self.market.market_time(start), self.market.market_time(end)
        found: list[SpotPrice] = []
        for (itype, zone), series in sorted(self.market.spot.series.items()):
            if (instance_types and itype not in instance_types) or (zones and zone not in zones):
                continue
            opening = series.opening_price(m_start)
            found.append(SpotPrice(start, itype, zone, "Linux/UNIX", opening))
            for when, price in series.changes_between(m_start, m_end):
                found.append(SpotPrice(self.market.world_time(when), itype, zone, "Linux/UNIX", price))
        return found
