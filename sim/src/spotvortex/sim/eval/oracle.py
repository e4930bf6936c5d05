"""The hindsight ``oracle``: a lower bound on net cost, from the run Karpenter makes alone.

It takes the instances ``spot-first`` actually ran (same types, zones and hours — the capacity the
workloads needed), bills every hour of each at the cheaper of its spot and on-demand price at that moment,
as if it had always known when spot was cheaper and never lost it, and counts no outage and no interruption.
No policy that runs this workload on this market can do better than this on compute, and none can have fewer
than zero outages; it says how much room there is, not how to get it.
"""

from __future__ import annotations

from datetime import datetime

from spotvortex.sim.world.build import SimCluster
from spotvortex.sim.world.market import MarketView


def hindsight_cost(cluster: SimCluster, end: datetime) -> float:
    opened = cluster.ledger.opened or end
    total = 0.0
    for m in cluster.fleet.history:
        start, stop = max(m.launched, opened), min(m.terminated or end, end)
        if stop > start:
            total += _cheapest(cluster.world.market, m.instance_type, m.zone, start, stop)
    return total


def _cheapest(market: MarketView, instance_type: str, zone: str, start: datetime, stop: datetime) -> float:
    """∫ min(spot price, on-demand price) dt over [start, stop), in USD."""
    od = market.on_demand_price(instance_type)
    series = market.spot.series.get((instance_type, zone))
    if series is None:
        return od * (stop - start).total_seconds() / 3600
    m_start, m_stop = market.market_time(start), market.market_time(stop)
    price = market.spot_price(instance_type, zone, start)
    total, cursor = 0.0, m_start
    for when, new_price in series.changes_between(m_start, m_stop):
        total += min(od, price if price is not None else od) * (when - cursor).total_seconds() / 3600
        cursor, price = when, new_price
    total += min(od, price if price is not None else od) * (m_stop - cursor).total_seconds() / 3600
    return total
