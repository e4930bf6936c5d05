"""Workloads: Deployments and StatefulSets as their controllers keep them, plus their PDBs.

The emulator does not serve ``apps/v1``; the controller lives here and stamps its pods with the owner
references and labels a real ReplicaSet or StatefulSet would, which is all that drains, PDBs and the
collector look at. A deleted pod is replaced at once (a Deployment gets a new name, a StatefulSet the same
one), which is what makes an interruption cost readiness rather than replicas.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spotvortex.sim.kube.watch import DELETED, Change

from . import labels as L
from .core import World
from .quantity import format_cpu, format_memory
from .state import pod_key

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class WorkloadSpec:
    """What a scenario declares for one workload (defaults documented in docs/simulation.md)."""

    name: str
    pool: str
    replicas: int
    cpu_millis: int
    memory_mib: int
    namespace: str = "default"
    kind: str = "Deployment"  # or "StatefulSet"
    startup_seconds: float = 30.0
    priority: int = 0
    capacity_types: tuple[str, ...] = ()  # () = anywhere in the pool; ("on-demand",) pins it
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    floor: int = 1
    """Ready replicas below this count is an outage."""
    penalty_per_hour: float = 0.0
    tolerations: tuple[dict[str, Any], ...] = ()
    extra_labels: dict[str, str] = field(default_factory=dict)

    @property
    def template_hash(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:10]

    @property
    def controller(self) -> tuple[str, str]:
        """(kind, name) of the object that owns the pods: the StatefulSet, or the Deployment's ReplicaSet."""
        if self.kind == "StatefulSet":
            return ("StatefulSet", self.name)
        return ("ReplicaSet", f"{self.name}-{self.template_hash}")


def _suffix(world: World, n: int = 5) -> str:
    rng = world.rng("pod-names")
    return "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(n))


def pod_manifest(spec: WorkloadSpec, name: str) -> dict[str, Any]:
    selector_labels = {"app": spec.name, L.WORKLOAD: spec.name}
    owner: dict[str, Any]
    if spec.kind == "StatefulSet":
        owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": spec.controller[1]}
        extra = {"statefulset.kubernetes.io/pod-name": name}
    else:
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": spec.controller[1]}
        extra = {"pod-template-hash": spec.template_hash}
    owner |= {
        "uid": hashlib.sha256(owner["name"].encode()).hexdigest()[:32],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    pod_spec: dict[str, Any] = {
        "containers": [
            {
                "name": "app",
                "image": "registry.k8s.io/pause:3.10",
                "resources": {
                    "requests": {"cpu": format_cpu(spec.cpu_millis), "memory": format_memory(spec.memory_mib)}
                },
            }
        ],
        "nodeSelector": {L.POOL: spec.pool},
        "priority": spec.priority,
        "terminationGracePeriodSeconds": 30,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
    }
    if spec.capacity_types:
        pod_spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": L.CAPACITY_TYPE,
                                    "operator": "In",
                                    "values": list(spec.capacity_types),
                                }
                            ]
                        }
                    ]
                }
            }
        }
    if spec.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in spec.tolerations]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": spec.namespace,
            "labels": selector_labels | extra | {L.POOL: spec.pool} | spec.extra_labels,
            "annotations": {
                L.STARTUP_ANNOTATION: f"{spec.startup_seconds:g}s",
                L.PENALTY_ANNOTATION: f"{spec.penalty_per_hour:g}",
            },
            "ownerReferences": [owner],
        },
        "spec": pod_spec,
        "status": {"phase": "Pending"},
    }


def pdb_manifest(spec: WorkloadSpec) -> dict[str, Any] | None:
    if spec.min_available is None and spec.max_unavailable is None:
        return None
    body: dict[str, Any] = {"selector": {"matchLabels": {L.WORKLOAD: spec.name}}}
    if spec.min_available is not None:
        body["minAvailable"] = spec.min_available
    else:
        body["maxUnavailable"] = spec.max_unavailable
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": spec.name, "namespace": spec.namespace},
        "spec": body,
    }


class Workloads:
    """Keeps every workload at its replica count."""

    def __init__(self, world: World, specs: list[WorkloadSpec]) -> None:
        self.world = world
        self.specs = {s.name: s for s in specs}
        self._owned: dict[tuple[str, str], str] = {}
        self._controllers = {(s.namespace, *s.controller): s for s in specs}
        world.state.observe(self._on_change)
        world.store.scale_of = self.scale_of

    def scale_of(self, namespace: str, owner: Mapping[str, Any]) -> int | None:
        """Replicas of the workload behind a ReplicaSet/StatefulSet owner reference."""
        spec = self._controllers.get((namespace, str(owner.get("kind")), str(owner.get("name"))))
        return spec.replicas if spec is not None else None

    def create_all(self) -> None:
        store = self.world.store
        for spec in self.specs.values():
            namespaces = {m["metadata"]["name"] for m in store.list("namespaces")}
            if spec.namespace not in namespaces:
                store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.namespace}})
            pdb = pdb_manifest(spec)
            if pdb is not None:
                store.create(pdb)
            for ordinal in range(spec.replicas):
                self._create_pod(spec, ordinal)

    def _pod_name(self, spec: WorkloadSpec, ordinal: int) -> str:
        if spec.kind == "StatefulSet":
            return f"{spec.name}-{ordinal}"
        while True:
            name = f"{spec.name}-{spec.template_hash}-{_suffix(self.world)}"
            if (spec.namespace, name) not in self.world.state.pods:
                return name

    def _create_pod(self, spec: WorkloadSpec, ordinal: int) -> None:
        name = self._pod_name(spec, ordinal)
        self.world.store.create(pod_manifest(spec, name))
        self._owned[(spec.namespace, name)] = spec.name

    def _on_change(self, change: Change) -> None:
        if change.type != DELETED or change.resource != ("", "pods"):
            return
        key = pod_key(change.obj)
        owner = self._owned.pop(key, None)
        if owner is None:
            return
        spec = self.specs[owner]
        ordinal = int(key[1].rsplit("-", 1)[1]) if spec.kind == "StatefulSet" else 0
        self.world.timeline.at(self.world.now, "replace-pod", lambda: self._create_pod(spec, ordinal))
