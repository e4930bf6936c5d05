"""An always-current index of nodes and pods, fed by the store's commit stream.

Controllers ask "which pods are pending", "what is free on this node", "which pods run there" many times per
simulated minute; re-listing the store each time would make a 30-day run of a 200-node cluster take hours.
The index follows every commit instead (see ``WatchHub.listen``) and answers from memory. It only reads:
writes go through the store so HTTP clients see the same world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from spotvortex.sim.kube.pdb import is_pod_ready
from spotvortex.sim.kube.watch import DELETED, Change

from .predicates import requests_of
from .quantity import cpu_millis, memory_mib

Obj = dict[str, Any]
PodKey = tuple[str, str]  # (namespace, name)
NODES = ("", "nodes")
PODS = ("", "pods")


def _node_ready(node: Obj) -> bool:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


class NodeInfo:
    """One node's labels, taints and how much of it is taken.

    Schedulers and consolidation ask a node's labels, taints and readiness thousands of times per stored
    version of it, so they are read out of the object once, whenever ``obj`` is set.
    """

    def __init__(
        self,
        name: str,
        obj: Obj,
        allocatable_cpu: int,
        allocatable_memory: int,
        allocatable_pods: int,
        used_cpu: int = 0,
        used_memory: int = 0,
        pods: set[PodKey] | None = None,
    ) -> None:
        self.name = name
        self.obj = obj
        self.allocatable_cpu = allocatable_cpu
        self.allocatable_memory = allocatable_memory
        self.allocatable_pods = allocatable_pods
        self.used_cpu = used_cpu
        self.used_memory = used_memory
        self.pods: set[PodKey] = pods if pods is not None else set()
        self._sorted_pods: list[PodKey] | None = None

    @property
    def obj(self) -> Obj:
        return self._obj

    @obj.setter
    def obj(self, obj: Obj) -> None:
        self._obj = obj
        spec = obj.get("spec") or {}
        self.labels: Mapping[str, str] = obj["metadata"].get("labels") or {}
        self.taints: list[Obj] = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        self.ready = _node_ready(obj)
        self.deleting = bool(obj["metadata"].get("deletionTimestamp"))

    def add_pod(self, key: PodKey) -> None:
        self.pods.add(key)
        self._sorted_pods = None

    def remove_pod(self, key: PodKey) -> None:
        self.pods.discard(key)
        self._sorted_pods = None

    def sorted_pods(self) -> list[PodKey]:
        """The pods' keys in order, kept until the next placement on or removal from this node."""
        if self._sorted_pods is None:
            self._sorted_pods = sorted(self.pods)
        return self._sorted_pods

    def fits(self, cpu: int, memory: int) -> bool:
        return (
            self.used_cpu + cpu <= self.allocatable_cpu
            and self.used_memory + memory <= self.allocatable_memory
            and len(self.pods) < self.allocatable_pods
        )


class NodeSet:
    """Nodes indexed by label: a pod's ``nodeSelector`` narrows the search before the full filters run,
    which is what keeps scheduling and consolidation cheap on a cluster of hundreds of nodes.

    A set is built for every scheduling and consolidation pass while pods select on one or two label keys,
    so a key is indexed only when a selector first asks for it.
    """

    def __init__(self, nodes: list[NodeInfo]) -> None:
        self.nodes = nodes
        self._by_key: dict[str, dict[str, list[NodeInfo]]] = {}

    def _index(self, key: str) -> dict[str, list[NodeInfo]]:
        index = self._by_key.get(key)
        if index is None:
            index = self._by_key[key] = {}
            for node in self.nodes:
                if key in node.labels:
                    index.setdefault(node.labels[key], []).append(node)
        return index

    def candidates(self, pod: Obj) -> list[NodeInfo]:
        """Nodes carrying every ``nodeSelector`` label (all nodes when the pod has none)."""
        selector = (pod.get("spec") or {}).get("nodeSelector") or {}
        if not selector:
            return self.nodes
        return min((self._index(k).get(str(v), []) for k, v in selector.items()), key=len)


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
        self._requests: dict[PodKey, tuple[int, int]] = {}
        """``requests_of`` each pod in ``pods``: parsed once per stored version of the pod's spec."""
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
            node.remove_pod(key)
            cpu, mem = self.requests(pod)
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
        node.add_pod(key)
        cpu, mem = self.requests(pod)
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
            self._requests.pop(key, None)
            return
        if old is None or old.get("spec") is not pod.get("spec"):
            self._requests[key] = requests_of(pod)
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
        for key in info.sorted_pods():
            yield self.pods[key]

    def requests(self, pod: Obj) -> tuple[int, int]:
        """``requests_of(pod)``, from the index when ``pod`` is the stored version it holds.

        Packing checks ask this of the same pods thousands of times per pass. The index parses a pod's
        quantities again only when a write gives it a new spec: stored objects are never changed in place,
        so a spec that is the same object holds the same requests.
        """
        key = pod_key(pod)
        if self.pods.get(key) is pod:
            return self._requests[key]
        return requests_of(pod)

    def pending_pods(self) -> list[Obj]:
        return [self.pods[k] for k in sorted(self.pending)]

    def ready(self, key: PodKey) -> bool:
        pod = self.pods.get(key)
        return pod is not None and is_pod_ready(pod)
