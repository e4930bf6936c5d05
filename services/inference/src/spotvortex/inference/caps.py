"""How much of a pool may run on spot: the workload cap rules (upstream-spec §3.3) and the safety vector.

``feature_cap`` is the minimum over the workload features of the first matching rule (thresholds are closed:
a value equal to a threshold matches it); ``workload_cap`` adds the safety vector's ``safe_max_spot_ratio``;
``effective_cap`` adds the operator's ``max_spot_ratio``.

Fix (upstream-spec §11 item 11): ``min_spot_ratio`` no longer raises the effective cap. The earlier rules
clamped the cap into [min_spot_ratio, max_spot_ratio], so a pool whose safety vector allowed 10 % spot was kept
at 16.7 %; a safety cap now always wins over the cost floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotvortex.contracts.telemetry import PoolSafety
from spotvortex.inference.params import CapTable, PolicyParams

MIGRATION_COST_FACTOR = 2.0


@dataclass(frozen=True)
class WorkloadInputs:
    """The workload side of a pool, as the cap rules and the economics read it."""

    current_spot_ratio: float
    spot_price: float
    on_demand_price: float
    pod_startup_seconds: float
    outage_penalty_hours: float
    priority_score: float
    utilisation: float
    safety: PoolSafety


@dataclass(frozen=True)
class Caps:
    priority: float
    outage_penalty: float
    startup_time: float
    migration_cost: float
    utilization: float
    feature_cap: float
    workload_cap: float
    effective_cap: float


def migration_cost_usd(w: WorkloadInputs) -> float:
    """(startup hours) × (on-demand − spot, per hour) × utilisation × 2, as the earlier implementation priced a move."""
    return (
        (w.pod_startup_seconds / 3600)
        * max(0.0, w.on_demand_price - w.spot_price)
        * w.utilisation
        * MIGRATION_COST_FACTOR
    )


def rule_cap(table: CapTable, value: float) -> float:
    """The cap of the first rule (highest threshold first) with ``value ≥ threshold``; 1.0 when none matches."""
    for threshold, cap in table:
        if value >= threshold:
            return cap
    return 1.0


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def caps(w: WorkloadInputs, params: PolicyParams) -> Caps:
    by = {
        "priority": rule_cap(params.priority_caps, _clamp01(w.priority_score)),
        "outage_penalty": rule_cap(params.outage_penalty_caps, w.outage_penalty_hours),
        "startup_time": rule_cap(params.startup_time_caps, w.pod_startup_seconds),
        "migration_cost": rule_cap(params.migration_cost_caps, migration_cost_usd(w)),
        "utilization": rule_cap(params.utilization_caps, _clamp01(w.utilisation)),
    }
    feature_cap = min(by.values())
    workload_cap = _clamp01(min(feature_cap, w.safety.safe_max_spot_ratio))
    return Caps(
        **by,
        feature_cap=feature_cap,
        workload_cap=workload_cap,
        effective_cap=min(workload_cap, params.max_spot_ratio),
    )
