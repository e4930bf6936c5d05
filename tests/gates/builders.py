"""Proposals with pool facts, for the gates' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from spotvortex.contracts import (
    Action,
    DisruptionBudget,
    NodeCounts,
    NodePoolInfo,
    PolicySource,
    PoolFacts,
    ProposedAction,
    Provisioner,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def facts(spot: int = 6, on_demand: int = 4, **overrides: Any) -> PoolFacts:
    values: dict[str, Any] = {
        "telemetry_time": NOW - timedelta(seconds=10),
        "provisioner": Provisioner.KARPENTER,
        "nodes": NodeCounts(spot=spot, on_demand=on_demand, spot_ready=spot, on_demand_ready=on_demand),
        "nodepools": [
            NodePoolInfo(
                name="web-spot", capacity_types=["spot"], nodes=spot, budgets=[DisruptionBudget(nodes="50%")]
            ),
            NodePoolInfo(
                name="web-od",
                capacity_types=["on-demand"],
                nodes=on_demand,
                budgets=[DisruptionBudget(nodes="50%")],
            ),
        ],
        "cluster_nodes": 40,
        "cluster_draining": 0,
    }
    values.update(overrides)
    return PoolFacts(**values)


def proposal(
    action: Action = Action.DECREASE_10,
    *,
    decision: str = "d1",
    current: float = 0.6,
    target: float | None = None,
    confidence: float = 0.9,
    capacity: float = 0.3,
    pool_facts: PoolFacts | None = None,
    pool: str = "web",
    cluster: str = "prod",
) -> ProposedAction:
    step = {
        Action.DECREASE_10: -0.1,
        Action.DECREASE_30: -0.3,
        Action.INCREASE_10: 0.1,
        Action.INCREASE_30: 0.3,
    }
    if target is None:
        target = (
            0.0 if action is Action.EMERGENCY_EXIT else min(1.0, max(0.0, current + step.get(action, 0.0)))
        )
    return ProposedAction(
        cluster=cluster,
        pool=pool,
        decision_id=decision,
        telemetry_id=f"t-{decision}",
        time=NOW,
        action=action,
        reason="test",
        policy=PolicySource.DETERMINISTIC,
        confidence=confidence,
        capacity_score=capacity,
        runtime_score=0.1,
        current_spot_ratio=current,
        target_spot_ratio=target,
        facts=facts() if pool_facts is None else pool_facts,
    )
