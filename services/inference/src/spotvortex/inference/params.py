"""A runtime config compiled into the numbers the policy reads: normalised thresholds, cap tables, OOD bounds.

Compiling once keeps the per-decision path free of file reads and sorting; :func:`compile_params` is cached per
(frozen, hashable) config, so passing the same :class:`RuntimeConfig` to every ``decide`` call costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from spotvortex.inference.buckets import OodBounds, load_bounds
from spotvortex.inference.config import (
    DEFAULT_MIGRATION_COST_CAPS,
    DEFAULT_OUTAGE_PENALTY_CAPS,
    DEFAULT_PRIORITY_CAPS,
    DEFAULT_STARTUP_TIME_CAPS,
    DEFAULT_UTILIZATION_CAPS,
    CapRule,
    RuntimeConfig,
)

CapTable = tuple[tuple[float, float], ...]  # (threshold, cap), threshold descending


def cap_table(
    rules: tuple[CapRule, ...], defaults: tuple[CapRule, ...], *, unit_threshold: bool = False
) -> CapTable:
    """Normalise cap rules: empty ⇒ defaults; thresholds ≥ 0 (≤ 1 for shares); caps in [0, 1]; descending order,
    equal thresholds with the smaller cap first."""
    chosen = rules or defaults
    table = []
    for rule in chosen:
        threshold = max(0.0, rule.threshold)
        if unit_threshold:
            threshold = min(1.0, threshold)
        table.append((threshold, min(1.0, max(0.0, rule.max_spot_ratio))))
    return tuple(sorted(table, key=lambda tc: (-tc[0], tc[1])))


@dataclass(frozen=True)
class PolicyParams:
    config: RuntimeConfig
    emergency_risk: float
    runtime_emergency: float
    high_risk: float
    medium_risk: float
    min_spot_ratio: float  # never above max_spot_ratio
    max_spot_ratio: float
    priority_caps: CapTable
    outage_penalty_caps: CapTable
    startup_time_caps: CapTable
    migration_cost_caps: CapTable
    utilization_caps: CapTable
    bounds: OodBounds
    ood_conservative: bool


@lru_cache(maxsize=64)
def compile_params(config: RuntimeConfig) -> PolicyParams:
    d = config.deterministic_policy
    high = min(d.high_risk_threshold, d.emergency_risk_threshold)
    return PolicyParams(
        config=config,
        emergency_risk=d.emergency_risk_threshold,
        runtime_emergency=d.runtime_emergency_threshold,
        high_risk=high,
        medium_risk=min(d.medium_risk_threshold, high),
        min_spot_ratio=min(config.min_spot_ratio, config.max_spot_ratio),
        max_spot_ratio=config.max_spot_ratio,
        priority_caps=cap_table(d.priority_cap_rules, DEFAULT_PRIORITY_CAPS, unit_threshold=True),
        outage_penalty_caps=cap_table(d.outage_penalty_cap_rules, DEFAULT_OUTAGE_PENALTY_CAPS),
        startup_time_caps=cap_table(d.startup_time_cap_rules, DEFAULT_STARTUP_TIME_CAPS),
        migration_cost_caps=cap_table(d.migration_cost_cap_rules, DEFAULT_MIGRATION_COST_CAPS),
        utilization_caps=cap_table(d.utilization_cap_rules, DEFAULT_UTILIZATION_CAPS, unit_threshold=True),
        bounds=load_bounds(d.feature_buckets),
        ood_conservative=d.ood_mode.strip().lower() == "conservative",
    )
