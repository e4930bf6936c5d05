"""The market a simulated cluster sees, as contract events: one definition for the live replay, the
evaluation's in-process collector and its ``--via-bus`` replay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from spotvortex.contracts.market import MarketEvent
from spotvortex.sim.feed.plan import market_events
from spotvortex.sim.world.build import SimCluster


def cluster_market_events(cluster: SimCluster, market_end: datetime) -> Iterator[MarketEvent]:
    """Prices, capacity signals and their backfill for every (instance type, zone) the scenario's pools may
    run on and the market prices, from the world's now (in market time) to ``market_end``."""
    scenario = cluster.scenario
    view = cluster.world.market
    pools = sorted(
        {
            (t, z)
            for p in scenario.pools
            for t in p.instance_types
            for z in (p.zones or scenario.zones)
            if (t, z) in view.spot.series
        }
    )
    return market_events(
        view.spot,
        view.on_demand,
        pools,
        view.market_time(cluster.world.now),
        market_end,
        region=scenario.region,
        capacity=view.capacity,
        backfill=True,
    )
