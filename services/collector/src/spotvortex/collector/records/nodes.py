"""Nodes: pool membership from the classification, readiness, cordons, allocatable room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spotvortex.collector import labels as L
from spotvortex.collector.classify import classify
from spotvortex.collector.quantity import quantity
from spotvortex.collector.records.common import Obj, condition, labels_of, meta_of, parse_time
from spotvortex.contracts.capacity import ON_DEMAND, RESERVED, SPOT
from spotvortex.contracts.enums import Provisioner


@dataclass(frozen=True, slots=True)
class NodeRecord:
    name: str
    pool: str | None
    provisioner: Provisioner | None
    capacity_type: str | None
    instance_type: str | None
    zone: str | None
    nodepool: str | None
    instance_id: str | None
    ready: bool
    cordoned: bool
    deleting: bool
    control_plane: bool
    cpu_allocatable: float
    memory_allocatable: float
    created: datetime | None
    do_not_disrupt: bool = False

    @property
    def capacity_bucket(self) -> str:
        """Spot, reserved, or on-demand; a node with no or an unknown capacity label counts as on-demand."""
        if self.capacity_type == SPOT:
            return SPOT
        if self.capacity_type == RESERVED:
            return RESERVED
        return ON_DEMAND

    @property
    def draining(self) -> bool:
        return self.cordoned or self.deleting

    @property
    def schedulable(self) -> bool:
        return self.ready and not self.cordoned and not self.deleting


def instance_id_of(provider_id: object) -> str | None:
    """``aws:///us-east-1a/i-0abc`` → ``i-0abc`` (the last non-empty path segment)."""
    if not isinstance(provider_id, str):
        return None
    parts = [p for p in provider_id.split("/") if p]
    return parts[-1] if len(parts) > 1 else None


def node_record(obj: Obj, suffixes: list[str], fallback: Provisioner | None = None) -> NodeRecord:
    meta = meta_of(obj)
    labels = labels_of(meta)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    cls = classify(labels, suffixes, fallback)
    ready = condition(obj, "Ready")
    taints = {
        t.get("key") for t in spec.get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")
    }
    allocatable = status.get("allocatable") or {}
    return NodeRecord(
        name=str(meta.get("name", "")),
        pool=cls.pool,
        provisioner=cls.provisioner,
        capacity_type=cls.capacity_type,
        instance_type=labels.get(L.INSTANCE_TYPE) or labels.get(L.INSTANCE_TYPE_BETA),
        zone=labels.get(L.ZONE) or labels.get(L.ZONE_BETA),
        nodepool=labels.get(L.NODEPOOL) or labels.get(L.EKS_NODEGROUP),
        instance_id=instance_id_of(spec.get("providerID")),
        ready=ready is not None and ready.get("status") == "True",
        cordoned=bool(spec.get("unschedulable")) or bool(taints & L.CORDON_TAINTS),
        deleting=bool(meta.get("deletionTimestamp")),
        control_plane=cls.control_plane,
        cpu_allocatable=quantity(allocatable.get("cpu")),
        memory_allocatable=quantity(allocatable.get("memory")),
        created=parse_time(meta.get("creationTimestamp")),
        do_not_disrupt=str((meta.get("annotations") or {}).get(L.DO_NOT_DISRUPT, "")).strip().lower()
        == "true",
    )
