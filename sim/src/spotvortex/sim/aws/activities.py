"""Scaling activities worded as AWS words them, for backends that answer TerminateInstanceInAutoScalingGroup.

Operators and tests read ``Cause`` and ``Description``; building them here keeps every backend's wording
identical to what the console and CLI show for a user-requested termination.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .model import AsgGroup, AsgInstance, ScalingActivity


def termination_activity(
    group: AsgGroup, instance: AsgInstance, *, decrement: bool, at: datetime, activity_id: str
) -> ScalingActivity:
    """The activity AWS starts when a user terminates ``instance``; ``group`` is the state before."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = (
        f"At {stamp} instance {instance.instance_id} was taken out of service in response to a user request"
    )
    if decrement:
        after = group.desired_capacity - 1
        cause += f", shrinking the capacity from {group.desired_capacity} to {after}."
    else:
        cause += "."
    return ScalingActivity(
        activity_id=activity_id,
        group=group.name,
        description=f"Terminating EC2 instance: {instance.instance_id}",
        cause=cause,
        start_time=at,
        status_code="InProgress",
        progress=0,
        details=json.dumps({"Availability Zone": instance.zone}, separators=(",", ":")),
    )
