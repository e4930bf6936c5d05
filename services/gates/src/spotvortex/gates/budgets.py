"""Drain budgets: how many nodes a decision may start draining, from the facts that travel with it.

Every budget is ``roundup(nodes × fraction) − already draining``, never negative. Rounding up is what keeps
small pools movable: a 3-node pool with a 20 % budget may drain one node at a time (the earlier
implementation's ``floor`` let nothing move in clusters of fewer than ten nodes).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import msgspec

from spotvortex.contracts import PoolFacts
from spotvortex.contracts.disruption_budgets import allowed_disruptions
from spotvortex.gates.config import GateConfig
from spotvortex.gates.state import PoolState


def share_of(total: int, fraction: float) -> int:
    return math.ceil(total * fraction - 1e-9) if total > 0 else 0


def pool_draining(facts: PoolFacts, state: PoolState, now: datetime) -> int:
    """Nodes of the pool already out of service or on their way: cordoned or not ready (a node that is both
    counts once), or, when more, the approved drains not yet visible in a snapshot plus the not-ready nodes."""
    nodes = facts.nodes
    visible = nodes.unavailable or nodes.cordoned + nodes.not_ready  # snapshots without ``unavailable``
    return max(visible, state.in_flight_at(now) + nodes.not_ready)


def pool_budget(facts: PoolFacts, state: PoolState, config: GateConfig, now: datetime) -> int:
    total = facts.nodes.total
    return max(0, share_of(total, config.pool_drain_fraction) - pool_draining(facts, state, now))


def hourly_budget(facts: PoolFacts, state: PoolState, config: GateConfig, now: datetime) -> int:
    used = state.drains_since(now - timedelta(hours=1))
    return max(0, share_of(facts.nodes.total, config.pool_drains_per_hour_fraction) - used)


def cluster_budget(facts: PoolFacts, config: GateConfig) -> int:
    total = max(facts.cluster_nodes, facts.nodes.total)
    return max(0, share_of(total, config.cluster_drain_fraction) - facts.cluster_draining)


def cluster_hourly_budget(facts: PoolFacts, config: GateConfig, started: int) -> int:
    """Nodes the cluster may still start draining this hour; ``started`` comes from the cluster record.

    The record is read before a proposal is judged and written after, so with several gates replicas a
    burst may overshoot this one budget by one move per replica; every per-pool budget is exact (CAS).
    """
    total = max(facts.cluster_nodes, facts.nodes.total)
    return max(0, share_of(total, config.cluster_drains_per_hour_fraction) - started)


def karpenter_budget(
    facts: PoolFacts, source_capacity_type: str, config: GateConfig, now: datetime, draining: int
) -> int | None:
    """Nodes the pool's NodePools that hold the source capacity let us disrupt now; ``None`` without any.

    A NodePool whose requirements do not name capacity types may hold either, so it counts as a source.
    """
    sources = [
        np for np in facts.nodepools if not np.capacity_types or source_capacity_type in np.capacity_types
    ]
    if not sources:
        return None
    allowed = sum(
        allowed_disruptions(
            [msgspec.structs.asdict(b) for b in np.budgets],
            total=np.nodes,
            disrupting=0,
            now=now,
            reason=config.karpenter_budget_reason,
        )
        if np.budgets
        else share_of(np.nodes, 0.1)  # Karpenter's default budget: 10 % of the NodePool's nodes
        for np in sources
    )
    return max(0, allowed - draining)
