"""Cap rules (upstream-spec §3.3): each rule at its threshold, the combination of caps, and the target share."""

from __future__ import annotations

import msgspec
import pytest

from spotvortex.contracts import Action, PoolSafety
from spotvortex.inference.caps import caps, migration_cost_usd, rule_cap
from spotvortex.inference.config import CapRule, RuntimeConfig
from spotvortex.inference.params import cap_table, compile_params
from spotvortex.inference.policy import decide_deterministic, target_ratio

from .builders import inputs

SHIPPED = compile_params(RuntimeConfig())
BELOW = 1e-9


@pytest.mark.parametrize(
    ("table", "value", "cap"),
    [
        ("priority_caps", 1.0, 0.2),
        ("priority_caps", 0.9, 0.2),
        ("priority_caps", 0.9 - BELOW, 0.5),
        ("priority_caps", 0.7, 0.5),
        ("priority_caps", 0.7 - BELOW, 0.8),
        ("priority_caps", 0.45, 0.8),
        ("priority_caps", 0.45 - BELOW, 1.0),
        ("outage_penalty_caps", 96.0, 0.1),
        ("outage_penalty_caps", 96.0 - BELOW, 0.2),
        ("outage_penalty_caps", 48.0, 0.2),
        ("outage_penalty_caps", 48.0 - BELOW, 0.3),
        ("outage_penalty_caps", 24.0, 0.3),
        ("outage_penalty_caps", 24.0 - BELOW, 0.5),
        ("outage_penalty_caps", 10.0, 0.5),
        ("outage_penalty_caps", 10.0 - BELOW, 1.0),
        ("startup_time_caps", 600.0, 0.2),
        ("startup_time_caps", 600.0 - BELOW, 0.3),
        ("startup_time_caps", 300.0, 0.3),
        ("startup_time_caps", 300.0 - BELOW, 0.5),
        ("startup_time_caps", 120.0, 0.5),
        ("startup_time_caps", 120.0 - BELOW, 1.0),
        ("migration_cost_caps", 8.0, 0.2),
        ("migration_cost_caps", 8.0 - BELOW, 0.3),
        ("migration_cost_caps", 5.0, 0.3),
        ("migration_cost_caps", 5.0 - BELOW, 0.6),
        ("migration_cost_caps", 2.0, 0.6),
        ("migration_cost_caps", 2.0 - BELOW, 1.0),
        ("utilization_caps", 0.95, 0.7),
        ("utilization_caps", 0.95 - BELOW, 1.0),
    ],
)
def test_shipped_cap_rules(table: str, value: float, cap: float) -> None:
    assert rule_cap(getattr(SHIPPED, table), value) == cap


def test_each_feature_caps_the_pool() -> None:
    by_priority = caps(inputs(priority=0.95).workload, SHIPPED)
    assert (by_priority.priority, by_priority.feature_cap) == (0.2, 0.2)
    by_outage = caps(inputs(outage=30.0).workload, SHIPPED)
    assert (by_outage.outage_penalty, by_outage.feature_cap) == (0.3, 0.3)
    by_startup = caps(inputs(startup=400.0).workload, SHIPPED)
    assert (by_startup.startup_time, by_startup.feature_cap) == (0.3, 0.3)
    by_utilisation = caps(inputs(utilisation=0.97).workload, SHIPPED)
    assert (by_utilisation.utilization, by_utilisation.feature_cap) == (0.7, 0.7)


def test_migration_cost_formula_and_cap() -> None:
    """cost = startup hours × (on-demand − spot) × utilisation × 2; $5 of it caps the pool at 30 %."""
    w = inputs(startup=3600.0, spot=1.0, od=6.0, utilisation=0.5).workload
    assert migration_cost_usd(w) == pytest.approx(5.0)
    c = caps(w, SHIPPED)
    assert (c.migration_cost, c.startup_time) == (0.3, 0.2)
    assert c.feature_cap == 0.2


def test_feature_workload_and_effective_caps() -> None:
    """feature cap = min over rules; workload cap adds the safety vector; effective cap adds max_spot_ratio."""
    i = inputs(priority=0.75, outage=12.0, safety=PoolSafety(safe_max_spot_ratio=0.4))
    c = caps(i.workload, SHIPPED)
    assert (c.priority, c.outage_penalty, c.feature_cap) == (0.5, 0.5, 0.5)
    assert (c.workload_cap, c.effective_cap) == (0.4, 0.4)
    tight = compile_params(RuntimeConfig(max_spot_ratio=0.3))
    assert caps(i.workload, tight).effective_cap == 0.3
    d = decide_deterministic(i, SHIPPED)
    assert {k: d.details[k] for k in ("feature_cap", "workload_cap", "effective_cap")} == {
        "feature_cap": 0.5,
        "workload_cap": 0.4,
        "effective_cap": 0.4,
    }


def test_cap_rule_normalisation() -> None:
    """Negative thresholds → 0, caps into [0, 1], descending, ties smallest cap first; empty ⇒ defaults."""
    rules = (
        CapRule(threshold=-5, max_spot_ratio=0.9),
        CapRule(threshold=10, max_spot_ratio=1.5),
        CapRule(threshold=10, max_spot_ratio=0.4),
        CapRule(threshold=20, max_spot_ratio=-0.2),
    )
    assert cap_table(rules, ()) == ((20, 0.0), (10, 0.4), (10, 1.0), (0.0, 0.9))
    assert cap_table((), rules[:1]) == ((0.0, 0.9),)
    assert cap_table((CapRule(threshold=3, max_spot_ratio=0.5),), (), unit_threshold=True) == ((1.0, 0.5),)
    config = msgspec.convert({"deterministic_policy": {"priority_cap_rules": []}}, RuntimeConfig)
    assert compile_params(config).priority_caps == SHIPPED.priority_caps


@pytest.mark.parametrize(
    ("action", "current", "cap", "target"),
    [
        (Action.INCREASE_30, 0.5, 1.0, 0.8),
        (Action.INCREASE_30, 0.8, 1.0, 1.0),  # never above the effective cap
        (Action.INCREASE_10, 0.5, 0.55, 0.55),
        (Action.INCREASE_10, 0.0, 1.0, 0.167),  # raised to the floor
        (Action.DECREASE_10, 0.5, 1.0, 0.4),
        (Action.DECREASE_30, 0.3, 1.0, 0.167),  # not under the floor
        (Action.DECREASE_10, 0.1, 1.0, 0.1),  # already under the floor: stays, never rises
        (Action.DECREASE_10, 0.9, 0.5, 0.5),  # never above the effective cap
        (Action.HOLD, 0.5, 1.0, 0.5),
        (Action.EMERGENCY_EXIT, 0.6, 1.0, 0.0),  # to zero, below the floor
    ],
)
def test_target_share(action: Action, current: float, cap: float, target: float) -> None:
    assert target_ratio(action, current, cap, SHIPPED) == pytest.approx(target)
