"""NodePools as Karpenter reads them, and the offerings each one may launch.

An offering is (instance type, zone, capacity type); a NodePool's requirements on
``node.kubernetes.io/instance-type``, ``topology.kubernetes.io/zone`` and ``karpenter.sh/capacity-type``
select offerings from the catalogue, and every launched node carries the labels of its offering plus the
pool's template labels. Pods are matched against those exact labels with the scheduler's own predicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spotvortex.contracts.disruption_budgets import parse_duration
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.predicates import selector_matches
from spotvortex.sim.world.quantity import cpu_millis, memory_mib
from spotvortex.sim.world.shapes import Shape

WELL_KNOWN_KEYS = (L.INSTANCE_TYPE, L.ZONE, L.CAPACITY_TYPE)


@dataclass(frozen=True)
class Offering:
    shape: Shape
    zone: str
    capacity_type: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.shape.name, self.zone, self.capacity_type)


@dataclass(frozen=True)
class NodePoolView:
    """The parts of a NodePool that provisioning and disruption use."""

    name: str
    weight: int
    requirements: tuple[dict[str, Any], ...]
    labels: Mapping[str, str]
    taints: tuple[dict[str, Any], ...]
    cpu_limit: int | None
    memory_limit: int | None
    budgets: tuple[dict[str, Any], ...]
    consolidation_policy: str
    consolidate_after_seconds: float | None
    requirements_key: str = ""  # ``requirements`` as text: a cache key for the offerings they allow

    def node_labels(self, offering: Offering) -> dict[str, str]:
        return {
            **self.labels,
            L.NODEPOOL: self.name,
            L.CAPACITY_TYPE: offering.capacity_type,
            L.INSTANCE_TYPE: offering.shape.name,
            L.ZONE: offering.zone,
        }

    def allows(self, offering: Offering) -> bool:
        """The offering satisfies every requirement (unconstrained keys are free)."""
        labels = self.node_labels(offering)
        term = {"matchExpressions": [dict(r) for r in self.requirements if r.get("key") in labels]}
        required = {"nodeSelectorTerms": [term]}
        probe = {
            "spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
            }
        }
        return selector_matches(probe, labels)


def parse_nodepool(obj: Mapping[str, Any]) -> NodePoolView:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    tspec = template.get("spec") or {}
    limits = spec.get("limits") or {}
    disruption = spec.get("disruption") or {}
    return NodePoolView(
        name=obj["metadata"]["name"],
        weight=int(spec.get("weight") or 0),
        requirements=tuple(tspec.get("requirements") or ()),
        requirements_key=repr(tspec.get("requirements") or ()),
        labels=dict((template.get("metadata") or {}).get("labels") or {}),
        taints=tuple(tspec.get("taints") or ()),
        cpu_limit=cpu_millis(limits["cpu"]) if "cpu" in limits else None,
        memory_limit=memory_mib(limits["memory"]) if "memory" in limits else None,
        budgets=tuple(disruption.get("budgets") or ({"nodes": "10%"},)),
        consolidation_policy=str(disruption.get("consolidationPolicy") or "WhenEmptyOrUnderutilized"),
        consolidate_after_seconds=parse_duration(disruption.get("consolidateAfter", "0s")),
    )


def offerings(pool: NodePoolView, catalogue: Sequence[Shape], zones: Sequence[str]) -> list[Offering]:
    """Every offering the pool's requirements allow, in a stable order."""
    found = []
    for shape in catalogue:
        for zone in zones:
            for capacity_type in (L.SPOT, L.ON_DEMAND):
                offering = Offering(shape, zone, capacity_type)
                if pool.allows(offering):
                    found.append(offering)
    return found
