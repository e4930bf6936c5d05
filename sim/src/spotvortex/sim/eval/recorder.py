"""What every run records besides the ledger, whatever the policy: pod restarts and an hourly time series."""

from __future__ import annotations

from dataclasses import dataclass, field

from spotvortex.drainer.replacement import is_placeholder
from spotvortex.sim.kube.watch import Change
from spotvortex.sim.world.build import SimCluster

SAMPLE_SECONDS = 3600.0


@dataclass
class Sample:
    hours: float
    spot_share: float
    nodes: int
    interruptions: int
    mean_spot_price_ratio: float


@dataclass
class Recorder:
    cluster: SimCluster
    pod_restarts: int = 0
    samples: list[Sample] = field(default_factory=list)

    def start(self) -> None:
        self.cluster.world.store.hub.listen(self._on_change)
        self.cluster.world.timeline.after(0.0, "eval-sample", self._sample)

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED" and change.obj.get("kind") == "Pod" and not is_placeholder(change.obj):
            self.pod_restarts += 1  # a placeholder making room for a replacement is not a workload restart

    def _sample(self) -> None:
        world = self.cluster.world
        machines = [m for m in self.cluster.fleet.machines.values() if m.terminated is None]
        spot = sum(1 for m in machines if m.capacity_type == "spot")
        ratios = []
        for m in machines:
            od = world.market.on_demand_price(m.instance_type)
            price = world.market.spot_price(m.instance_type, m.zone, world.now)
            if od and price is not None:
                ratios.append(price / od)
        opened = self.cluster.ledger.opened or world.now
        self.samples.append(
            Sample(
                hours=round((world.now - opened).total_seconds() / 3600, 3),
                spot_share=round(spot / len(machines), 4) if machines else 0.0,
                nodes=len(machines),
                interruptions=self.cluster.ledger.interruptions(),
                mean_spot_price_ratio=round(sum(ratios) / len(ratios), 4) if ratios else 0.0,
            )
        )
        if world.now < self.cluster.end:
            world.timeline.after(SAMPLE_SECONDS, "eval-sample", self._sample)
