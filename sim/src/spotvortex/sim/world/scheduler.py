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
from .predicates import node_admits, priority_of, requests_of
from .state import NodeInfo, pod_key

Obj = dict[str, Any]


def _placeable(node: NodeInfo) -> bool:
    return node.ready and not node.unschedulable and not node.deleting


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
        world.add_reconciler("scheduler", self.schedule)

    def schedule(self) -> None:
        state = self.world.state
        if not state.pending:
            return
        pods = sorted(state.pending_pods(), key=lambda p: (-priority_of(p), pod_key(p)))
        nodes = [n for _, n in sorted(state.nodes.items()) if _placeable(n)]
        for pod in pods:
            if pod_key(pod) not in state.pending:
                continue
            cpu, mem = requests_of(pod)
            fitting = [n for n in nodes if n.fits(cpu, mem) and node_admits(pod, n.labels, n.taints)]
            if fitting:
                self._bind(pod, min(fitting, key=lambda n: _score(n, cpu, mem)))
            elif not (self.preemption and self._preempt(pod, nodes, cpu, mem)):
                self._mark_unschedulable(pod, len(nodes))

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
        """Evict the fewest, lowest-priority pods on one node so ``pod`` fits; False when none would do."""
        priority = priority_of(pod)
        best: tuple[tuple[int, int, str], NodeInfo, list[Obj]] | None = None
        for node in nodes:
            if not node_admits(pod, node.labels, node.taints):
                continue
            lower = sorted(
                (p for p in self.world.state.pods_on(node.name) if priority_of(p) < priority),
                key=lambda p: (priority_of(p), pod_key(p)),
            )
            free_cpu = node.allocatable_cpu - node.used_cpu
            free_mem = node.allocatable_memory - node.used_memory
            free_slots = node.allocatable_pods - len(node.pods)
            victims: list[Obj] = []
            for victim in lower:
                if free_cpu >= cpu and free_mem >= mem and free_slots >= 1:
                    break
                vcpu, vmem = requests_of(victim)
                free_cpu, free_mem, free_slots = free_cpu + vcpu, free_mem + vmem, free_slots + 1
                victims.append(victim)
            if not (free_cpu >= cpu and free_mem >= mem and free_slots >= 1) or not victims:
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
        return True
