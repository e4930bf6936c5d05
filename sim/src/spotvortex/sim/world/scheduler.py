"""The default scheduler, reduced to what decides where capacity goes.

Pending pods are placed highest priority first onto Ready, schedulable nodes whose labels and taints admit
them and whose allocatable capacity covers their requests; among those the fullest node wins (the
``MostAllocated`` scoring Karpenter users run, which packs pods and leaves whole nodes empty). A pod that
fits nowhere may preempt lower-priority pods on one node; one that still fits nowhere is marked
``PodScheduled=False, reason=Unschedulable``, which is what Karpenter and Cluster Autoscaler act on.
"""

from __future__ import annotations

from typing import Any

from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.kube.objects import rfc3339

from .core import World
from .predicates import node_admits, priority_of
from .state import NodeInfo, NodeSet, pod_key

Obj = dict[str, Any]


CORDON_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def _placeable(node: NodeInfo) -> bool:
    return node.ready and not node.deleting


def _admits(pod: Obj, node: NodeInfo) -> bool:
    """Labels and taints; a cordoned node behaves as if tainted ``node.kubernetes.io/unschedulable``."""
    taints = [*node.taints, CORDON_TAINT] if node.unschedulable else node.taints
    return node_admits(pod, node.labels, taints)


def nominated_node(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("nominatedNodeName") or "")


def _score(node: NodeInfo, cpu: int, memory: int) -> tuple[float, str]:
    cpu_share = (node.used_cpu + cpu) / node.allocatable_cpu if node.allocatable_cpu else 1.0
    mem_share = (node.used_memory + memory) / node.allocatable_memory if node.allocatable_memory else 1.0
    return (-(cpu_share + mem_share), node.name)


def is_unschedulable(pod: Obj) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled":
            return bool(cond.get("status") == "False" and cond.get("reason") == "Unschedulable")
    return False


class Scheduler:
    """Binds pending pods; runs as a reconcile step."""

    def __init__(self, world: World, *, preemption: bool = True) -> None:
        self.world = world
        self.preemption = preemption
        self._held: dict[str, dict[tuple[str, str], tuple[int, int, int]]] = {}
        world.add_reconciler("scheduler", self.schedule)

    def schedule(self) -> None:
        state = self.world.state
        if not state.pending:
            return
        pods = sorted(state.pending_pods(), key=lambda p: (-priority_of(p), pod_key(p)))
        nodes = [n for _, n in sorted(state.nodes.items()) if _placeable(n)]
        # Room freed by preemption is held for the nominated pod against pods of no higher priority,
        # as kube-scheduler does; otherwise recreated victims would take it back forever.
        self._held = {}
        for pod in pods:
            if nominated_node(pod):
                cpu, mem = self.world.state.requests(pod)
                self._held.setdefault(nominated_node(pod), {})[pod_key(pod)] = (priority_of(pod), cpu, mem)
        indexed = NodeSet(nodes)
        for pod in pods:
            if pod_key(pod) not in state.pending:
                continue
            cpu, mem = self.world.state.requests(pod)
            fitting = [n for n in indexed.candidates(pod) if self._fits(pod, n, cpu, mem) and _admits(pod, n)]
            if fitting:
                target = next((n for n in fitting if n.name == nominated_node(pod)), None)
                self._bind(pod, target or min(fitting, key=lambda n: _score(n, cpu, mem)))
                self._held.get(nominated_node(pod), {}).pop(pod_key(pod), None)
            elif not (self.preemption and self._preempt(pod, indexed.candidates(pod), cpu, mem)):
                self._mark_unschedulable(pod, len(nodes))

    def _fits(self, pod: Obj, node: NodeInfo, cpu: int, mem: int) -> bool:
        holds = self._held.get(node.name)
        if not holds:
            return node.fits(cpu, mem)
        priority, key = priority_of(pod), pod_key(pod)
        held = [v for k, v in holds.items() if k != key and v[0] >= priority]
        return node.fits(cpu + sum(h[1] for h in held), mem + sum(h[2] for h in held)) and (
            len(node.pods) + len(held) < node.allocatable_pods
        )

    def _bind(self, pod: Obj, node: NodeInfo) -> None:
        m = pod["metadata"]
        body = {
            "spec": {"nodeName": node.name},
            "status": {
                "nominatedNodeName": None,
                "conditions": [
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": rfc3339(self.world.now)}
                ],
            },
        }
        try:
            self.world.store.patch("pods", m["name"], body, namespace=m.get("namespace"))
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _mark_unschedulable(self, pod: Obj, node_count: int) -> None:
        if is_unschedulable(pod):
            return
        m = pod["metadata"]
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": f"0/{node_count} nodes are available: no node fits the pod's requests, "
            "selector and tolerations.",
            "lastTransitionTime": rfc3339(self.world.now),
        }
        self.world.store.patch(
            "pods", m["name"], {"status": {"conditions": [condition]}}, namespace=m.get("namespace")
        )

    def _preempt(self, pod: Obj, nodes: list[NodeInfo], cpu: int, mem: int) -> bool:
        """Evict lower-priority pods on one node so ``pod`` fits; False when no node would do.

        As kube-scheduler: on each node remove every lower-priority pod, then reprieve them back, highest
        priority first, while the pod still fits; pick the node with the fewest, lowest-priority victims.
        """
        priority = priority_of(pod)
        best: tuple[tuple[int, int, str], NodeInfo, list[Obj]] | None = None
        for node in nodes:
            if not _admits(pod, node):
                continue
            lower = [p for p in self.world.state.pods_on(node.name) if priority_of(p) < priority]
            if not lower:
                continue
            free_cpu = node.allocatable_cpu - node.used_cpu
            free_mem = node.allocatable_memory - node.used_memory
            free_slots = node.allocatable_pods - len(node.pods)
            for victim in lower:
                vcpu, vmem = self.world.state.requests(victim)
                free_cpu, free_mem, free_slots = free_cpu + vcpu, free_mem + vmem, free_slots + 1
            if not (free_cpu >= cpu and free_mem >= mem and free_slots >= 1):
                continue
            victims: list[Obj] = []
            for candidate in sorted(lower, key=lambda p: (-priority_of(p), pod_key(p))):
                vcpu, vmem = self.world.state.requests(candidate)
                if free_cpu - vcpu >= cpu and free_mem - vmem >= mem and free_slots - 1 >= 1:
                    free_cpu, free_mem, free_slots = free_cpu - vcpu, free_mem - vmem, free_slots - 1
                else:
                    victims.append(candidate)
            if not victims:
                continue
            rank = (len(victims), max(priority_of(v) for v in victims), node.name)
            if best is None or rank < best[0]:
                best = (rank, node, victims)
        if best is None:
            return False
        _, node, victims = best
        m = pod["metadata"]
        for victim in victims:
            vm = victim["metadata"]
            self.world.journal.record("preempted", pod=vm["name"], by=m["name"], node=node.name)
            self.world.store.delete("pods", vm["name"], vm.get("namespace"))
        self.world.store.patch(
            "pods", m["name"], {"status": {"nominatedNodeName": node.name}}, namespace=m.get("namespace")
        )
        cpu_req, mem_req = self.world.state.requests(pod)
        self._held.setdefault(node.name, {})[pod_key(pod)] = (priority, cpu_req, mem_req)
        return True
