"""A mixed Auto Scaling group's on-demand percentage: how the router steers a pool backed by one group with
a MixedInstancesPolicy.

Finding the pool's groups (twins or one mixed group) is shared with the drainer and lives in
:mod:`spotvortex.aws.groups`; twins get no steering call here, their capacity moves replacement first in the
drainer.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotvortex.aws.groups import PoolGroups
from spotvortex.contracts import SteerOperation

PERCENTAGE_FIELD = "MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity"


def on_demand_percentage(target_spot_ratio: float) -> int:
    """The on-demand share above base capacity that launches the target spot share."""
    return round((1.0 - target_spot_ratio) * 100)


@dataclass(frozen=True)
class MixUpdate:
    """UpdateAutoScalingGroup of a mixed group's on-demand percentage, and its audit record."""

    group: str
    percentage: int
    operation: SteerOperation


def plan_mix(groups: PoolGroups, target_spot_ratio: float) -> MixUpdate | None:
    """The mixed group's new on-demand percentage; ``None`` for twins or when it already holds.

    The value follows the approved target whatever the direction, so a held target changes nothing.
    """
    group = groups.mixed
    if group is None:
        return None
    percentage = on_demand_percentage(target_spot_ratio)
    if group.on_demand_percentage == percentage:
        return None
    operation = SteerOperation(
        target_kind="asg",
        target=group.name,
        field=PERCENTAGE_FIELD,
        before=None if group.on_demand_percentage is None else str(group.on_demand_percentage),
        after=str(percentage),
    )
    return MixUpdate(group=group.name, percentage=percentage, operation=operation)
