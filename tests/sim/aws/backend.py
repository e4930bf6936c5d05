"""A small but honest ``AutoScalingBackend`` for wire tests: it keeps state and enforces AWS's rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from spotvortex.sim.aws import AsgGroup, AsgInstance, ScalingActivity, termination_activity
from spotvortex.sim.aws import autoscaling_rules as rules

CREATED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeAutoScaling:
    def __init__(self, groups: Sequence[AsgGroup]) -> None:
        self._groups = {g.name: g for g in groups}
        self._activities = 0

    def groups(self) -> Sequence[AsgGroup]:
        return list(self._groups.values())

    def group(self, name: str) -> AsgGroup:
        return self._groups[name]

    def set_desired_capacity(self, group: str, desired: int) -> None:
        current = rules.find_group(self.groups(), group)
        rules.check_desired(current, desired)
        self._groups[group] = replace(current, desired_capacity=desired)

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
        current = rules.find_group(self.groups(), group)
        self._groups[group] = replace(
            current,
            min_size=current.min_size if min_size is None else min_size,
            max_size=current.max_size if max_size is None else max_size,
            desired_capacity=current.desired_capacity if desired is None else desired,
            on_demand_base_capacity=(
                current.on_demand_base_capacity if on_demand_base is None else on_demand_base
            ),
            on_demand_percentage_above_base=(
                current.on_demand_percentage_above_base
                if on_demand_percentage is None
                else on_demand_percentage
            ),
        )

    def terminate_instance(self, instance_id: str, decrement_desired: bool) -> ScalingActivity:
        group, instance = rules.find_instance(self.groups(), instance_id)
        rules.check_terminate(group, decrement_desired)
        self._activities += 1
        activity = termination_activity(
            group,
            instance,
            decrement=decrement_desired,
            at=datetime(2025, 3, 2, 8, 30, tzinfo=UTC),
            activity_id=f"00000000-0000-4000-8000-{self._activities:012d}",
        )
        remaining = tuple(
            replace(i, lifecycle_state="Terminating") if i.instance_id == instance_id else i
            for i in group.instances
        )
        desired = group.desired_capacity - 1 if decrement_desired else group.desired_capacity
        self._groups[group.name] = replace(group, instances=remaining, desired_capacity=desired)
        return activity


def instance(instance_id: str, group: str, zone: str, instance_type: str = "m5.large") -> AsgInstance:
    return AsgInstance(
        instance_id=instance_id,
        group=group,
        zone=zone,
        instance_type=instance_type,
        lifecycle_state="InService",
        launch_template="nodes",
    )


def twin_groups() -> list[AsgGroup]:
    """Spot and On-Demand twins of two pools, plus filler groups that only pagination should see."""
    zones = ("us-east-1a", "us-east-1b")
    groups = [
        AsgGroup(
            name="web-spot",
            min_size=1,
            max_size=10,
            desired_capacity=2,
            availability_zones=zones,
            instances=(
                instance("i-0000000000000000a", "web-spot", zones[0]),
                instance("i-0000000000000000b", "web-spot", zones[1], "m5a.large"),
            ),
            tags={"spotvortex.io/pool": "web", "spotvortex.io/capacity": "spot", "team": "payments"},
            created_time=CREATED,
            on_demand_base_capacity=0,
            on_demand_percentage_above_base=0,
            instance_types=("m5.large", "m5a.large", "m6i.large"),
            spot_allocation_strategy="price-capacity-optimized",
            launch_template="nodes",
            capacity_rebalance=True,
        ),
        AsgGroup(
            name="web-ondemand",
            min_size=0,
            max_size=10,
            desired_capacity=1,
            availability_zones=zones,
            instances=(instance("i-0000000000000000c", "web-ondemand", zones[0]),),
            tags={"spotvortex.io/pool": "web", "spotvortex.io/capacity": "on-demand"},
            created_time=CREATED,
            launch_template="nodes",
        ),
        AsgGroup(
            name="batch-spot",
            min_size=0,
            max_size=5,
            desired_capacity=0,
            availability_zones=zones,
            instances=(),
            tags={"spotvortex.io/pool": "batch", "spotvortex.io/capacity": "spot"},
            created_time=CREATED,
            on_demand_base_capacity=0,
            on_demand_percentage_above_base=0,
            instance_types=("c5.xlarge",),
            launch_template="batch",
        ),
    ]
    groups += [
        AsgGroup(
            name=f"filler-{i:02d}",
            min_size=0,
            max_size=1,
            desired_capacity=0,
            availability_zones=zones,
            instances=(),
            tags={"purpose": "filler"},
            created_time=CREATED,
        )
        for i in range(7)
    ]
    return groups
