"""The spot capacity process: when each (instance type, zone) loses and regains spot capacity.

Two sources, one interface (:class:`CapacityTimeline`):

- **Trace-driven** (:func:`from_traces`): real availability traces are mapped onto pools; capacity 0 in the
  trace means no capacity in the pool. Each pool gets a trace and a phase offset chosen from the seed, so
  pools are not all in lock-step.
- **Hazard model** (:func:`from_hazard`): capacity-loss episodes arrive as a Poisson process per pool whose rate
  is calibrated from the pool's Spot Advisor band, plus zone-wide shocks that hit every pool of one instance
  family in a zone at once (real interruptions are bursty and correlated). Episodes last an exponential time.

On top of either, rebalance recommendations are generated: some precede a loss by a lead time, some arrive
with no loss following (a weak signal). Everything is a pure function of the inputs and the seed.

Hazard model parameters (defaults in :class:`HazardParameters`):
- ``f`` = the advisor band's monthly interruption frequency (band midpoint; ``>20%`` is taken as 25 %), and
  the per-pool episode rate is ``-ln(1 - f) / 720`` per hour, split between pool episodes (1 − ``zone_share``)
  and family-wide zone shocks (``zone_share``, default 0.4);
- episode duration: exponential, mean ``mean_outage_minutes`` (default 40). The real availability traces are
  heavier-tailed: their 1,893 outages have a median of 29 min and a mean of 111 min (``load_availability`` on
  ``spot_availability_traces_2023-02.csv.gz``, then ``AvailabilityTrace.outages()``); use trace-driven capacity
  when the tail matters;
- rebalance: with probability ``rebalance_before_loss`` (0.5) a recommendation precedes a loss by
  U(``rebalance_lead_minutes``) (5–30 min); spurious ones arrive at ``spurious_rebalance_ratio`` (0.5) × the
  episode rate;
- a pool with no advisor band uses ``default_band_rate`` (the 10-15 % band).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spotvortex.sim.market.advisor import AdvisorBands
from spotvortex.sim.market.availability import AvailabilityTrace

Pool = tuple[str, str]  # (instance type, zone)


@dataclass(frozen=True)
class Outage:
    instance_type: str
    zone: str
    start: datetime
    end: datetime
    cause: str  # "trace", "pool", "zone-shock"


@dataclass(frozen=True)
class Rebalance:
    instance_type: str
    zone: str
    time: datetime
    precedes_outage: bool


@dataclass
class CapacityTimeline:
    """Outages and rebalance recommendations of a window, queryable by time."""

    start: datetime
    end: datetime
    outages: dict[Pool, list[Outage]] = field(default_factory=dict)
    rebalances: list[Rebalance] = field(default_factory=list)

    def available(self, instance_type: str, zone: str, when: datetime) -> bool:
        episodes = self.outages.get((instance_type, zone), [])
        i = bisect.bisect_right([o.start for o in episodes], when) - 1
        return not (i >= 0 and episodes[i].start <= when < episodes[i].end)

    def losses_between(self, start: datetime, end: datetime) -> list[Outage]:
        """Outages that begin in ``[start, end)``, in time order."""
        found = [o for episodes in self.outages.values() for o in episodes if start <= o.start < end]
        return sorted(found, key=lambda o: (o.start, o.instance_type, o.zone))

    def unavailable_share(self, instance_type: str, zone: str) -> float:
        total = (self.end - self.start).total_seconds()
        down = sum((o.end - o.start).total_seconds() for o in self.outages.get((instance_type, zone), []))
        return down / total if total else 0.0


@dataclass(frozen=True)
class HazardParameters:
    zone_share: float = 0.4
    mean_outage_minutes: float = 40.0
    rebalance_before_loss: float = 0.5
    rebalance_lead_minutes: tuple[float, float] = (5.0, 30.0)
    spurious_rebalance_ratio: float = 0.5
    default_band_rate: float = 0.125
    top_band_rate: float = 0.25
    rate_multiplier: float = 1.0
    """Scales every pool's calibrated rate (1 = as the advisor says); stress scenarios raise it."""


def _rng(seed: int, *parts: str) -> random.Random:
    """An independent, reproducible stream per (seed, name): stable across runs and Python versions."""
    digest = hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def _merge(episodes: list[Outage]) -> list[Outage]:
    """Sort and merge overlapping episodes of one pool (a zone shock during a pool outage extends it)."""
    merged: list[Outage] = []
    for o in sorted(episodes, key=lambda e: e.start):
        if merged and o.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Outage(last.instance_type, last.zone, last.start, max(last.end, o.end), last.cause)
        else:
            merged.append(o)
    return merged


def _poisson_times(
    rng: random.Random, rate_per_hour: float, start: datetime, end: datetime
) -> list[datetime]:
    times: list[datetime] = []
    if rate_per_hour <= 0:
        return times
    t = start
    while True:
        t += timedelta(hours=rng.expovariate(rate_per_hour))
        if t >= end:
            return times
        times.append(t)


def _add_rebalances(
    timeline: CapacityTimeline,
    pools: Iterable[Pool],
    rates: dict[Pool, float],
    seed: int,
    p: HazardParameters,
) -> None:
    lo, hi = p.rebalance_lead_minutes
    for pool in pools:
        rng = _rng(seed, "rebalance", *pool)
        for outage in timeline.outages.get(pool, []):
            if rng.random() < p.rebalance_before_loss:
                lead = timedelta(minutes=rng.uniform(lo, hi))
                timeline.rebalances.append(Rebalance(pool[0], pool[1], outage.start - lead, True))
        for when in _poisson_times(
            rng, rates[pool] * p.spurious_rebalance_ratio, timeline.start, timeline.end
        ):
            if timeline.available(pool[0], pool[1], when):
                timeline.rebalances.append(Rebalance(pool[0], pool[1], when, False))
    timeline.rebalances.sort(key=lambda r: (r.time, r.instance_type, r.zone))


def band_rate(advisor: AdvisorBands | None, region: str, instance_type: str, p: HazardParameters) -> float:
    """Capacity-loss episodes per hour for a pool, from its advisor band's monthly interruption frequency."""
    band = advisor.band(region, instance_type) if advisor else None
    if advisor is None or band is None:
        monthly = p.default_band_rate
    elif band.index == len(advisor.ranges) - 1:  # the open-ended top band (">20%")
        monthly = p.top_band_rate
    else:
        monthly = advisor.monthly_interruption_rate(region, instance_type) or p.default_band_rate
    return p.rate_multiplier * -math.log(1 - min(monthly, 0.95)) / 720.0


def from_hazard(
    pools: Iterable[Pool],
    start: datetime,
    end: datetime,
    *,
    seed: int,
    region: str = "us-east-1",
    advisor: AdvisorBands | None = None,
    params: HazardParameters | None = None,
) -> CapacityTimeline:
    p = params or HazardParameters()
    pools = sorted(set(pools))
    rates = {pool: band_rate(advisor, region, pool[0], p) for pool in pools}
    episodes: dict[Pool, list[Outage]] = {pool: [] for pool in pools}
    mean_hours = p.mean_outage_minutes / 60

    def episode(rng: random.Random, pool: Pool, when: datetime, cause: str) -> Outage:
        return Outage(
            pool[0], pool[1], when, min(end, when + timedelta(hours=rng.expovariate(1 / mean_hours))), cause
        )

    for pool in pools:
        rng = _rng(seed, "pool", *pool)
        for when in _poisson_times(rng, rates[pool] * (1 - p.zone_share), start, end):
            episodes[pool].append(episode(rng, pool, when, "pool"))
    groups: dict[tuple[str, str], list[Pool]] = {}
    for pool in pools:
        groups.setdefault((_family(pool[0]), pool[1]), []).append(pool)
    for (family, zone), members in sorted(groups.items()):
        rng = _rng(seed, "zone-shock", family, zone)
        rate = max(rates[m] for m in members) * p.zone_share
        for when in _poisson_times(rng, rate, start, end):
            for member in members:
                episodes[member].append(episode(rng, member, when, "zone-shock"))
    timeline = CapacityTimeline(start, end, {pool: _merge(e) for pool, e in episodes.items()})
    _add_rebalances(timeline, pools, rates, seed, p)
    return timeline


def from_traces(
    pools: Iterable[Pool],
    traces: list[AvailabilityTrace],
    start: datetime,
    end: datetime,
    *,
    seed: int,
    params: HazardParameters | None = None,
) -> CapacityTimeline:
    """Map real availability traces onto pools; pools of one zone share a trace (zone-correlated losses)."""
    if not traces:
        raise ValueError("trace-driven capacity needs at least one availability trace")
    p = params or HazardParameters()
    pools = sorted(set(pools))
    zones = sorted({z for _, z in pools})
    rng = _rng(seed, "trace-assignment")
    assignment = {zone: traces[rng.randrange(len(traces))] for zone in zones}
    offsets = {zone: rng.uniform(0, assignment[zone].duration.total_seconds()) for zone in zones}
    timeline = CapacityTimeline(start, end, {})
    for pool in pools:
        trace, offset = assignment[pool[1]], offsets[pool[1]]
        episodes: list[Outage] = []
        for down_start, down_len in _trace_outages(trace, offset, (end - start).total_seconds()):
            s = start + timedelta(seconds=down_start)
            episodes.append(Outage(pool[0], pool[1], s, min(end, s + timedelta(seconds=down_len)), "trace"))
        timeline.outages[pool] = _merge(episodes)
    hours = (end - start).total_seconds() / 3600
    rates = {pool: len(timeline.outages[pool]) / hours if hours else 0.0 for pool in pools}
    _add_rebalances(timeline, pools, rates, seed, p)
    return timeline


def _trace_outages(trace: AvailabilityTrace, offset: float, length: float) -> list[tuple[float, float]]:
    """Outages of ``trace`` seen through a window of ``length`` seconds starting ``offset`` into it (repeating)."""
    period = trace.duration.total_seconds()
    found: list[tuple[float, float]] = []
    base = -(offset % period)
    while base < length:
        for s, d in trace.outages():
            a, b = base + s, base + s + d
            if b > 0 and a < length:
                found.append((max(a, 0.0), min(b, length) - max(a, 0.0)))
        base += period
    return found
