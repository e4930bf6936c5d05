"""Price events from a scripted scenario (``spotvortex.sim.market.scripted``): a hand-written spike on the bus.

The recorded market is realistic but slow to surprise; a scenario states exactly which price each pool shows
at each step, so a demo or test can put a spike on ``spotvortex.market.<region>.price`` at a chosen time.
Step ``i`` of every pool is stamped ``start + i * interval``.

A step that fails (``{"error": ...}``, or a series that runs out with ``repeat_last: false``) stands for a
price API that did not answer. The feed publishes nothing for that pool at that step — consumers see a gap,
exactly as they would when the real API fails — and records the step in :attr:`ScriptedFeed.skipped` so the
caller can count or report it. It never stops the other pools or later steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spotvortex.contracts.market import MarketPrice
from spotvortex.sim.market.prices import PoolKey
from spotvortex.sim.market.scripted import ScriptedPriceError, ScriptedPrices


@dataclass(frozen=True)
class SkippedStep:
    """A scripted step that produced no event, and why."""

    step: int
    time: datetime
    instance_type: str
    zone: str
    reason: str


@dataclass(frozen=True)
class ScriptedFeed:
    """The events of a scripted run (time-ordered) and the steps that failed."""

    events: list[MarketPrice] = field(default_factory=list)
    skipped: list[SkippedStep] = field(default_factory=list)


def scripted_events(
    prices: ScriptedPrices,
    pools: Iterable[PoolKey],
    start: datetime,
    *,
    steps: int,
    interval: timedelta,
) -> ScriptedFeed:
    """``steps`` price events per pool, ``interval`` apart from ``start``; pools in (type, zone) order.

    Reads the scenario with fresh cursors, so the same scenario always gives the same feed and the caller's
    ``prices`` is left untouched.
    """
    if start.tzinfo is None:
        raise ValueError("a scripted feed needs a timezone-aware start")
    if steps < 0:
        raise ValueError("steps cannot be negative")
    if interval <= timedelta(0):
        raise ValueError("the interval between steps must be positive")
    fresh = ScriptedPrices(prices.scenario)
    chosen = sorted(set(pools))
    feed = ScriptedFeed()
    for step in range(steps):
        when = start + step * interval
        for instance_type, zone in chosen:
            try:
                quote = fresh.spot_quote(instance_type, zone)
            except ScriptedPriceError as err:
                feed.skipped.append(SkippedStep(step, when, instance_type, zone, str(err)))
                continue
            feed.events.append(
                MarketPrice(
                    instance_type=instance_type,
                    zone=zone,
                    spot_price=quote.current_price,
                    on_demand_price=quote.on_demand_price,
                    time=when,
                )
            )
    return feed
