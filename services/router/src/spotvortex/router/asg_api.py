"""The router's Auto Scaling calls: the shared client (:class:`spotvortex.aws.autoscaling.AsgApi`, which
finds a pool's groups) plus the one write only the router makes, a mixed group's on-demand percentage.

With ``apply`` false the group is read and the change planned and returned, and no mutating request is sent
(shadow mode). AWS errors become :class:`TransientError` naming the action, so a verdict is retried.
"""

from __future__ import annotations

from spotvortex.aws.autoscaling import AsgApi
from spotvortex.contracts import SteerOperation
from spotvortex.router.asg import plan_mix


class AsgSteering(AsgApi):
    async def steer(self, pool: str, target_spot_ratio: float, *, apply: bool) -> list[SteerOperation]:
        """Set a mixed group's OnDemandPercentageAboveBaseCapacity to the target; twins need no steering
        (capacity moves between them only through the drainer's replacement-first steps)."""
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
