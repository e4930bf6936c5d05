"""Voluntary and involuntary disruption: interruption handling and consolidation.

Interruption (with an interruption queue configured): on the notice Karpenter taints and drains the node at
once and the evicted pods' replacement capacity launches in parallel; budgets do not apply. Without it the
node simply disappears when the notice runs out.

Consolidation (per NodePool ``consolidationPolicy``, after ``consolidateAfter`` of no pod churn on the node,
within the pool's disruption budgets, one decision per pass):
- ``Empty``: a node with no pods is removed;
- ``Underutilized``: a node whose pods all fit on the other nodes is drained and removed; an on-demand node
  whose pods fit on one cheaper new node (any NodePool, weights honoured) is replaced — the replacement is
  launched first and the old node drained once it is Ready. Spot-to-spot replacement stays off, as with
  Karpenter's default ``SpotToSpotConsolidation=false``. This is how Karpenter alone returns to spot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from spotvortex.contracts.disruption_budgets import allowed_disruptions
from spotvortex.sim.kube.watch import Change
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.core import World
from spotvortex.sim.world.draining import Drainer
from spotvortex.sim.world.fleet import Fleet
from spotvortex.sim.world.machines import Machine
from spotvortex.sim.world.predicates import node_admits
from spotvortex.sim.world.spot_market import SpotMarket
from spotvortex.sim.world.state import PODS, NodeInfo, NodeSet, node_name_of

from .nodepools import NodePoolView
from .provisioner import NODEPOOLS, Claim, Provisioner
from .settings import KarpenterSettings

Obj = dict[str, Any]


def _same_objects(kept: tuple[Obj, ...], now: list[Obj]) -> bool:
    return len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True))


class Disruption:
    """Interruption handling and consolidation for Karpenter-owned nodes."""

    def __init__(
        self,
        world: World,
        fleet: Fleet,
        provisioner: Provisioner,
        spot_market: SpotMarket,
        settings: KarpenterSettings,
    ) -> None:
        self.world = world
        self.fleet = fleet
        self.provisioner = provisioner
        self.settings = settings
        self.drainer = Drainer(world, fleet, retry_seconds=settings.eviction_retry_seconds)
        self._last_churn: dict[str, datetime] = {}
        self._replacing: dict[str, Machine] = {}  # replacement node -> node it replaces
        self._quiet_since: tuple[int, datetime] | None = None
        """(cluster generation, next time a node turns stable) of the last pass that found nothing to do."""
        self._last_replace_check: datetime | None = None
        self._replace_quiet: tuple[int, list[NodePoolView], int, datetime] | None = None
        """(cluster generation, NodePools, claims version, next time a node turns stable) of the last
        on-demand replacement pass whose every verdict settled."""
        self._all_settled = True
        self._settled: dict[str, tuple[tuple[Obj, ...], list[NodePoolView], int]] = {}
        """Node -> (its pods, NodePools) when replacing it was ruled out without reading the market."""
        if settings.interruption_handling:
            spot_market.on_notice(self._interrupted)
        world.state.observe(self._on_change)
        world.store.hub.listen(self._nodepools_changed)
        fleet.on_registered(self._registered)
        fleet.on_terminated(self._terminated)
        if settings.consolidation:
            world.timeline.after(
                settings.consolidation_interval_seconds, "consolidation", self._consolidate_pass
            )

    # -- interruption --------------------------------------------------------------------------------------

    def _interrupted(self, machine: Machine) -> None:
        claim = self.provisioner.by_node.get(machine.node_name)
        if claim is None:
            return
        claim.disrupting = True
        # The interruption controller marks the offering unavailable, so the replacement goes elsewhere.
        self.provisioner.mark_unavailable(machine.instance_type, machine.zone, machine.capacity_type)
        self.drainer.drain(machine, "interruption")

    # -- consolidation -------------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.resource == PODS:
            for obj in (change.obj, change.old):
                if obj is not None and node_name_of(obj):
                    self._last_churn[node_name_of(obj)] = self.world.now

    def _nodepools_changed(self, change: Change) -> None:
        if change.resource == NODEPOOLS:
            self._quiet_since = None

    def _consolidate_pass(self) -> None:
        try:
            self._consolidate()
        finally:
            self.world.timeline.after(
                self.settings.consolidation_interval_seconds, "consolidation", self._consolidate_pass
            )

    def _pool_claims(self, pool: str) -> list[Claim]:
        return [c for _, c in sorted(self.provisioner.by_pool.get(pool, {}).items())]

    def _stable(self, claim: Claim, pool: NodePoolView) -> bool:
        machine = claim.machine
        if machine.registered is None or claim.disrupting or machine.notice is not None:
            return False
        if pool.consolidate_after_seconds is None:
            return False
        since = self._last_churn.get(machine.node_name, machine.registered)
        return self.world.now - since >= timedelta(seconds=pool.consolidate_after_seconds)

    def _allowed(self, pool: NodePoolView, reason: str) -> int:
        """Karpenter counts the pool's nodes, and deleting or not-ready ones against the budget."""
        nodes = [c for c in self._pool_claims(pool.name) if c.machine.registered is not None]
        disrupting = sum(1 for c in nodes if c.disrupting or c.machine.notice is not None)
        return allowed_disruptions(
            pool.budgets, total=len(nodes), disrupting=disrupting, now=self.world.now, reason=reason
        )

    def _next_stable(self, pools: list[NodePoolView]) -> datetime:
        """The earliest time a node not yet stable becomes a consolidation candidate."""
        horizon = self.world.now + timedelta(days=365)
        earliest = horizon
        for pool in pools:
            if pool.consolidate_after_seconds is None:
                continue
            for claim in self._pool_claims(pool.name):
                if claim.machine.registered is None or self._stable(claim, pool):
                    continue
                since = self._last_churn.get(claim.machine.node_name, claim.machine.registered)
                earliest = min(earliest, since + timedelta(seconds=pool.consolidate_after_seconds))
        return earliest

    def _consolidate(self) -> None:
        """One disruption decision at most. Packing checks are skipped while nothing has moved and no
        node has newly become stable; on-demand replacement is also re-checked every few passes because
        spot capacity and prices move on their own."""
        if self._replacing:
            return
        pools = [
            p
            for p in self.provisioner.pools()
            if p.consolidation_policy in ("WhenEmpty", "WhenEmptyOrUnderutilized")
        ]
        now = self.world.now
        generation = self.world.state.generation
        quiet = (
            self._quiet_since is not None
            and self._quiet_since[0] == generation
            and now < self._quiet_since[1]
        )
        recheck_replace = self._last_replace_check is None or now - self._last_replace_check >= timedelta(
            seconds=5 * self.settings.consolidation_interval_seconds
        )
        if quiet:
            if recheck_replace:
                self._last_replace_check = now
                self._replace_on_demand(pools)
            return
        others = self._placeable_nodes()
        indexed = NodeSet(others)
        held_by_budget = False
        for pool in pools:
            candidates = [c for c in self._pool_claims(pool.name) if self._stable(c, pool)]
            empty = [
                c
                for c in candidates
                if self.world.state.nodes.get(c.machine.node_name) and not self._has_pods(c)
            ]
            if empty:
                if self._allowed(pool, "Empty") > 0:
                    self._remove(empty[0], "consolidation-empty")
                    return
                held_by_budget = held_by_budget or _scheduled(pool)
            if pool.consolidation_policy != "WhenEmptyOrUnderutilized" or not candidates:
                continue
            if self._allowed(pool, "Underutilized") <= 0:
                held_by_budget = held_by_budget or _scheduled(pool)
                continue
            for claim in candidates:
                if self._fits_elsewhere(claim, indexed):
                    self._remove(claim, "consolidation-delete")
                    return
        if recheck_replace:
            self._last_replace_check = now
            if self._replace_on_demand(pools):
                return
        # A scheduled budget may open with time, so a pass it held is never "quiet"; one without a schedule
        # opens only when the pool's nodes change (a new generation) or by an edit (which resets the state).
        self._quiet_since = None if held_by_budget else (generation, self._next_stable(pools))

    def _replace_on_demand(self, pools: list[NodePoolView]) -> bool:
        """Replace one on-demand node by a cheaper one. A pass in which every node's verdict settled (read no
        spot price or capacity) holds until the cluster, the NodePools or the claims change, or another
        node turns stable; unless a budget has a schedule, nothing else can change its outcome."""
        key = (self.world.state.generation, self.provisioner.pools(), self.provisioner.claims_version)
        quiet = self._replace_quiet
        if (
            quiet is not None
            and quiet[0] == key[0]
            and quiet[1] is key[1]
            and quiet[2] == key[2]
            and self.world.now < quiet[3]
        ):
            return False
        self._all_settled = True
        replaced = self._replace_one(pools)
        if not replaced and self._all_settled and not any(_scheduled(p) for p in pools):
            self._replace_quiet = (*key, self._next_stable(pools))
        else:
            self._replace_quiet = None
        return replaced

    def _replace_one(self, pools: list[NodePoolView]) -> bool:
        for pool in pools:
            if pool.consolidation_policy != "WhenEmptyOrUnderutilized":
                continue
            on_demand = [
                c
                for c in self._pool_claims(pool.name)
                if c.machine.capacity_type == L.ON_DEMAND and self._stable(c, pool)
            ]
            if on_demand and self._allowed(pool, "Underutilized") > 0:
                for claim in on_demand:
                    if self._replace(claim):
                        return True
        return False

    def _has_pods(self, claim: Claim) -> bool:
        return any(True for _ in self.world.state.pods_on(claim.machine.node_name))

    def _placeable_nodes(self) -> list[NodeInfo]:
        return [
            n
            for name, n in sorted(self.world.state.nodes.items())
            if n.ready and not n.unschedulable and not n.deleting and name not in self.drainer.draining
        ]

    def _remove(self, claim: Claim, reason: str) -> None:
        claim.disrupting = True
        self.drainer.drain(claim.machine, reason)

    def _fits_elsewhere(self, claim: Claim, placeable: NodeSet) -> bool:
        """Whether every pod of the node would fit on the other placeable nodes (first fit, largest first)."""
        pods = sorted(
            self.world.state.pods_on(claim.machine.node_name), key=lambda p: -self.world.state.requests(p)[0]
        )
        if not pods:
            return True
        free: dict[str, list[int]] = {}
        for pod in pods:
            cpu, mem = self.world.state.requests(pod)
            target = None
            for n in placeable.candidates(pod):
                if n.name == claim.machine.node_name:
                    continue
                f = free.get(n.name)
                if f is None:
                    f = free[n.name] = [
                        n.allocatable_cpu - n.used_cpu,
                        n.allocatable_memory - n.used_memory,
                        n.allocatable_pods - len(n.pods),
                    ]
                if f[0] >= cpu and f[1] >= mem and f[2] >= 1 and node_admits(pod, n.labels, n.taints):
                    target = f
                    break
            if target is None:
                return False
            target[0], target[1], target[2] = target[0] - cpu, target[1] - mem, target[2] - 1
        return True

    def _replace(self, claim: Claim) -> bool:
        """Launch a cheaper node for an on-demand one whose pods would all fit it.

        A node found not worth replacing stays so while its pods, the NodePools and the claims (so every
        NodePool's usage against its limits) are the same, if that verdict read no spot price or capacity:
        on-demand prices do not move. That is the usual case of a spot twin held at its limit.
        """
        node = claim.machine.node_name
        pods = list(self.world.state.pods_on(node))
        if not pods:
            return False
        pools = self.provisioner.pools()
        version = self.provisioner.claims_version
        settled = self._settled.get(node)
        if (
            settled is not None
            and settled[1] is pools
            and settled[2] == version
            and _same_objects(settled[0], pods)
        ):
            return False
        unsorted = tuple(pods)
        pods.sort(key=lambda p: -self.world.state.requests(p)[0])
        if self._try_replace(claim, pods, pools):
            return True
        if claim.machine.capacity_type != L.SPOT and not self.provisioner.read_spot:
            self._settled[node] = (unsorted, pools, version)
        else:
            self._all_settled = False
        return False

    def _try_replace(self, claim: Claim, pods: list[Obj], pools: list[NodePoolView]) -> bool:
        choice = self.provisioner.choose(pods[0], pods, pools)
        if choice is None:
            return False
        pool, offering = choice
        m = claim.machine
        now = self.world.now
        current = self.world.market.price(m.instance_type, m.zone, m.capacity_type, now)
        price = self.world.market.price(offering.shape.name, offering.zone, offering.capacity_type, now)
        if current is None or price is None or price >= current:
            return False
        labels = pool.node_labels(offering)
        cpu_free, mem_free, slots = (
            offering.shape.allocatable_cpu_millis,
            offering.shape.allocatable_memory_mib,
            offering.shape.max_pods,
        )
        for pod in pods:
            cpu, mem = self.world.state.requests(pod)
            if cpu > cpu_free or mem > mem_free or slots < 1 or not node_admits(pod, labels, pool.taints):
                return False
            cpu_free, mem_free, slots = cpu_free - cpu, mem_free - mem, slots - 1
        claim.disrupting = True
        replacement = self.provisioner.launch(pool, offering)
        self._replacing[replacement.machine.node_name] = m
        self.world.journal.record(
            "consolidation-replace",
            node=m.node_name,
            replacement=replacement.machine.node_name,
            capacity=offering.capacity_type,
        )
        return True

    def _registered(self, machine: Machine) -> None:
        old = self._replacing.pop(machine.node_name, None)
        if old is not None:
            self.drainer.drain(old, "consolidation-replace")

    def _terminated(self, machine: Machine) -> None:
        self._settled.pop(machine.node_name, None)
        old = self._replacing.pop(machine.node_name, None)
        if old is not None and old.terminated is None:
            claim = self.provisioner.by_node.get(old.node_name)
            if claim is not None and old.node_name not in self.drainer.draining:
                claim.disrupting = False


def _scheduled(pool: NodePoolView) -> bool:
    """Whether any of the pool's disruption budgets has a schedule (so what it allows changes with time)."""
    return any(budget.get("schedule") for budget in pool.budgets)
