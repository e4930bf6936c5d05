"""What the router needs to know about NodePools and nodes, read from plain API objects.

Parsing lives apart from the API calls so the planning code (and the evaluation, which has no API server)
works on the same small values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from spotvortex.contracts.capacity import is_spot

CAPACITY_TYPE = "karpenter.sh/capacity-type"
NODEPOOL = "karpenter.sh/nodepool"
DISRUPTED_TAINT = "karpenter.sh/disrupted"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
SPOT, ON_DEMAND = "spot", "on-demand"
NARROWED_ANNOTATION = "spotvortex.io/narrowed-capacity-types"
"""Set on a NodePool whose capacity types the router narrowed to on-demand: the types to restore."""
WEIGHT_ANNOTATION = "spotvortex.io/weight-before"
"""Set on a NodePool whose weight the router changed: the operator's weight (``none`` for unset)."""
LIMITS_ANNOTATION = "spotvortex.io/limits-before"
"""Set on a spot NodePool whose ``limits`` the router tightened: the operator's limits, as JSON."""


@dataclass(frozen=True)
class NodePoolView:
    name: str
    weight: int | None
    requirements: list[dict[str, Any]] = field(default_factory=list)
    narrowed_from: list[str] | None = None
    weight_before: str | None = None
    limits: dict[str, str] = field(default_factory=dict)
    limits_before: str | None = None

    @property
    def capacity_types(self) -> list[str]:
        """The capacity types the NodePool may launch; empty means unrestricted (Karpenter: on-demand only,
        unless a requirement allows spot — we treat it as able to hold either)."""
        for req in self.requirements:
            if req.get("key") == CAPACITY_TYPE and req.get("operator") == "In":
                return [str(v) for v in req.get("values") or []]
        return []


@dataclass(frozen=True)
class NodeView:
    name: str
    capacity_type: str
    nodepool: str | None
    created: datetime
    ready: bool = True
    cordoned: bool = False
    deleting: bool = False
    interruption_pending: bool = False
    pods: int = 0
    cpu_millis: int = 0
    do_not_disrupt: bool = False

    @property
    def movable(self) -> bool:
        return self.ready and not self.cordoned and not self.deleting and not self.do_not_disrupt


def parse_nodepool(obj: Mapping[str, Any]) -> NodePoolView:
    spec = obj.get("spec") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return NodePoolView(
        name=obj["metadata"]["name"],
        weight=spec.get("weight"),
        requirements=list(template_spec.get("requirements") or []),
        narrowed_from=_split(annotations.get(NARROWED_ANNOTATION)),
        weight_before=annotations.get(WEIGHT_ANNOTATION),
        limits={str(k): str(v) for k, v in (spec.get("limits") or {}).items()},
        limits_before=annotations.get(LIMITS_ANNOTATION),
    )


def cpu_millis(value: object) -> int:
    """A CPU quantity (``4``, ``3500m``, ``0.5``) in millicores; 0 for anything unreadable."""
    text = str(value or "").strip()
    try:
        if text.endswith("m"):
            return int(float(text[:-1]))
        return round(float(text) * 1000)
    except ValueError:
        return 0


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v for v in value.split(",") if v]


def parse_node(obj: Mapping[str, Any], pods: int = 0) -> NodeView:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    spec = obj.get("spec") or {}
    taints = {t.get("key") for t in spec.get("taints") or []}
    status = obj.get("status") or {}
    conditions = status.get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return NodeView(
        name=meta["name"],
        capacity_type=SPOT if is_spot(labels) else ON_DEMAND,
        nodepool=labels.get(NODEPOOL),
        created=datetime.fromisoformat(str(meta.get("creationTimestamp", "1970-01-01T00:00:00Z"))),
        ready=ready,
        cordoned=bool(spec.get("unschedulable")) or UNSCHEDULABLE_TAINT in taints,
        deleting=meta.get("deletionTimestamp") is not None,
        interruption_pending=DISRUPTED_TAINT in taints,
        pods=pods,
        cpu_millis=cpu_millis((status.get("capacity") or status.get("allocatable") or {}).get("cpu")),
        do_not_disrupt=str((meta.get("annotations") or {}).get(DO_NOT_DISRUPT, "")).lower() == "true",
    )
