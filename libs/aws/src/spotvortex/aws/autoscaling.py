"""The Auto Scaling API through aioboto3: find a pool's groups, and shift capacity between twin groups.

Every mutating method takes ``apply``: without it the method reads, plans and returns what it would do,
and sends no mutating request (shadow mode). AWS errors become :class:`TransientError` naming the action, so
the caller retries; what retrying cannot fix (tags) is an :class:`~spotvortex.aws.groups.AsgError`.
Importing this module loads aioboto3, so the pure modules of this package never import it.
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

from spotvortex.aws.config import AsgConfig
from spotvortex.aws.groups import (
    AsgGroupView,
    AsgInstanceView,
    PoolGroups,
    classify,
    parse_group,
    parse_instance,
)
from spotvortex.aws.shift import Preparation, Readiness, plan_prepare, plan_undo, readiness, still_to_raise
from spotvortex.contracts.enums import CapacityType
from spotvortex.runtime.errors import TransientError

log = logging.getLogger("spotvortex.aws.autoscaling")

AWS_ERRORS = (BotoCoreError, ClientError)
DESCRIBE_LIMIT = 50
"""DescribeAutoScalingInstances takes at most 50 instance ids per call."""


@dataclass(frozen=True)
class Retirement:
    """Instances terminated now, those already gone or leaving (a retried call skips them), and those AWS
    refused to terminate for a reason retrying cannot change (the group is at its MinSize), with AWS's
    words."""

    terminated: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def _refusal(err: ClientError) -> str | None:
    """AWS's message when a request broke a rule of the group (``ValidationError``), else ``None``."""
    error = err.response.get("Error") or {}
    return str(error.get("Message") or err) if error.get("Code") == "ValidationError" else None


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

    # -- replacement-first shift between twins -------------------------------------------------------------

    async def plan(self, pool: str, k: int, towards: CapacityType) -> Preparation:
        """The scale-up of the ``towards`` twin by ``k`` (clamped to its MaxSize), read and planned but not
        made: store it, then call :meth:`raise_to`, so a crash in between never scales up twice."""
        return plan_prepare(await self.groups(pool), k, towards)

    async def prepare(self, pool: str, k: int, towards: CapacityType, *, apply: bool = True) -> Preparation:
        """Raise the ``towards`` twin's desired capacity by ``k``, clamped to its MaxSize.

        A full group is not an error: the returned preparation's ``prepared`` (0 ≤ prepared ≤ k) is how many
        replacements are coming, and the caller drains at most that many nodes. To survive a crash between
        the scale-up and storing the result, use :meth:`plan`, store, then :meth:`raise_to`.
        """
        preparation = await self.plan(pool, k, towards)
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
                refusal = await self._terminate(asg, iid) if apply else None
                if refusal is not None:
                    retirement.refused[iid] = refusal
                    continue
                retirement.terminated.append(iid)
        return retirement

    async def _terminate(self, asg: Any, iid: str) -> str | None:
        """Terminate one instance with decrement; AWS's words when it refuses for good, else ``None``."""
        action = "TerminateInstanceInAutoScalingGroup"
        try:
            await asg.terminate_instance_in_auto_scaling_group(
                InstanceId=iid, ShouldDecrementDesiredCapacity=True
            )
        except ClientError as err:
            refusal = _refusal(err)
            if refusal is None:
                raise TransientError(f"autoscaling {action}: {err}") from err
            return refusal
        except BotoCoreError as err:
            raise TransientError(f"autoscaling {action}: {err}") from err
        return None

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
