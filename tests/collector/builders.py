"""Kubernetes objects as the API returns them, for the collector's tests: small, explicit, labelled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STAMP = "2026-03-02T11:00:00Z"


def node(
    name: str,
    *,
    pool: str | None = None,
    nodepool: str | None = None,
    capacity: str | None = "spot",
    instance_type: str = "m5.large",
    zone: str = "us-east-1a",
    ready: bool = True,
    unschedulable: bool = False,
    taints: list[dict[str, str]] | None = None,
    instance_id: str | None = None,
    cpu: str = "4",
    memory: str = "16Gi",
    labels: dict[str, str] | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    """A Karpenter node of NodePool ``nodepool`` (default ``<pool>-<capacity>``) unless labels say otherwise."""
    all_labels = {"node.kubernetes.io/instance-type": instance_type, "topology.kubernetes.io/zone": zone}
    if capacity is not None:
        all_labels["karpenter.sh/capacity-type"] = capacity
    if nodepool is None and pool is not None:
        nodepool = f"{pool}-{'od' if capacity == 'on-demand' else capacity}"
    if nodepool is not None:
        all_labels["karpenter.sh/nodepool"] = nodepool
    all_labels.update(labels or {})
    metadata: dict[str, Any] = {"name": name, "labels": all_labels, "creationTimestamp": STAMP}
    if deleting:
        metadata["deletionTimestamp"] = STAMP
        metadata["finalizers"] = ["karpenter.sh/termination"]
    spec: dict[str, Any] = {"providerID": f"aws:///{zone}/{instance_id or 'i-' + name}"}
    if unschedulable:
        spec["unschedulable"] = True
    if taints:
        spec["taints"] = taints
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata,
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(
    name: str,
    node_name: str | None,
    *,
    namespace: str = "default",
    app: str = "web",
    cpu: str | None = "500m",
    memory: str | None = "1Gi",
    owner: tuple[str, str] | None = ("ReplicaSet", "web-1"),
    phase: str = "Running",
    annotations: dict[str, str] | None = None,
    priority_class: str | None = None,
    startup_seconds: int | None = None,
    labels: dict[str, str] | None = None,
    extra_spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {"app": app, **(labels or {})},
        "annotations": annotations or {},
    }
    if owner is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner[0],
                "name": owner[1],
                "uid": f"uid-{owner[1]}",
                "controller": True,
            }
        ]
    spec: dict[str, Any] = {
        "containers": [{"name": "app", "image": "app:1", "resources": {"requests": requests}}]
    }
    if node_name:
        spec["nodeName"] = node_name
    if priority_class:
        spec["priorityClassName"] = priority_class
    spec.update(extra_spec or {})
    status: dict[str, Any] = {"phase": phase}
    if phase == "Running":
        ready_at = f"2026-03-02T11:00:{startup_seconds:02d}Z" if startup_seconds is not None else STAMP
        status["startTime"] = STAMP
        status["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def pdb(
    name: str,
    match_labels: dict[str, str] | None,
    *,
    namespace: str = "default",
    allowed: int | None = 1,
    current: int | None = None,
    desired: int | None = None,
    min_available: int | str | None = None,
    expressions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A PDB; ``allowed``/``current``/``desired`` fill its status as the disruption controller would."""
    selector: dict[str, Any] | None = None
    if match_labels is not None or expressions is not None:
        selector = {}
        if match_labels is not None:
            selector["matchLabels"] = match_labels
        if expressions is not None:
            selector["matchExpressions"] = expressions
    spec: dict[str, Any] = {}
    if selector is not None:
        spec["selector"] = selector
    if min_available is not None:
        spec["minAvailable"] = min_available
    status: dict[str, Any] = {}
    if allowed is not None:
        status["disruptionsAllowed"] = allowed
    if current is not None:
        status["currentHealthy"] = current
    if desired is not None:
        status["desiredHealthy"] = desired
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": status,
    }


def nodepool(
    name: str,
    *,
    capacity_types: list[str] | None = None,
    weight: int | None = None,
    budgets: list[dict[str, Any]] | None = None,
    instance_types: list[str] | None = None,
    zones: list[str] | None = None,
    labels: dict[str, str] | None = None,
    version: str = "v1",
) -> dict[str, Any]:
    requirements: list[dict[str, Any]] = []
    if capacity_types is not None:
        requirements.append({"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types})
    if instance_types is not None:
        requirements.append(
            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": instance_types}
        )
    if zones is not None:
        requirements.append({"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones})
    spec: dict[str, Any] = {"template": {"spec": {"requirements": requirements}}}
    if weight is not None:
        spec["weight"] = weight
    if budgets is not None:
        spec["disruption"] = {"budgets": budgets}
    return {
        "apiVersion": f"karpenter.sh/{version}",
        "kind": "NodePool",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }
