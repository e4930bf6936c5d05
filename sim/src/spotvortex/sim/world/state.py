"""An always-current index of nodes and pods, fed by the store's commit stream.

Controllers ask "which pods are pending", "what is free on this node", "which pods run there" many times per
simulated minute; re-listing the store each time would make a 30-day run of a 200-node cluster take hours.
The index follows every commit instead (see ``WatchHub.listen``) and answers from memory. It only reads:
writes go through the store so HTTP clients see the same world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from spotvortex.sim.kube.pdb import is_pod_ready
from spotvortex.sim.kube.watch import DELETED, Change

from .predicates import requests_of
from .quantity import cpu_millis, memory_mib

Obj = dict[str, Any]
PodKey = tuple[str, str]  # (namespace, name)
NODES = ("", "nodes")
PODS = ("", "pods")


@dataclass
class NodeInfo:
    """One node's labels, taints and how much of it is taken."""

    name: str
    obj: Obj
    allocatable_cpu: int
    allocatable_memory: int
    allocatable_pods: int
    used_cpu: int = 0
    used_memory: int = 0
    pods: set[PodKey] = field(default_factory=set)

    @property
    def labels(self) -> Mapping[str, str]:
        labels: Mapping[str, str] = self.obj["metadata"].get("labels") or {}
        return labels

    @property
    def taints(self) -> list[Obj]:
        taints: list[Obj] = (self.obj.get("spec") or {}).get("taints") or []
        return taints

    @property
    def unschedulable(self) -> bool:
        return bool((self.obj.get("spec") or {}).get("unschedulable"))

    @property
    def ready(self) -> bool:
        for cond in (self.obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Ready":
                return bool(cond.get("status") == "True")
        return False

    @property
    def deleting(self) -> bool:
        return bool(self.obj["metadata"].get("deletionTimestamp"))

    def fits(self, cpu: int, memory: int) -> bool:
        return (
            self.used_cpu + cpu <= self.allocatable_cpu
            and self.used_memory + memory <= self.allocatable_memory
            and len(self.pods) < self.allocatable_pods
        )


class NodeSet:
    """Nodes indexed by label: a pod's ``nodeSelector`` narrows the search before the full filters run,
    which is what keeps scheduling and consolidation cheap on a cluster of hundreds of nodes."""

    def __init__(self, nodes: list[NodeInfo]) -> None:
        self.nodes = nodes
        self._by_label: dict[tuple[str, str], list[NodeInfo]] = {}
        for node in nodes:
            for item in node.labels.items():
                self._by_label.setdefault(item, []).append(node)

    def candidates(self, pod: Obj) -> list[NodeInfo]:
        """Nodes carrying every ``nodeSelector`` label (all nodes when the pod has none)."""
        selector = (pod.get("spec") or {}).get("nodeSelector") or {}
        if not selector:
            return self.nodes
        return min((self._by_label.get((k, str(v)), []) for k, v in selector.items()), key=len)


def _allocatable(node: Obj) -> tuple[int, int, int]:
    status = node.get("status") or {}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    return cpu_millis(alloc.get("cpu", 0)), memory_mib(alloc.get("memory", 0)), int(alloc.get("pods", 110))


def pod_key(pod: Obj) -> PodKey:
    m = pod["metadata"]
    return (m.get("namespace") or "default", m["name"])


def node_name_of(pod: Obj) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class ClusterState:
    """Nodes and pods as last committed, with per-node usage and the set of pods waiting for a node."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self.pods: dict[PodKey, Obj] = {}
        self.pending: set[PodKey] = set()
        self._orphans: dict[str, set[PodKey]] = {}
        self._observers: list[Callable[[Change], None]] = []
        self.generation = 0
        """Bumped on every pod or node change: "has anything moved since I last looked?"."""

    def observe(self, observer: Callable[[Change], None]) -> None:
        """Be told of pod and node changes after the index has taken them in."""
        self._observers.append(observer)

    def __call__(self, change: Change) -> None:
        if change.resource == PODS:
            self._pod_changed(change)
        elif change.resource == NODES:
            self._node_changed(change)
        else:
            return
        self.generation += 1
        for observer in self._observers:
            observer(change)

    # -- index maintenance -------------------------------------------------------------------------------

    def _unplace(self, key: PodKey, pod: Obj) -> None:
        node = self.nodes.get(node_name_of(pod))
        if node is not None and key in node.pods:
            node.pods.discard(key)
            cpu, mem = requests_of(pod)
            node.used_cpu -= cpu
            node.used_memory -= mem
        orphans = self._orphans.get(node_name_of(pod))
        if orphans:
            orphans.discard(key)

    def _place(self, key: PodKey, pod: Obj) -> None:
        name = node_name_of(pod)
        node = self.nodes.get(name)
        if node is None:
            self._orphans.setdefault(name, set()).add(key)
            return
        node.pods.add(key)
        cpu, mem = requests_of(pod)
        node.used_cpu += cpu
        node.used_memory += mem

    def _pod_changed(self, change: Change) -> None:
        pod = change.obj
        key = pod_key(pod)
        old = self.pods.get(key)
        if old is not None and node_name_of(old) and not is_terminal(old):
            self._unplace(key, old)
        self.pending.discard(key)
        if change.type == DELETED:
            self.pods.pop(key, None)
            return
        self.pods[key] = pod
        if is_terminal(pod):
            return
        if node_name_of(pod):
            self._place(key, pod)
        elif not pod["metadata"].get("deletionTimestamp"):
            self.pending.add(key)

    def _node_changed(self, change: Change) -> None:
        name = change.obj["metadata"]["name"]
        if change.type == DELETED:
            self.nodes.pop(name, None)
            return
        cpu, mem, pods = _allocatable(change.obj)
        existing = self.nodes.get(name)
        if existing is None:
            info = NodeInfo(name, change.obj, cpu, mem, pods)
            self.nodes[name] = info
            for key in sorted(self._orphans.pop(name, set())):
                if key in self.pods:
                    self._place(key, self.pods[key])
        else:
            existing.obj = change.obj
            existing.allocatable_cpu, existing.allocatable_memory, existing.allocatable_pods = cpu, mem, pods

    # -- queries -------------------------------------------------------------------------------------------

    def pods_on(self, node: str) -> Iterator[Obj]:
        info = self.nodes.get(node)
        if info is None:
            return
        for key in sorted(info.pods):
            yield self.pods[key]

    def pending_pods(self) -> list[Obj]:
        return [self.pods[k] for k in sorted(self.pending)]

    def ready(self, key: PodKey) -> bool:
        pod = self.pods.get(key)
        return pod is not None and is_pod_ready(pod)
