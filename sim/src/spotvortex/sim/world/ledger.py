"""What a run cost: compute (instance-hours × the price in force) and outages (time below the floor).

Instances are billed from launch to termination, as EC2 bills. A workload is in outage while its Ready pods
are fewer than its floor; each entry into that state is one outage event, and the penalty accrues per hour
of it (DESIGN §5: ``net_cost = compute_cost + outage_penalty``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from spotvortex.sim.kube.pdb import is_pod_ready
from spotvortex.sim.kube.watch import DELETED, Change

from . import labels as L
from .core import World
from .fleet import Fleet
from .state import PODS, PodKey, pod_key
from .workloads import WorkloadSpec


@dataclass
class Availability:
    spec: WorkloadSpec
    ready: set[PodKey] = field(default_factory=set)
    outage_since: datetime | None = None
    outage_events: int = 0
    outage_seconds: float = 0.0


@dataclass(frozen=True)
class Costs:
    """Totals over a window; every figure in USD, hours or counts."""

    compute_cost: float
    spot_cost: float
    on_demand_cost: float
    spot_hours: float
    on_demand_hours: float
    outage_penalty: float
    outage_events: int
    outage_minutes: float
    interruptions: int

    @property
    def net_cost(self) -> float:
        return self.compute_cost + self.outage_penalty

    @property
    def spot_residency(self) -> float:
        total = self.spot_hours + self.on_demand_hours
        return self.spot_hours / total if total else 0.0


class Ledger:
    """Follows instances and workload readiness from ``open()`` on."""

    def __init__(self, world: World, fleet: Fleet, workloads: Iterable[WorkloadSpec]) -> None:
        self.world = world
        self.fleet = fleet
        self.opened: datetime | None = None
        self.workloads = {w.name: Availability(w) for w in workloads}
        world.state.observe(self._on_change)

    def open(self) -> None:
        """Start counting now (after the warm start)."""
        self.opened = self.world.now
        for a in self.workloads.values():
            a.outage_events, a.outage_seconds = 0, 0.0
            a.outage_since = self.world.now if len(a.ready) < a.spec.floor else None
            if a.outage_since is not None:
                a.outage_events = 1

    def _on_change(self, change: Change) -> None:
        if change.resource != PODS:
            return
        name = ((change.obj["metadata"].get("labels") or {}).get(L.WORKLOAD)) or ""
        availability = self.workloads.get(name)
        if availability is None:
            return
        key = pod_key(change.obj)
        if (
            change.type != DELETED
            and is_pod_ready(change.obj)
            and not change.obj["metadata"].get("deletionTimestamp")
        ):
            availability.ready.add(key)
        else:
            availability.ready.discard(key)
        if self.opened is None:
            return
        below = len(availability.ready) < availability.spec.floor
        now = self.world.now
        if below and availability.outage_since is None:
            availability.outage_since = now
            availability.outage_events += 1
            self.world.journal.record("outage-started", workload=name, ready=len(availability.ready))
        elif not below and availability.outage_since is not None:
            availability.outage_seconds += (now - availability.outage_since).total_seconds()
            availability.outage_since = None
            self.world.journal.record("outage-ended", workload=name)

    def interruptions(self, until: datetime | None = None) -> int:
        """Instances given an interruption notice since the ledger opened (what ``costs`` counts), without
        pricing the fleet's history."""
        if self.opened is None:
            raise RuntimeError("the ledger was never opened")
        end = until or self.world.now
        return sum(1 for m in self.fleet.history if m.notice is not None and self.opened <= m.notice <= end)

    def costs(self, until: datetime | None = None) -> Costs:
        if self.opened is None:
            raise RuntimeError("the ledger was never opened")
        end = until or self.world.now
        market = self.world.market
        spot_cost = od_cost = spot_h = od_h = 0.0
        interruptions = 0
        for m in self.fleet.history:
            if m.notice is not None and self.opened <= m.notice <= end:
                interruptions += 1
            start = max(m.launched, self.opened)
            stop = min(m.terminated or end, end)
            if stop <= start:
                continue
            cost = market.cost(m.instance_type, m.zone, m.capacity_type, start, stop)
            hours = (stop - start).total_seconds() / 3600
            if m.spot:
                spot_cost, spot_h = spot_cost + cost, spot_h + hours
            else:
                od_cost, od_h = od_cost + cost, od_h + hours
        penalty = events = 0.0
        minutes = 0.0
        for a in self.workloads.values():
            seconds = a.outage_seconds
            if a.outage_since is not None:
                seconds += (end - a.outage_since).total_seconds()
            minutes += seconds / 60
            penalty += seconds / 3600 * a.spec.penalty_per_hour
            events += a.outage_events
        return Costs(
            compute_cost=spot_cost + od_cost,
            spot_cost=spot_cost,
            on_demand_cost=od_cost,
            spot_hours=spot_h,
            on_demand_hours=od_h,
            outage_penalty=penalty,
            outage_events=int(events),
            outage_minutes=minutes,
            interruptions=interruptions,
        )
