"""Closed vocabularies shared by several events."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """The six pool actions; the declaration order is the q-value index order of the policy models."""

    HOLD = "HOLD"
    DECREASE_10 = "DECREASE_10"
    DECREASE_30 = "DECREASE_30"
    INCREASE_10 = "INCREASE_10"
    INCREASE_30 = "INCREASE_30"
    EMERGENCY_EXIT = "EMERGENCY_EXIT"

    @property
    def position(self) -> int:
        return list(Action).index(self)

    @property
    def direction(self) -> int:
        """+1 moves the pool toward spot, −1 toward on-demand, 0 holds."""
        if self in (Action.INCREASE_10, Action.INCREASE_30):
            return 1
        if self in (Action.DECREASE_10, Action.DECREASE_30, Action.EMERGENCY_EXIT):
            return -1
        return 0

    @classmethod
    def from_index(cls, index: int) -> Action:
        return list(Action)[index]


class Mode(StrEnum):
    """How far a decision travels: observe (decide only), shadow (plan, zero mutations), enforce."""

    OBSERVE = "observe"
    SHADOW = "shadow"
    ENFORCE = "enforce"


class CapacityType(StrEnum):
    SPOT = "spot"
    ON_DEMAND = "on-demand"
    RESERVED = "reserved"


class Provisioner(StrEnum):
    """Which autoscaler owns a pool's nodes (detected from node labels)."""

    KARPENTER = "karpenter"
    CLUSTER_AUTOSCALER = "cluster-autoscaler"
    MANAGED_NODEGROUP = "managed-nodegroup"


class PolicySource(StrEnum):
    DETERMINISTIC = "deterministic"
    RL = "rl"
    FALLBACK = "fallback"


class Direction(StrEnum):
    """Which way a drain moves capacity."""

    SPOT_TO_ON_DEMAND = "spot-to-on-demand"
    ON_DEMAND_TO_SPOT = "on-demand-to-spot"
