"""What each pool has cost so far: its nodes, its workloads' outages and its drains, in USD.

The ledger (``spotvortex.sim.world.ledger``) reports a run's totals; this meter splits the same figures by pool
without changing them, so a decision's interval can be charged to the pool it was about:

- **compute**: every instance billed as the ledger bills it (from launch, or from when the ledger opened, to
  termination, at the price in force), charged to the pool its node labels name (the collector's own
  classification, so the pools are the ones decisions are made for);
- **outage**: the ledger's outage hours of every workload × its ``penalty_per_hour``, charged to the
  workload's pool;
- **disruption**: ``eviction_cost_usd`` (default 0.10 USD) per pod a SpotVortex drain evicted from the pool
  (``WorldDrainer.evicted``): the restart, the lost work and the cold cache that no other figure counts.
  Pods lost to interruptions or consolidation are not charged here; their cost shows as outage or compute.
  Plus ``outage_event_cost_usd`` (default 0: the evaluation charges none; rl training sets it, see
  ``training/rl/plans.py``) per **outage event** of the pool's workloads: each entry of a workload into outage,
  exactly as the ledger counts the run's ``outage_events`` (including a workload already in outage when the
  ledger opened), charged to the workload's pool when it starts. The hours of that outage are in ``outage``;
  this is the fixed price of the event itself, which the evaluation's outage gate counts.

Each reading also carries the counts behind the disruption figure (``evictions``, ``outage_events``), so a log
can be re-priced (:meth:`PoolCost.priced`) without running the simulation again.

Readings are cumulative since the ledger opened and move forward with the world's clock: reading a pool at
time ``t`` extends the billing of its instances to ``t`` (each instance is priced piecewise, once per stretch).
Instances whose node names no pool are summed as ``unattributed``. The split is exact up to float rounding:
at any time, compute over the pools plus the unattributed compute is the ledger's compute cost, and the
outage over the pools plus the unattributed outage is the ledger's outage penalty; the outage events over the
pools plus the unattributed ones are the ledger's ``outage_events``, exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from spotvortex.collector.classify import classify
from spotvortex.sim.world.build import SimCluster
from spotvortex.sim.world.machines import Machine

EVICTION_COST_USD = 0.10
"""Disruption cost of one pod evicted by a drain, in USD."""

OUTAGE_EVENT_COST_USD = 0.0
"""Disruption cost of one outage event by default, in USD: none (rl training passes its plan's price)."""


@dataclass(frozen=True)
class PoolCost:
    """USD, cumulative since the ledger opened (or, as a difference of two readings, over an interval), and the
    counts the disruption is priced from."""

    compute: float = 0.0
    outage: float = 0.0
    disruption: float = 0.0  # evictions × eviction cost + outage_events × outage event cost
    evictions: int = 0  # pods the pool's drains evicted
    outage_events: int = 0  # entries of the pool's workloads into outage

    @property
    def total(self) -> float:
        return self.compute + self.outage + self.disruption

    def priced(self, eviction_cost_usd: float, outage_event_cost_usd: float) -> PoolCost:
        """The same cost with the disruption priced at other rates."""
        return replace(
            self,
            disruption=self.evictions * eviction_cost_usd + self.outage_events * outage_event_cost_usd,
        )

    def __sub__(self, other: PoolCost) -> PoolCost:
        return PoolCost(
            self.compute - other.compute,
            self.outage - other.outage,
            self.disruption - other.disruption,
            self.evictions - other.evictions,
            self.outage_events - other.outage_events,
        )

    def __add__(self, other: PoolCost) -> PoolCost:
        return PoolCost(
            self.compute + other.compute,
            self.outage + other.outage,
            self.disruption + other.disruption,
            self.evictions + other.evictions,
            self.outage_events + other.outage_events,
        )


def machine_pool(suffixes: list[str]) -> Callable[[Machine], str | None]:
    """The pool a machine's node belongs to, by the collector's classification of its labels."""

    def pool_of(machine: Machine) -> str | None:
        return classify(machine.labels, suffixes).pool

    return pool_of


@dataclass
class _Billing:
    machine: Machine
    until: datetime  # billed up to here


@dataclass
class _PoolBill:
    """A pool's instances: the cost billed so far, and those still running (or not yet billed to the end)."""

    billed: float = 0.0  # every instance of the pool, billed up to the last reading
    open: list[_Billing] = field(default_factory=list)


class PoolCostMeter:
    """Per-pool cumulative cost, read at the world's current time."""

    def __init__(
        self,
        cluster: SimCluster,
        pool_of: Callable[[Machine], str | None],
        evicted: Mapping[str, int],
        *,
        eviction_cost_usd: float = EVICTION_COST_USD,
        outage_event_cost_usd: float = OUTAGE_EVENT_COST_USD,
    ) -> None:
        if cluster.ledger.opened is None:
            raise RuntimeError("the ledger was never opened")
        self.cluster = cluster
        self.opened: datetime = cluster.ledger.opened
        self.pool_of = pool_of
        self.evicted = evicted
        self.eviction_cost_usd = eviction_cost_usd
        self.outage_event_cost_usd = outage_event_cost_usd
        self._bills: dict[str | None, _PoolBill] = {}
        self._seen = 0  # machines of the fleet's history already assigned to a pool
        self._workloads: dict[str, list[str]] = {}
        for name, availability in cluster.ledger.workloads.items():
            self._workloads.setdefault(availability.spec.pool, []).append(name)

    def _assign(self) -> None:
        history = self.cluster.fleet.history
        for machine in history[self._seen :]:
            bill = self._bills.setdefault(self.pool_of(machine), _PoolBill())
            bill.open.append(_Billing(machine, max(machine.launched, self.opened)))
        self._seen = len(history)

    def _compute(self, pool: str | None, now: datetime) -> float:
        bill = self._bills.get(pool)
        if bill is None:
            return 0.0
        market = self.cluster.world.market
        still_open = []
        for b in bill.open:
            m = b.machine
            stop = min(m.terminated or now, now)
            if stop > b.until:
                bill.billed += market.cost(m.instance_type, m.zone, m.capacity_type, b.until, stop)
                b.until = stop
            if m.terminated is None or m.terminated > now:
                still_open.append(b)
        bill.open = still_open
        return bill.billed

    def _outage(self, workloads: list[str], now: datetime) -> tuple[float, int]:
        """The outage penalty of ``workloads`` up to ``now``, and their outage events (as the ledger counts)."""
        penalty = 0.0
        events = 0
        for name in workloads:
            a = self.cluster.ledger.workloads[name]
            seconds = a.outage_seconds
            if a.outage_since is not None:
                seconds += (now - a.outage_since).total_seconds()
            penalty += seconds / 3600 * a.spec.penalty_per_hour
            events += a.outage_events
        return penalty, events

    def _cost(self, compute: float, workloads: list[str], evictions: int, now: datetime) -> PoolCost:
        outage, events = self._outage(workloads, now)
        return PoolCost(compute, outage, 0.0, evictions, events).priced(
            self.eviction_cost_usd, self.outage_event_cost_usd
        )

    def read(self, pool: str) -> PoolCost:
        """What ``pool`` has cost from the ledger's opening to now."""
        now = self.cluster.world.now
        self._assign()
        return self._cost(
            self._compute(pool, now), self._workloads.get(pool, []), self.evicted.get(pool, 0), now
        )

    def unattributed(self, pools: set[str]) -> PoolCost:
        """What no pool of ``pools`` accounts for, up to now: instances whose node names no pool (or a pool
        outside ``pools``), and the outages and drains of workloads and pools outside ``pools``."""
        now = self.cluster.world.now
        self._assign()
        compute = sum(self._compute(p, now) for p in list(self._bills) if p is None or p not in pools)
        workloads = [w for p, ws in self._workloads.items() if p not in pools for w in ws]
        evictions = sum(n for p, n in self.evicted.items() if p not in pools)
        return self._cost(compute, workloads, evictions, now)
