"""Auto Scaling's capacity rules and the exact words AWS uses when a request breaks them.

The wire layer applies them to a backend snapshot before any mutation, so every backend answers bad
requests the way AWS does; a simulator may also call them to keep its own state consistent.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import AsgGroup, AsgInstance, AwsError


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationError", message)


def group_not_found(name: str) -> AwsError:
    return validation_error(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")


def find_group(groups: Sequence[AsgGroup], name: str) -> AsgGroup:
    for group in groups:
        if group.name == name:
            return group
    raise group_not_found(name)


def find_instance(groups: Sequence[AsgGroup], instance_id: str) -> tuple[AsgGroup, AsgInstance]:
    for group in groups:
        for instance in group.instances:
            if instance.instance_id == instance_id:
                return group, instance
    raise validation_error(
        f"Instance Id not found - No managed instance found for instance ID: {instance_id}"
    )


def check_desired(group: AsgGroup, desired: int) -> None:
    """SetDesiredCapacity's bounds check."""
    if desired > group.max_size:
        raise validation_error(
            f"New SetDesiredCapacity value {desired} is above max value {group.max_size} for the AutoScalingGroup."
        )
    if desired < group.min_size:
        raise validation_error(
            f"New SetDesiredCapacity value {desired} is below min value {group.min_size} for the AutoScalingGroup."
        )


def resolve_update(
    group: AsgGroup, min_size: int | None, max_size: int | None, desired: int | None
) -> int | None:
    """The desired capacity an UpdateAutoScalingGroup leaves behind, or ``None`` when it stays.

    AWS raises the desired capacity to a new minimum and lowers it to a new maximum when the request does
    not set it; that implicit change is made explicit here so backends need not know the rule.
    """
    lo = group.min_size if min_size is None else min_size
    hi = group.max_size if max_size is None else max_size
    if lo > hi:
        raise validation_error(f"Max bound, {hi}, must be greater than or equal to min bound, {lo}")
    if desired is not None:
        if not lo <= desired <= hi:
            raise validation_error(
                f"Desired capacity:{desired} must be between the specified min size:{lo} and max size:{hi}"
            )
        return desired
    if group.desired_capacity < lo:
        return lo
    if group.desired_capacity > hi:
        return hi
    return None


def check_terminate(group: AsgGroup, decrement: bool) -> None:
    """Terminating without replacement must not take the group below its minimum."""
    if decrement and group.desired_capacity <= group.min_size:
        raise validation_error(
            f"Currently, desiredSize equals minSize ({group.min_size}). Terminating instance without "
            "replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity "
            "flag to false or lower group's min size."
        )
