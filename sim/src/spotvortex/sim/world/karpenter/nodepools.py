"""NodePools as Karpenter reads them, and the offerings each one may launch.

An offering is (instance type, zone, capacity type); a NodePool's requirements on
``node.kubernetes.io/instance-type``, ``topology.kubernetes.io/zone`` and ``karpenter.sh/capacity-type``
select offerings from the catalogue, and every launched node carries the labels of its offering plus the
pool's template labels. Pods are matched against those exact labels with the scheduler's own predicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spotvortex.contracts.disruption_budgets import parse_duration
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.predicates import selector_matches
from spotvortex.sim.world.quantity import cpu_millis, memory_mib
from spotvortex.sim.world.shapes import Shape

WELL_KNOWN_KEYS = (L.INSTANCE_TYPE, L.ZONE, L.CAPACITY_TYPE)
OFFERING_KEYS = frozenset(WELL_KNOWN_KEYS)
"""Node labels whose value comes from the offering rather than from the NodePool."""


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
    _node_labels: dict[tuple[str, str, str], Mapping[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def node_labels(self, offering: Offering) -> Mapping[str, str]:
        """The labels a node of this offering carries; read-only, built once per offering.

        Provisioning and consolidation match pods against these for every offering many times per pass.
        """
        found = self._node_labels.get(offering.key)
        if found is None:
            found = self._node_labels[offering.key] = {
                **self.labels,
                L.NODEPOOL: self.name,
                L.CAPACITY_TYPE: offering.capacity_type,
                L.INSTANCE_TYPE: offering.shape.name,
                L.ZONE: offering.zone,
            }
        return found

    @property
    def has_limits(self) -> bool:
        return self.cpu_limit is not None or self.memory_limit is not None

    def may_admit(self, pod: Mapping[str, Any]) -> bool:
        """False when the pod's ``nodeSelector`` rules out every node this pool could launch.

        A label not taken from the offering has the same value on all of the pool's nodes, so one
        mismatch there settles it without asking each offering (most pools fail this way for most pods).
        """
        selector = (pod.get("spec") or {}).get("nodeSelector") or {}
        for key, value in selector.items():
            if key in OFFERING_KEYS:
                continue
            have = self.name if key == L.NODEPOOL else self.labels.get(key)
            if have != value:
                return False
        return True

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
