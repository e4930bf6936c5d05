"""Provisioning: pending pods become NodeClaims, NodeClaims become nodes after the launch latency.

Every batch, pods the scheduler marked unschedulable are first packed onto claims already launching, then
onto new claims. NodePools are tried by descending weight; within a pool, spot is preferred whenever the
pool allows it and some spot offering has capacity (spot offerings found without capacity are remembered as
unavailable for the ICE TTL and skipped), else on-demand — Karpenter's fallback. The instance type is the
one with the lowest price per requested millicore it would carry for the batch, a stand-in for EC2 Fleet's
price-capacity-optimized choice. NodePool ``limits`` bound what a pool may launch.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.kube.objects import rfc3339
from spotvortex.sim.kube.resources import KARPENTER_GROUP
from spotvortex.sim.kube.watch import Change
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.core import World
from spotvortex.sim.world.fleet import Fleet
from spotvortex.sim.world.machines import Machine
from spotvortex.sim.world.predicates import node_admits, priority_of, requests_of
from spotvortex.sim.world.scheduler import is_unschedulable
from spotvortex.sim.world.shapes import Shape
from spotvortex.sim.world.state import PodKey, pod_key

from .nodepools import NodePoolView, Offering, offerings, parse_nodepool
from .settings import KarpenterSettings

Obj = dict[str, Any]
OWNER_PREFIX = "karpenter/"
NODEPOOLS = (KARPENTER_GROUP, "nodepools")
RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 300.0
PACKING_LOOKAHEAD = 64
"""Pods of the batch considered when sizing one new node (bounds the cost of a large warm start)."""
PLANS_KEPT = 4096
"""Launch plans remembered; consolidation asks again about the same unchanged nodes every few passes."""


@dataclass
class Claim:
    """A NodeClaim and the room left on its node for pods nominated to it."""

    name: str
    pool: str
    machine: Machine
    free_cpu: int
    free_memory: int
    free_pods: int
    nominated: set[PodKey] = field(default_factory=set)
    disrupting: bool = False

    def room_for(self, pod: Obj) -> bool:
        if not node_admits(pod, self.machine.labels, self.machine.taints):
            return False
        cpu, mem = requests_of(pod)
        return cpu <= self.free_cpu and mem <= self.free_memory and self.free_pods >= 1

    def take(self, pod: Obj) -> None:
        cpu, mem = requests_of(pod)
        self.free_cpu -= cpu
        self.free_memory -= mem
        self.free_pods -= 1
        self.nominated.add(pod_key(pod))


@dataclass
class LaunchPlan:
    """What ``choose`` knows about a pod and batch before looking at the market: the NodePools whose nodes
    could take the pod, the offerings of each whose shape and labels do, and how much of the batch each
    offering's node would carry. None of that changes while the pods, NodePools and catalogue do not, so
    it is worked out once per (pod, batch, NodePools) and only prices, capacity and limits are read anew.
    """

    steps: list[tuple[NodePoolView, list[Offering]]]
    batch: tuple[Obj, ...]
    keep: tuple[object, ...]
    """The objects whose identities key this plan, held so those identities cannot be reused."""
    packed: dict[tuple[str, str, str, str], int] = field(default_factory=dict)


class Provisioner:
    """Turns unschedulable pods into capacity."""

    def __init__(
        self,
        world: World,
        fleet: Fleet,
        catalogue: Sequence[Shape],
        zones: Sequence[str],
        settings: KarpenterSettings,
    ) -> None:
        self.world = world
        self.fleet = fleet
        self.catalogue = list(catalogue)
        self.zones = list(zones)
        self.settings = settings
        self.claims: dict[str, Claim] = {}
        self.claims_version = 0
        """Counts launches and terminations: every NodePool's usage (what its limits bound) is fixed
        between two changes of it."""
        self.read_spot = False
        """Whether the last :meth:`choose` looked at a spot offering's price or capacity (which move with
        time); when it did not, its answer stands while the pods, NodePools and claims are the same."""
        self.by_node: dict[str, Claim] = {}
        self.by_pool: dict[str, dict[str, Claim]] = {}
        self.unavailable: dict[tuple[str, str, str], datetime] = {}
        self._batch_due = False
        self._unprovisionable: set[PodKey] = set()
        self._pools: list[NodePoolView] | None = None
        self._retry_seconds = RETRY_SECONDS
        self._offering_cache: dict[tuple[str, str], list[Offering]] = {}
        self._plans: dict[tuple[int, ...], LaunchPlan] = {}
        world.store.hub.listen(self._nodepools_changed)
        world.add_reconciler("karpenter-provisioner", self._maybe_batch)
        fleet.on_registered(self._registered)
        fleet.on_terminated(self._terminated)

    # -- triggers -----------------------------------------------------------------------------------------

    def _waiting(self) -> list[Obj]:
        """Unschedulable pods not nominated to a launching claim and not fitting an existing node (which
        Karpenter's own scheduling simulation includes; the scheduler will bind those)."""
        nominated = {k for c in self.claims.values() for k in c.nominated}
        waiting = []
        nodes = [
            n for n in self.world.state.nodes.values() if n.ready and not n.unschedulable and not n.deleting
        ]
        for pod in self.world.state.pending_pods():
            if not is_unschedulable(pod) or pod_key(pod) in nominated:
                continue
            cpu, mem = self.world.state.requests(pod)
            if any(n.fits(cpu, mem) and node_admits(pod, n.labels, n.taints) for n in nodes):
                continue
            waiting.append(pod)
        return waiting

    def _maybe_batch(self) -> None:
        if self._batch_due or not self._waiting():
            return
        self._batch_due = True
        self.world.timeline.after(self.settings.batch_idle_seconds, "karpenter-batch", self.provision)

    def _nodepools_changed(self, change: Change) -> None:
        if change.resource == NODEPOOLS:
            self._pools = None
            self._retry_seconds = RETRY_SECONDS
            self.world.request_reconcile()

    def pools(self) -> list[NodePoolView]:
        """NodePools by descending weight, re-read only after one changed (a router patching weights)."""
        if self._pools is None:
            views = [parse_nodepool(o) for o in self.world.store.list("nodepools")]
            # Karpenter's OrderByWeight: heavier first, and among equals the name later in the alphabet.
            self._pools = sorted(views, key=lambda p: (p.weight, p.name), reverse=True)
        return self._pools

    # -- the batch -----------------------------------------------------------------------------------------

    def provision(self) -> None:
        self._batch_due = False
        pods = sorted(
            self._waiting(), key=lambda p: (-priority_of(p), -self.world.state.requests(p)[0], pod_key(p))
        )
        if not pods:
            return
        pools = self.pools()
        launching = [c for c in self.claims.values() if c.machine.registered is None and not c.disrupting]
        stranded = 0
        for i, pod in enumerate(pods):
            home = next((c for c in launching if c.room_for(pod)), None)
            if home is None:
                home = self._new_claim(pod, pods[i:], pools)
                if home is None:
                    stranded += 1
                    continue
                launching.append(home)
            home.take(pod)
        if not stranded:
            self._retry_seconds = RETRY_SECONDS
        elif not self._batch_due:
            # Karpenter requeues pods it could not place, so capacity returning or a limit being raised
            # is enough to place them; the wait doubles (to 5 min) while nothing changes for them.
            self._batch_due = True
            self.world.timeline.after(self._retry_seconds, "karpenter-batch", self.provision)
            self._retry_seconds = min(MAX_RETRY_SECONDS, self._retry_seconds * 2)

    def _usage(self, pool: str) -> tuple[int, int]:
        claims = self.by_pool.get(pool, {}).values()
        return sum(c.machine.shape.cpu_millis for c in claims), sum(
            c.machine.shape.memory_mib for c in claims
        )

    def _within_limits(self, pool: NodePoolView, shape: Shape, usage: tuple[int, int] | None = None) -> bool:
        if not pool.has_limits:
            return True
        cpu, mem = usage or self._usage(pool.name)
        if pool.cpu_limit is not None and cpu + shape.cpu_millis > pool.cpu_limit:
            return False
        return pool.memory_limit is None or mem + shape.memory_mib <= pool.memory_limit

    def offering_known_unavailable(self, offering: Offering) -> bool:
        expiry = self.unavailable.get(offering.key)
        return expiry is not None and expiry > self.world.now

    def _offerings(self, pool: NodePoolView) -> list[Offering]:
        key = (pool.name, pool.requirements_key or repr(pool.requirements))
        found = self._offering_cache.get(key)
        if found is None:
            found = self._offering_cache[key] = offerings(pool, self.catalogue, self.zones)
        return found

    def mark_unavailable(self, instance_type: str, zone: str, capacity_type: str) -> None:
        key = (instance_type, zone, capacity_type)
        self.unavailable[key] = self.world.now + timedelta(seconds=self.settings.ice_ttl_seconds)

    def spot_has_capacity(self, offering: Offering) -> bool:
        """Ask the market, and cache a refusal for the ICE TTL as Karpenter does."""
        if self.offering_known_unavailable(offering):
            return False
        if self.world.market.spot_available(offering.shape.name, offering.zone, self.world.now):
            return True
        self.mark_unavailable(*offering.key)
        self.world.journal.record(
            "insufficient-capacity", type=offering.shape.name, zone=offering.zone, capacity=L.SPOT
        )
        return False

    def _packed_cpu(self, plan: LaunchPlan, pool: NodePoolView, offering: Offering) -> int:
        key = (pool.name, *offering.key)
        packed = plan.packed.get(key)
        if packed is None:
            packed = plan.packed[key] = self._pack(pool, offering, plan.batch)
        return packed

    def _pack(self, pool: NodePoolView, offering: Offering, batch: Sequence[Obj]) -> int:
        """Millicores of ``batch`` (at least 1 per pod) that a new node of ``offering`` would carry."""
        labels = pool.node_labels(offering)
        shape = offering.shape
        cpu_free, mem_free, slots = shape.allocatable_cpu_millis, shape.allocatable_memory_mib, shape.max_pods
        packed = 0
        for pod in batch:
            cpu, mem = self.world.state.requests(pod)
            if cpu <= cpu_free and mem <= mem_free and slots >= 1 and node_admits(pod, labels, pool.taints):
                cpu_free, mem_free, slots = cpu_free - cpu, mem_free - mem, slots - 1
                packed += max(cpu, 1)
        return packed

    def plan(self, pod: Obj, batch: Sequence[Obj], pools: Sequence[NodePoolView]) -> LaunchPlan:
        """The market-independent part of ``choose`` for these very objects, worked out once.

        Pods are stored objects and NodePool views are frozen, so the same objects mean the same plan.
        """
        window = tuple(batch[:PACKING_LOOKAHEAD])
        views = tuple(pools)
        key = (id(pod), len(views), *map(id, views), *map(id, window))
        found = self._plans.get(key)
        if found is None:
            if len(self._plans) >= PLANS_KEPT:
                self._plans.clear()
            found = self._plans[key] = LaunchPlan(self._fitting(pod, views), window, (pod, views, window))
        return found

    def _fitting(self, pod: Obj, pools: Sequence[NodePoolView]) -> list[tuple[NodePoolView, list[Offering]]]:
        """Pools in order, each with the offerings whose node would admit ``pod`` (limits aside)."""
        cpu, mem = self.world.state.requests(pod)
        steps = []
        for pool in pools:
            if not pool.may_admit(pod):
                continue
            offers = [
                o
                for o in self._offerings(pool)
                if o.shape.allocatable_cpu_millis >= cpu
                and o.shape.allocatable_memory_mib >= mem
                and node_admits(pod, pool.node_labels(o), pool.taints)
            ]
            if offers:
                steps.append((pool, offers))
        return steps

    def choose(
        self, pod: Obj, batch: Sequence[Obj], pools: Sequence[NodePoolView]
    ) -> tuple[NodePoolView, Offering] | None:
        """The (pool, offering) Karpenter would launch for ``pod``, packing as much of ``batch`` as fits."""
        plan = self.plan(pod, batch, pools)
        now = self.world.now
        self.read_spot = False
        for pool, offers in plan.steps:
            usage = self._usage(pool.name) if pool.has_limits else None  # once per pool, not per offering
            candidates = [o for o in offers if self._within_limits(pool, o.shape, usage)]
            if not candidates:
                continue
            spot = [o for o in candidates if o.capacity_type == L.SPOT]
            on_demand = [o for o in candidates if o.capacity_type == L.ON_DEMAND]
            self.read_spot = self.read_spot or bool(spot)
            for group in (spot, on_demand):
                scored = []
                for o in group:
                    price = self.world.market.price(o.shape.name, o.zone, o.capacity_type, now)
                    if price is None:
                        continue
                    scored.append((price / self._packed_cpu(plan, pool, o), o.key, o))
                for _, _, offering in sorted(scored):
                    if offering.capacity_type == L.SPOT and not self.spot_has_capacity(offering):
                        continue
                    return pool, offering
        return None

    def _new_claim(self, pod: Obj, batch: Sequence[Obj], pools: Sequence[NodePoolView]) -> Claim | None:
        choice = self.choose(pod, batch, pools)
        key = pod_key(pod)
        if choice is None:
            if key not in self._unprovisionable:
                self._unprovisionable.add(key)
                self.world.journal.record("unprovisionable", pod=f"{key[0]}/{key[1]}")
            return None
        self._unprovisionable.discard(key)
        pool, offering = choice
        return self.launch(pool, offering)

    def launch(self, pool: NodePoolView, offering: Offering) -> Claim:
        """Create the NodeClaim and start its instance."""
        rng = self.world.rng("nodeclaim-names")
        while True:
            name = (
                f"{pool.name}-{''.join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(5))}"
            )
            if name not in self.claims:
                break
        machine = self.fleet.launch(
            offering.shape,
            offering.zone,
            offering.capacity_type,
            OWNER_PREFIX + pool.name,
            labels={
                **pool.node_labels(offering),
                "karpenter.sh/registered": "true",
                "karpenter.sh/initialized": "true",
            },
            taints=[dict(t) for t in pool.taints],
            latency_seconds=self.settings.launch_seconds,
        )
        shape = offering.shape
        claim = Claim(
            name,
            pool.name,
            machine,
            shape.allocatable_cpu_millis,
            shape.allocatable_memory_mib,
            shape.max_pods,
        )
        self.claims[name] = claim
        self.claims_version += 1
        self.by_node[machine.node_name] = claim
        self.by_pool.setdefault(pool.name, {})[name] = claim
        self.world.store.create(self._claim_object(claim))
        self.world.journal.record(
            "nodeclaim-created", nodeclaim=name, nodepool=pool.name, node=machine.node_name
        )
        return claim

    def _claim_object(self, claim: Claim) -> Obj:
        m = claim.machine
        now = rfc3339(self.world.now)
        return {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodeClaim",
            "metadata": {
                "name": claim.name,
                "labels": {
                    L.NODEPOOL: claim.pool,
                    L.CAPACITY_TYPE: m.capacity_type,
                    L.INSTANCE_TYPE: m.instance_type,
                    L.ZONE: m.zone,
                },
            },
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                "requirements": [
                    {"key": L.CAPACITY_TYPE, "operator": "In", "values": [m.capacity_type]},
                    {"key": L.INSTANCE_TYPE, "operator": "In", "values": [m.instance_type]},
                    {"key": L.ZONE, "operator": "In", "values": [m.zone]},
                ],
                "taints": list(m.taints),
            },
            "status": {
                "providerID": m.provider_id,
                "nodeName": m.node_name,
                "capacity": {"cpu": str(m.shape.vcpu), "memory": f"{m.shape.memory_mib}Mi"},
                "conditions": [{"type": "Launched", "status": "True", "lastTransitionTime": now}],
            },
        }

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _registered(self, machine: Machine) -> None:
        claim = self.by_node.get(machine.node_name)
        if claim is None:
            return
        claim.nominated.clear()
        now = rfc3339(self.world.now)
        conditions = [
            {"type": t, "status": "True", "lastTransitionTime": now}
            for t in ("Launched", "Registered", "Initialized", "Ready")
        ]
        self.world.store.patch("nodeclaims", claim.name, {"status": {"conditions": conditions}})

    def _terminated(self, machine: Machine) -> None:
        claim = self.by_node.pop(machine.node_name, None)
        if claim is None:
            return
        self.claims.pop(claim.name, None)
        self.claims_version += 1
        self.by_pool.get(claim.pool, {}).pop(claim.name, None)
        try:
            self.world.store.delete("nodeclaims", claim.name)
        except ApiError as exc:
            if exc.code != 404:
                raise
