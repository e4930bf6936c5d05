"""Pool snapshots and policy inputs for the inference tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from spotvortex.contracts import (
    Action,
    MarketSeries,
    NodeCounts,
    PoolSafety,
    PoolTelemetry,
    PricePoint,
    Provisioner,
    Utilisation,
    WorkloadProfile,
)
from spotvortex.inference import Models
from spotvortex.inference.caps import WorkloadInputs
from spotvortex.inference.policy import PolicyInputs
from spotvortex.inference.rl import StateInputs, state_vector

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SNAPSHOT = NOW - timedelta(seconds=5)
OD = 0.096
SPOT = 0.035


def series(
    instance_type: str = "m5.large",
    zone: str = "us-east-1a",
    *,
    spot: float = SPOT,
    od: float = OD,
    history: list[tuple[timedelta, float]] | None = None,
    **overrides: Any,
) -> MarketSeries:
    """A market; ``history`` is (age before the snapshot, price) pairs, default one change three hours ago."""
    points = [(timedelta(hours=3), spot)] if history is None else history
    return MarketSeries(
        instance_type=instance_type,
        zone=zone,
        on_demand_price=od,
        spot_price=spot,
        prices=[PricePoint(time=SNAPSHOT - age, spot_price=price) for age, price in points],
        advisor_band=overrides.pop("advisor_band", 1),
        **overrides,
    )


def telemetry(pool: str = "web", **overrides: Any) -> PoolTelemetry:
    """A calm, cheap, in-distribution pool at 50 % spot (the rules grow it by 30 points)."""
    values: dict[str, Any] = {
        "cluster": "prod",
        "pool": pool,
        "time": SNAPSHOT,
        "provisioner": Provisioner.KARPENTER,
        "nodes": NodeCounts(spot=5, on_demand=5, spot_ready=5, on_demand_ready=5),
        "current_spot_ratio": 0.5,
        "instance_types": ["m5.large"],
        "zones": ["us-east-1a"],
        "dominant_instance_type": "m5.large",
        "utilisation": Utilisation(cpu_requested_cores=6, cpu_allocatable_cores=10),
        "workload": WorkloadProfile(pod_startup_p95_seconds=30, outage_penalty_hours=1.0, priority_score=0.3),
        "market": [series()],
        "cluster_nodes": 40,
    }
    values.update(overrides)
    return PoolTelemetry(**values)


def inputs(
    capacity: float = 0.1,
    runtime: float = 0.1,
    *,
    current: float = 0.5,
    spot: float = 0.03,
    od: float = 0.1,
    startup: float = 30.0,
    outage: float = 1.0,
    priority: float = 0.3,
    utilisation: float = 0.6,
    safety: PoolSafety | None = None,
) -> PolicyInputs:
    """Policy inputs of an in-distribution pool (savings 70 %, payback 0.01 h) with the given risk scores."""
    return PolicyInputs(
        capacity_score=capacity,
        runtime_score=runtime,
        workload=WorkloadInputs(
            current_spot_ratio=current,
            spot_price=spot,
            on_demand_price=od,
            pod_startup_seconds=startup,
            outage_penalty_hours=outage,
            priority_score=priority,
            utilisation=utilisation,
            safety=safety or PoolSafety(),
        ),
    )


class PreferringQ:
    """A q-model that prefers one action for every pool: the decision logic around the q-model is under test,
    not what a trained model happens to choose."""

    name = "preferring-q"
    kind = "test"

    def __init__(self, action: Action) -> None:
        self.action = action
        self.version = f"preferring-{action.value}"

    def state(self, s: StateInputs) -> list[float]:
        return state_vector(s)

    def q_values(self, states: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        q = np.zeros((len(states), len(Action)), dtype=np.float64)
        q[:, list(Action).index(self.action)] = 1.0
        return q


def with_q(models: Models, action: Action) -> Models:
    return dataclasses.replace(models, rl=PreferringQ(action))
