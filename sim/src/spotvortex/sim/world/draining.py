"""Taking a node away gracefully: taint it, evict its pods through the PDB-checked eviction API, and
terminate the instance once nothing evictable is left.

Karpenter's termination controller works this way for consolidation and interruption alike; an eviction a
PDB refuses (429) is retried until it succeeds or the instance is reclaimed from under it.
"""

from __future__ import annotations

from collections.abc import Callable

from spotvortex.sim.kube.errors import ApiError

from . import labels as L
from .core import World
from .fleet import Fleet
from .machines import Machine


class Drainer:
    """Drains nodes for an autoscaler; one instance per autoscaler so each uses its own taint and retry."""

    def __init__(
        self, world: World, fleet: Fleet, *, retry_seconds: float, taint_key: str = L.DISRUPTED_TAINT
    ) -> None:
        self.world = world
        self.fleet = fleet
        self.retry_seconds = retry_seconds
        self.taint_key = taint_key
        self.draining: set[str] = set()

    def drain(self, machine: Machine, reason: str, on_done: Callable[[Machine], None] | None = None) -> None:
        if machine.node_name in self.draining or machine.terminated is not None:
            return
        self.draining.add(machine.node_name)
        self.world.journal.record("drain-started", node=machine.node_name, reason=reason)
        taint = {"key": self.taint_key, "effect": "NoSchedule"}
        machine.taints.append(taint)
        if machine.registered is not None:
            node = self.world.state.nodes.get(machine.node_name)
            taints = list(node.taints) if node else []
            if not any(t.get("key") == self.taint_key for t in taints):
                self.world.store.patch("nodes", machine.node_name, {"spec": {"taints": [*taints, taint]}})
        self._attempt(machine, reason, on_done)

    def _attempt(self, machine: Machine, reason: str, on_done: Callable[[Machine], None] | None) -> None:
        if machine.terminated is not None:
            self.draining.discard(machine.node_name)
            return
        refused = 0
        for pod in list(self.world.state.pods_on(machine.node_name)):
            m = pod["metadata"]
            try:
                self.world.store.evict(m["name"], m.get("namespace") or "default")
            except ApiError as exc:
                if exc.code == 429:
                    refused += 1
                elif exc.code != 404:
                    raise
        if refused:
            self.world.timeline.after(
                self.retry_seconds, "drain-retry", lambda: self._attempt(machine, reason, on_done)
            )
            return
        self.draining.discard(machine.node_name)
        self.fleet.terminate(machine, reason)
        if on_done is not None:
            on_done(machine)
