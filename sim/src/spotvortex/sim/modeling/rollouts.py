"""Simulator rollouts where real labels are missing: the availability traces are one GPU type in one advisor
band with a flat price, so they cannot teach what other bands, real price paths or rebalance recommendations
mean. The simulator's hazard model (``spotvortex.sim.market.capacity.from_hazard``: loss rates calibrated from
the Spot Advisor bands, zone-wide family shocks, rebalance recommendations before some losses) is played over
real price history for a spread of general-purpose markets, and sampled as availability traces with the same
tick as the real ones. Their examples are marked ``simulated``: they widen what the model has seen; the
quality report is measured on real traces only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from spotvortex.sim.market.advisor import AdvisorBands
from spotvortex.sim.market.availability import AvailabilityTrace
from spotvortex.sim.market.capacity import from_hazard
from spotvortex.sim.market.prices import SpotPriceBook

GAP_SECONDS = 195.0
FAMILIES = ("m5", "c5", "r5", "t3")
SIZES = ("large", "xlarge", "2xlarge")


@dataclass(frozen=True)
class Rollout:
    traces: list[AvailabilityTrace]
    rebalances: dict[str, list[float]]


def choose_markets(
    book: SpotPriceBook, count: int, families: Sequence[str] = FAMILIES
) -> list[tuple[str, str]]:
    """Up to ``count`` (type, zone) markets of the book, spread over families, sizes and zones in a fixed order."""
    wanted = [f"{f}.{s}" for s in SIZES for f in families]
    found = [(t, z) for t in wanted for (bt, z) in sorted(book.series) if bt == t]
    picked: list[tuple[str, str]] = []
    zones_used: dict[str, int] = {}
    for instance_type, zone in found:  # round-robin over zones so no zone dominates
        if zones_used.get(instance_type, 0) < 2 and len(picked) < count:
            picked.append((instance_type, zone))
            zones_used[instance_type] = zones_used.get(instance_type, 0) + 1
    return picked


def hazard_rollout(
    book: SpotPriceBook,
    advisor: AdvisorBands | None,
    *,
    markets: int = 12,
    seed: int = 20261124,
    rate_multiplier: float = 1.0,
) -> Rollout:
    from spotvortex.sim.market.capacity import HazardParameters

    pools = choose_markets(book, markets)
    start, end = book.start, book.end
    timeline = from_hazard(
        pools,
        start,
        end,
        seed=seed,
        region=book.region,
        advisor=advisor,
        params=HazardParameters(rate_multiplier=rate_multiplier),
    )
    ticks = int((end - start).total_seconds() // GAP_SECONDS)
    traces: list[AvailabilityTrace] = []
    rebalances: dict[str, list[float]] = {}
    for instance_type, zone in pools:
        values = tuple(
            int(timeline.available(instance_type, zone, start + timedelta(seconds=i * GAP_SECONDS)))
            for i in range(ticks)
        )
        name = f"sim/hazard/{instance_type}/{zone}"
        traces.append(AvailabilityTrace(name, book.region, zone, instance_type, start, GAP_SECONDS, values))
        rebalances[name] = [
            r.time.timestamp()
            for r in timeline.rebalances
            if (r.instance_type, r.zone) == (instance_type, zone)
        ]
    return Rollout(traces, rebalances)
