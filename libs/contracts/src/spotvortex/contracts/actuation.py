"""Actuation events: steering changes, drain jobs and their per-node results."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from spotvortex.contracts.base import AwareDatetime, Count, Event, Name, Share
from spotvortex.contracts.enums import CapacityType, Direction, Mode, Provisioner


class SteerOperation(msgspec.Struct, frozen=True, kw_only=True):
    """One change to a provisioner object (NodePool field, ASG setting, expander ConfigMap entry)."""

    target_kind: Literal["nodepool", "asg", "configmap"]
    target: Name
    field: Name
    before: str | None = None
    after: str


class SteeringChange(Event, frozen=True, kw_only=True):
    """What the router changed, or in shadow mode would have changed (``applied`` false)."""

    cluster: Name
    pool: Name
    decision_id: Name
    time: AwareDatetime
    mode: Mode
    provisioner: Provisioner
    target_spot_ratio: Share
    applied: bool
    operations: list[SteerOperation] = []

    def fact_id(self) -> str:
        return f"steer:{self.decision_id}"


class DrainJob(Event, frozen=True, kw_only=True):
    """A plan to drain nodes, in order, before a deadline. The job id keys its state in KV."""

    job_id: Name
    cluster: Name
    pool: Name
    decision_id: Name
    time: AwareDatetime
    mode: Mode
    direction: Direction
    nodes: Annotated[list[str], msgspec.Meta(min_length=1)]
    deadline: AwareDatetime
    grace_period_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60
    emergency: bool = False
    reason: str = ""
    provisioner: Provisioner = Provisioner.KARPENTER
    nodepools: list[Name] = []
    """The pool's provisioner objects (NodePools) replacement capacity may come from."""
    replacement_first: bool = True
    """Bring up capacity of the target type before the first eviction (an emergency does not wait for it)."""

    @property
    def target_capacity_type(self) -> CapacityType:
        """The capacity type the drained pods move to."""
        if self.direction is Direction.SPOT_TO_ON_DEMAND:
            return CapacityType.ON_DEMAND
        return CapacityType.SPOT

    def fact_id(self) -> str:
        return f"drain:{self.job_id}"


DrainOutcome = Literal["drained", "rolled-back", "skipped", "failed", "would-drain", "abandoned"]


class DrainResult(Event, frozen=True, kw_only=True):
    """The result of draining one node of a job."""

    job_id: Name
    cluster: Name
    pool: Name
    node: Name
    time: AwareDatetime
    mode: Mode
    outcome: DrainOutcome
    pods_evicted: Count = 0
    pods_skipped: Count = 0
    pods_blocked: Count = 0
    detail: str = ""

    def fact_id(self) -> str:
        return f"drained:{self.job_id}:{self.node}"
