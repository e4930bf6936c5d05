"""Auto Scaling groups, simulated: twin spot / on-demand groups (or one mixed group) per workload pool.

A group keeps its running instances at ``desired``: it launches the shortfall (each instance registers as a
Node after the launch latency) and terminates the surplus, newest first. A mixed instances policy splits the
instances between on-demand (``OnDemandBaseCapacity`` then ``OnDemandPercentageAboveBaseCapacity`` of the
rest, rounded up in favour of on-demand, as AWS documents) and spot. A spot launch with no capacity in any
of the group's (type, zone) fails, and the group retries after ``retry_seconds`` (a failed scaling
activity). A reclaimed spot instance is replaced, like any unhealthy instance. The group is reached through
the AWS emulator's Auto Scaling API (``AutoScalingBackend``), which is how a router steers it.

Cluster Autoscaler is not simulated: pending pods do not raise ``desired`` by themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from spotvortex.sim.aws import AsgGroup, AsgInstance, AwsError, ScalingActivity
from spotvortex.sim.aws.activities import termination_activity

from . import labels as L
from .core import World
from .fleet import Fleet
from .machines import Machine
from .shapes import Shape

OWNER_PREFIX = "asg/"


@dataclass
class GroupState:
    name: str
    pool: str
    capacity_type: str | None
    """``spot`` or ``on-demand`` for a twin group; ``None`` for a mixed group."""
    shapes: list[Shape]
    zones: list[str]
    min_size: int
    max_size: int
    desired: int
    created: datetime
    on_demand_base: int | None = None
    on_demand_percentage: int | None = None
    retry_due: bool = False
    instances: dict[str, Machine] = field(default_factory=dict)

    def on_demand_target(self) -> int:
        if self.capacity_type is not None:
            return self.desired if self.capacity_type == L.ON_DEMAND else 0
        base = min(self.desired, self.on_demand_base or 0)
        pct = 100 if self.on_demand_percentage is None else self.on_demand_percentage
        return base + math.ceil((self.desired - base) * pct / 100)


class AutoScaling:
    """Every group of the world; implements the Auto Scaling API backend."""

    def __init__(self, world: World, fleet: Fleet, *, launch_seconds: float, retry_seconds: float) -> None:
        self.world = world
        self.fleet = fleet
        self.launch_seconds = launch_seconds
        self.retry_seconds = retry_seconds
        self.groups_by_name: dict[str, GroupState] = {}
        fleet.on_terminated(self._terminated)

    def add_group(self, group: GroupState) -> None:
        self.groups_by_name[group.name] = group
        self.reconcile(group)

    # -- keeping groups at desired ----------------------------------------------------------------------

    def _live(self, group: GroupState) -> list[Machine]:
        return [m for _, m in sorted(group.instances.items()) if m.terminated is None]

    def reconcile(self, group: GroupState) -> None:
        live = self._live(group)
        surplus = len(live) - group.desired
        for machine in sorted(live, key=lambda m: (m.launched, m.instance_id), reverse=True)[
            : max(0, surplus)
        ]:
            self.fleet.terminate(machine, "asg-scale-in")
        live = self._live(group)
        want_od = group.on_demand_target()
        have_od = sum(1 for m in live if not m.spot)
        failed = False
        for _ in range(group.desired - len(live)):
            capacity = L.ON_DEMAND if have_od < want_od else L.SPOT
            if not self._launch(group, capacity):
                failed = True
                continue
            have_od += capacity == L.ON_DEMAND
        if failed and not group.retry_due:
            group.retry_due = True
            self.world.journal.record(
                "asg-launch-failed", group=group.name, reason="InsufficientInstanceCapacity"
            )

            def retry() -> None:
                group.retry_due = False
                self.reconcile(group)

            self.world.timeline.after(self.retry_seconds, "asg-retry", retry)

    def _launch(self, group: GroupState, capacity: str) -> bool:
        """Launch one instance in the least-used zone; spot takes the cheapest offering with capacity."""
        now = self.world.now
        per_zone = {z: sum(1 for m in self._live(group) if m.zone == z) for z in group.zones}
        choices = []
        for zone in sorted(group.zones, key=lambda z: (per_zone[z], z)):
            for shape in group.shapes:
                price = self.world.market.price(shape.name, zone, capacity, now)
                if price is None:
                    continue
                if capacity == L.SPOT and not self.world.market.spot_available(shape.name, zone, now):
                    continue
                choices.append((per_zone[zone], price, shape.name, zone, shape))
        if not choices:
            return False
        _, _, _, zone, shape = min(choices)
        labels = {
            L.EKS_NODEGROUP: group.name,
            L.EKS_CAPACITY_TYPE: L.EKS_VALUES[capacity],
            L.POOL: group.pool,
            "eks.amazonaws.com/nodegroup-image": "ami-0spotvortexsim",
        }
        machine = self.fleet.launch(
            shape,
            zone,
            capacity,
            OWNER_PREFIX + group.name,
            labels=labels,
            latency_seconds=self.launch_seconds,
        )
        group.instances[machine.instance_id] = machine
        return True

    def _terminated(self, machine: Machine) -> None:
        if not machine.owner.startswith(OWNER_PREFIX):
            return
        group = self.groups_by_name.get(machine.owner[len(OWNER_PREFIX) :])
        if group is None:
            return
        group.instances.pop(machine.instance_id, None)
        self.world.timeline.at(self.world.now, "asg-replace", lambda: self.reconcile(group))

    # -- the AutoScalingBackend the AWS emulator serves ---------------------------------------------------

    def groups(self) -> Sequence[AsgGroup]:
        out = []
        for name, g in sorted(self.groups_by_name.items()):
            instances = tuple(
                AsgInstance(
                    instance_id=m.instance_id,
                    group=name,
                    zone=m.zone,
                    instance_type=m.instance_type,
                    lifecycle_state="InService" if m.registered else "Pending",
                )
                for m in self._live(g)
            )
            tags = {L.POOL: g.pool, "eks:nodegroup-name": name}
            if g.capacity_type is not None:
                tags["spotvortex.io/capacity-type"] = g.capacity_type
            out.append(
                AsgGroup(
                    name=name,
                    min_size=g.min_size,
                    max_size=g.max_size,
                    desired_capacity=g.desired,
                    availability_zones=tuple(g.zones),
                    instances=instances,
                    tags=tags,
                    created_time=g.created,
                    on_demand_base_capacity=g.on_demand_base,
                    on_demand_percentage_above_base=g.on_demand_percentage,
                    instance_types=tuple(s.name for s in g.shapes),
                    spot_allocation_strategy="price-capacity-optimized"
                    if g.capacity_type != L.ON_DEMAND
                    else None,
                )
            )
        return out

    def _group(self, name: str) -> GroupState:
        group = self.groups_by_name.get(name)
        if group is None:
            raise AwsError(
                "ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup {name} not found"
            )
        return group

    def set_desired_capacity(self, group: str, desired: int) -> None:
        g = self._group(group)
        g.desired = desired
        self.world.journal.record("asg-desired", group=group, desired=desired)
        self.world.timeline.at(self.world.now, "asg-reconcile", lambda: self.reconcile(g))

    def update_group(
        self,
        group: str,
        *,
        min_size: int | None,
        max_size: int | None,
        desired: int | None,
        on_demand_base: int | None,
        on_demand_percentage: int | None,
    ) -> None:
        g = self._group(group)
        g.min_size = g.min_size if min_size is None else min_size
        g.max_size = g.max_size if max_size is None else max_size
        g.desired = g.desired if desired is None else desired
        if on_demand_base is not None:
            g.on_demand_base = on_demand_base
        if on_demand_percentage is not None:
            g.on_demand_percentage = on_demand_percentage
        self.world.journal.record(
            "asg-updated", group=group, desired=g.desired, on_demand_percentage=g.on_demand_percentage
        )
        self.world.timeline.at(self.world.now, "asg-reconcile", lambda: self.reconcile(g))

    def terminate_instance(self, instance_id: str, decrement_desired: bool) -> ScalingActivity:
        for g in self.groups_by_name.values():
            machine = g.instances.get(instance_id)
            if machine is None:
                continue
            before = self.groups()
            snapshot = next(x for x in before if x.name == g.name)
            instance = next(i for i in snapshot.instances if i.instance_id == instance_id)
            if decrement_desired:
                g.desired = max(g.min_size, g.desired - 1)
            self.fleet.terminate(machine, "asg-terminate")
            number = self.world.next_number("asg-activity")
            return termination_activity(
                snapshot,
                instance,
                decrement=decrement_desired,
                at=self.world.now,
                activity_id=f"{number:08x}-5157-4000-8000-000000000000",
            )
        raise AwsError(
            "ValidationError",
            f"Instance Id not found - No managed instance found for instance ID: {instance_id}",
        )
