"""One steering call per provisioner path, so the service treats Karpenter, Cluster Autoscaler and Auto
Scaling groups alike: steer (or, without ``apply``, only plan) and say which NodePools hold the pool's nodes.

Every backend is called for every approved verdict, HOLD included: direction 0 means "target met", which the
Karpenter planner and the expander turn into a return to neutral, and which leaves a mixed group's
percentage where the held target puts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from spotvortex.contracts import GateVerdict, SteerOperation
from spotvortex.contracts.enums import Provisioner
from spotvortex.router.asg_api import AsgSteering
from spotvortex.router.cluster import KarpenterApi
from spotvortex.router.config import RouterConfig
from spotvortex.router.expander_api import ExpanderApi
from spotvortex.router.planning import spot_cpu_after
from spotvortex.router.steering import plan_steering
from spotvortex.router.views import NodePoolView


@dataclass(frozen=True)
class Steered:
    """What a backend did (or would do), and the NodePools that select the pool's nodes (none: by label)."""

    provisioner: Provisioner
    operations: list[SteerOperation]
    nodepools: list[NodePoolView] = field(default_factory=list)


class Backend(Protocol):
    async def steer(self, verdict: GateVerdict, *, apply: bool) -> Steered: ...


class KarpenterBackend:
    def __init__(self, api: KarpenterApi, config: RouterConfig) -> None:
        self._api = api
        self._config = config

    async def steer(self, verdict: GateVerdict, *, apply: bool) -> Steered:
        nodepools = await self._api.nodepools(verdict.pool, self._config)
        direction = verdict.action.direction
        if direction == 0:  # target reached: weights go back, the spot limit keeps holding the share
            patches = plan_steering(verdict.pool, 0, nodepools, self._config)
        else:
            nodes = await self._api.nodes(verdict.pool, nodepools)
            patches = plan_steering(
                verdict.pool,
                direction,
                nodepools,
                self._config,
                target=verdict.target_spot_ratio,
                spot_cpu_limit=spot_cpu_after(verdict, nodes),
            )
        if apply:
            for patch in patches:
                await self._api.apply(patch)
        return Steered(Provisioner.KARPENTER, [p.operation for p in patches], nodepools)


class ExpanderBackend:
    def __init__(self, api: ExpanderApi) -> None:
        self._api = api

    async def steer(self, verdict: GateVerdict, *, apply: bool) -> Steered:
        operations = await self._api.steer(verdict.pool, verdict.action.direction, apply=apply)
        return Steered(Provisioner.CLUSTER_AUTOSCALER, operations)


class AsgBackend:
    """A mixed group's percentage follows the target; twins are shifted by the drainer, replacement first."""

    def __init__(self, api: AsgSteering) -> None:
        self._api = api

    async def steer(self, verdict: GateVerdict, *, apply: bool) -> Steered:
        operations = await self._api.steer(verdict.pool, verdict.target_spot_ratio, apply=apply)
        detected = verdict.facts.provisioner if verdict.facts else None
        provisioner = (
            Provisioner.CLUSTER_AUTOSCALER
            if detected is Provisioner.CLUSTER_AUTOSCALER
            else Provisioner.MANAGED_NODEGROUP
        )
        return Steered(provisioner, operations)
