"""The Auto Scaling API through aioboto3: find a pool's groups, steer a mixed group, shift between twins.

Every mutating method takes ``apply``: without it the method reads, plans and returns what it would do,
and sends no mutating request (shadow mode). AWS errors become :class:`TransientError` naming the action,
so a verdict is retried; what retrying cannot fix (tags) is an :class:`~spotvortex.router.asg.AsgError`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aioboto3
import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from spotvortex.contracts import SteerOperation
from spotvortex.contracts.enums import CapacityType
from spotvortex.router.asg import (
    AsgGroupView,
    AsgInstanceView,
    PoolGroups,
    classify,
    parse_group,
    parse_instance,
    plan_mix,
)
from spotvortex.router.asg_shift import (
    Preparation,
    Readiness,
    plan_prepare,
    plan_undo,
    readiness,
    still_to_raise,
)
from spotvortex.router.config import AsgConfig
from spotvortex.runtime.errors import TransientError

log = logging.getLogger("spotvortex.router.asg")

AWS_ERRORS = (BotoCoreError, ClientError)
DESCRIBE_LIMIT = 50
"""DescribeAutoScalingInstances takes at most 50 instance ids per call."""


@dataclass(frozen=True)
class Retirement:
    """Instances terminated now, and those already gone or leaving (a retried call skips them)."""

    terminated: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


class AsgApi:
    def __init__(
        self,
        config: AsgConfig,
        *,
        region: str,
        endpoint_url: str | None = None,
        session: aioboto3.Session | None = None,
    ) -> None:
        self._config = config
        self._region = region
        self._endpoint_url = endpoint_url
        self._session = session or aioboto3.Session(region_name=region)

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        async with self._session.client(
            "autoscaling", endpoint_url=self._endpoint_url, region_name=self._region
        ) as client:
            yield client

    @asynccontextmanager
    async def _calling(self, action: str) -> AsyncIterator[None]:
        try:
            yield
        except AWS_ERRORS as err:
            raise TransientError(f"autoscaling {action}: {err}") from err

    # -- reads ---------------------------------------------------------------------------------------------

    async def groups(self, pool: str) -> PoolGroups:
        """The pool's twins or mixed group, found by its pool tag."""
        found: list[AsgGroupView] = []
        async with self._client() as asg, self._calling("DescribeAutoScalingGroups"):
            pages = asg.get_paginator("describe_auto_scaling_groups").paginate(
                Filters=[{"Name": f"tag:{self._config.pool_tag}", "Values": [pool]}]
            )
            async for page in pages:
                found.extend(parse_group(g) for g in page.get("AutoScalingGroups", []))
        return classify(pool, found, self._config)

    async def group(self, name: str) -> AsgGroupView:
        async with self._client() as asg, self._calling("DescribeAutoScalingGroups"):
            reply = await asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        groups = reply.get("AutoScalingGroups", [])
        if not groups:
            raise TransientError(f"Auto Scaling group {name} not found")
        return parse_group(groups[0])

    # -- steering a mixed group ----------------------------------------------------------------------------

    async def steer(self, pool: str, target_spot_ratio: float, *, apply: bool) -> list[SteerOperation]:
        """Set a mixed group's OnDemandPercentageAboveBaseCapacity to the target; twins need no steering
        (capacity moves between them only through the replacement-first steps below)."""
        update = plan_mix(await self.groups(pool), target_spot_ratio)
        if update is None:
            return []
        if apply:
            async with self._client() as asg, self._calling("UpdateAutoScalingGroup"):
                await asg.update_auto_scaling_group(
                    AutoScalingGroupName=update.group,
                    MixedInstancesPolicy={
                        "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": update.percentage}
                    },
                )
        return [update.operation]

    # -- replacement-first shift between twins -------------------------------------------------------------

    async def prepare(self, pool: str, k: int, towards: CapacityType, *, apply: bool = True) -> Preparation:
        """Raise the ``towards`` twin's desired capacity by ``k``, clamped to its MaxSize.

        A full group is not an error: the returned preparation's ``prepared`` (0 ≤ prepared ≤ k) is how many
        replacements are coming, and the caller drains at most that many nodes. To survive a crash between
        the scale-up and storing the result, plan with :func:`~spotvortex.router.asg_shift.plan_prepare`,
        store, then call :meth:`raise_to`.
        """
        preparation = plan_prepare(await self.groups(pool), k, towards)
        if apply:
            await self.raise_to(preparation)
        return preparation

    async def raise_to(self, preparation: Preparation) -> None:
        """Make the target twin's desired capacity at least ``desired_after`` (idempotent)."""
        desired = still_to_raise(preparation, await self.group(preparation.group))
        if desired is None:
            return
        async with self._client() as asg, self._calling("SetDesiredCapacity"):
            await asg.set_desired_capacity(
                AutoScalingGroupName=preparation.group, DesiredCapacity=desired, HonorCooldown=False
            )
        log.info(
            "%s: %s desired %d → %d", preparation.pool, preparation.group, preparation.desired_before, desired
        )

    async def ready(self, preparation: Preparation) -> Readiness:
        """Whether the prepared instances are InService and Healthy in the group (AWS's view only: the
        caller also waits for their Kubernetes nodes to be Ready)."""
        return readiness(preparation, await self.group(preparation.group))

    async def retire(self, instance_ids: list[str], *, apply: bool = True) -> Retirement:
        """Terminate drained nodes' instances with ShouldDecrementDesiredCapacity, so their group shrinks
        instead of launching replacements. Instances no longer in a group, or already leaving, are skipped."""
        if not instance_ids:
            return Retirement()
        async with self._client() as asg:
            present: dict[str, AsgInstanceView] = {}
            for start in range(0, len(instance_ids), DESCRIBE_LIMIT):
                chunk = list(instance_ids[start : start + DESCRIBE_LIMIT])
                async with self._calling("DescribeAutoScalingInstances"):
                    reply = await asg.describe_auto_scaling_instances(InstanceIds=chunk)
                found = map(parse_instance, reply.get("AutoScalingInstances", []))
                present.update((i.instance_id, i) for i in found)
            retirement = Retirement()
            for iid in instance_ids:
                instance = present.get(iid)
                if instance is None or instance.leaving:
                    retirement.gone.append(iid)
                    continue
                if apply:
                    async with self._calling("TerminateInstanceInAutoScalingGroup"):
                        await asg.terminate_instance_in_auto_scaling_group(
                            InstanceId=iid, ShouldDecrementDesiredCapacity=True
                        )
                retirement.terminated.append(iid)
        return retirement

    async def undo(self, preparation: Preparation, *, apply: bool = True) -> Preparation:
        """Lower the target twin by the unused part of the scale-up; returns the preparation marked undone.

        AWS's termination policy chooses which instances leave, not this call: undo before replacements
        take pods (a drain that never started), and retire drained nodes one by one otherwise.
        """
        if preparation.unused == 0:
            return msgspec.structs.replace(preparation, undone=True)
        desired = plan_undo(preparation, await self.group(preparation.group))
        if desired is not None and apply:
            async with self._client() as asg, self._calling("SetDesiredCapacity"):
                await asg.set_desired_capacity(
                    AutoScalingGroupName=preparation.group, DesiredCapacity=desired, HonorCooldown=False
                )
        return msgspec.structs.replace(preparation, undone=True)
