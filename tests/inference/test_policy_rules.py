"""The deterministic rules of upstream-spec §3.2, branch by branch, each threshold at exactly its value (closed ≥)."""

from __future__ import annotations

import math

import msgspec
import pytest

from spotvortex.contracts import Action, PoolSafety
from spotvortex.inference.config import DeterministicPolicyConfig, RuntimeConfig
from spotvortex.inference.params import compile_params
from spotvortex.inference.policy import PolicyInputs, ResponseMode, decide_deterministic, economics

from .builders import inputs

SHIPPED = compile_params(RuntimeConfig())
BELOW = 1e-9  # a hair under a threshold


def decide(i: PolicyInputs, config: RuntimeConfig | None = None) -> tuple[Action, str]:
    d = decide_deterministic(i, compile_params(config) if config else SHIPPED)
    return d.action, d.reason


def capped(cap: float, **kw: object) -> PoolSafety:
    return PoolSafety(safe_max_spot_ratio=cap, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "i", "expected"),
    [
        # 1. emergency: composite ≥ 0.891 or runtime ≥ 0.865
        ("capacity at emergency", inputs(capacity=0.891), (Action.EMERGENCY_EXIT, "emergency_risk")),
        ("capacity under emergency", inputs(capacity=0.891 - BELOW), (Action.DECREASE_30, "high_risk")),
        ("runtime at emergency", inputs(runtime=0.891), (Action.EMERGENCY_EXIT, "emergency_risk")),
        ("runtime at runtime-emergency", inputs(runtime=0.865), (Action.EMERGENCY_EXIT, "emergency_risk")),
        ("runtime under runtime-emergency", inputs(runtime=0.865 - BELOW), (Action.DECREASE_30, "high_risk")),
        # 2. high: composite ≥ 0.782
        ("capacity at high", inputs(capacity=0.782), (Action.DECREASE_30, "high_risk")),
        ("runtime at high", inputs(runtime=0.782), (Action.DECREASE_30, "high_risk")),
        ("capacity under high", inputs(capacity=0.782 - BELOW), (Action.DECREASE_10, "medium_risk")),
        # 3. medium: composite ≥ 0.58
        ("capacity at medium", inputs(capacity=0.58), (Action.DECREASE_10, "medium_risk")),
        ("runtime at medium", inputs(runtime=0.58), (Action.DECREASE_10, "medium_risk")),
        ("capacity under medium", inputs(capacity=0.58 - BELOW), (Action.INCREASE_30, "economic_increase30")),
        # risk beats the caps: a pool over its cap with medium risk gets the risk rule
        ("risk before caps", inputs(capacity=0.6, current=0.9, safety=capped(0.5)), (Action.DECREASE_10, "medium_risk")),
        # 4. over the effective cap
        ("overshoot exactly 0.25", inputs(current=0.75, safety=capped(0.5)), (Action.DECREASE_30, "pool_safety_reduce_fast")),
        ("overshoot under 0.25", inputs(current=0.7, safety=capped(0.5)), (Action.DECREASE_10, "pool_safety_reduce_gradual")),
        ("overshoot just over epsilon", inputs(current=0.5 + 2e-6, safety=capped(0.5)), (Action.DECREASE_10, "pool_safety_reduce_gradual")),
        ("recovery risk at 0.85", inputs(current=0.6, safety=capped(0.5, recovery_budget_violation_risk=0.85)), (Action.DECREASE_30, "pool_safety_reduce_fast")),
        ("recovery risk under 0.85", inputs(current=0.6, safety=capped(0.5, recovery_budget_violation_risk=0.85 - BELOW)), (Action.DECREASE_10, "pool_safety_reduce_gradual")),
        ("one-node slack negative", inputs(current=0.6, safety=capped(0.5, min_pdb_slack_if_one_node_lost=-1)), (Action.DECREASE_30, "pool_safety_reduce_fast")),
        ("one-node slack zero", inputs(current=0.6, safety=capped(0.5, min_pdb_slack_if_one_node_lost=0)), (Action.DECREASE_10, "pool_safety_reduce_gradual")),
        # 5. at the cap (within 1e−6)
        ("exactly at cap", inputs(current=0.5, safety=capped(0.5)), (Action.HOLD, "cap_reached")),
        ("within epsilon over cap", inputs(current=0.5 + 5e-7, safety=capped(0.5)), (Action.HOLD, "cap_reached")),
        ("within epsilon under cap", inputs(current=0.5 - 5e-7, safety=capped(0.5)), (Action.HOLD, "cap_reached")),
        ("100 % spot, cap 1", inputs(current=1.0), (Action.HOLD, "cap_reached")),
        # 6. recovery risk ≥ 0.60 freezes
        ("recovery risk at 0.6", inputs(safety=PoolSafety(recovery_budget_violation_risk=0.6)), (Action.HOLD, "pool_safety_freeze")),
        ("recovery risk under 0.6", inputs(safety=PoolSafety(recovery_budget_violation_risk=0.6 - BELOW)), (Action.INCREASE_30, "economic_increase30")),
        # 8. economics: headroom ≥ 0.25 → INCREASE_30
        ("headroom exactly 0.25", inputs(current=0.75), (Action.INCREASE_30, "economic_increase30")),
        ("headroom under 0.25", inputs(current=0.76), (Action.INCREASE_10, "economic_increase10")),
        ("no spot yet", inputs(current=0.0), (Action.INCREASE_30, "economic_increase30")),
        # 9. no edge
        ("saving too small", inputs(spot=0.08, od=0.1), (Action.HOLD, "hold_no_edge")),
        ("spot dearer than on-demand", inputs(spot=0.12, od=0.1), (Action.HOLD, "hold_no_edge")),
        ("no on-demand price", inputs(spot=0.03, od=0.0), (Action.HOLD, "hold_no_edge")),
    ],
)  # fmt: skip
def test_rule(case: str, i: PolicyInputs, expected: tuple[Action, str]) -> None:
    assert decide(i) == expected, case


@pytest.mark.parametrize(
    ("reason", "action", "mode", "urgency"),
    [
        ("emergency_risk", Action.EMERGENCY_EXIT, ResponseMode.EMERGENCY_EXIT, 3),
        ("high_risk", Action.DECREASE_30, ResponseMode.REDUCE_SPOT_FAST, 2),
        ("medium_risk", Action.DECREASE_10, ResponseMode.REDUCE_SPOT_GRADUAL, 1),
        ("pool_safety_freeze", Action.HOLD, ResponseMode.FREEZE_SPOT, 1),
        ("economic_increase30", Action.INCREASE_30, ResponseMode.ALLOW_GROWTH, 0),
        ("hold_no_edge", Action.HOLD, ResponseMode.HOLD, 0),
    ],
)
def test_response_modes(reason: str, action: Action, mode: ResponseMode, urgency: int) -> None:
    cases = {
        "emergency_risk": inputs(capacity=0.95),
        "high_risk": inputs(capacity=0.8),
        "medium_risk": inputs(capacity=0.6),
        "pool_safety_freeze": inputs(safety=PoolSafety(recovery_budget_violation_risk=0.7)),
        "economic_increase30": inputs(),
        "hold_no_edge": inputs(spot=0.09),
    }
    d = decide_deterministic(cases[reason], SHIPPED)
    assert (d.reason, d.action, d.response_mode, int(d.urgency)) == (reason, action, mode, urgency)
    assert d.details["freeze_spot"] == (1.0 if mode is ResponseMode.FREEZE_SPOT else 0.0)


def with_policy(**changes: object) -> RuntimeConfig:
    return msgspec.structs.replace(
        RuntimeConfig(), deterministic_policy=msgspec.structs.replace(DeterministicPolicyConfig(), **changes)
    )


def test_economics_thresholds_are_closed() -> None:
    """Savings ≥ min and payback ≤ max allow growth at exactly the limit, not a hair beyond."""
    i = inputs()
    e = economics(i, max_risk=1.0, min_savings=0.0, max_payback_hours=168)
    assert e.payback_hours is not None
    at_savings = with_policy(min_savings_ratio_for_increase=e.savings_ratio)
    over_savings = with_policy(min_savings_ratio_for_increase=math.nextafter(e.savings_ratio, 1))
    assert decide(i, at_savings) == (Action.INCREASE_30, "economic_increase30")
    assert decide(i, over_savings) == (Action.HOLD, "hold_no_edge")

    slow = inputs(startup=20000.0, utilisation=0.5)  # payback = startup h × util × 2 = 5.56 h
    p = economics(slow, max_risk=1.0, min_savings=0.0, max_payback_hours=168).payback_hours
    assert p is not None
    caps_off = {  # a slow-starting pool without the startup cap and inside the distribution
        "startup_time_cap_rules": [{"threshold": 1e9, "max_spot_ratio": 1.0}],
        "feature_buckets": {"pod_startup_time_seconds": [0, 1e9]},
    }
    at_payback = msgspec.convert(
        {"deterministic_policy": {"max_payback_hours_for_increase": p, **caps_off}}, RuntimeConfig
    )
    under_payback = msgspec.convert(
        {"deterministic_policy": {"max_payback_hours_for_increase": math.nextafter(p, 0), **caps_off}},
        RuntimeConfig,
    )
    assert decide(slow, at_payback)[0] is Action.INCREASE_30
    assert decide(slow, under_payback) == (Action.HOLD, "hold_no_edge")


def test_shipped_payback_limit() -> None:
    """6.372 h: a pool whose move takes longer to pay back than that does not grow."""
    fast = inputs(startup=3600 * 6.3, utilisation=0.5)  # payback 6.3 h
    slow = inputs(startup=3600 * 6.4, utilisation=0.5)  # payback 6.4 h
    relaxed = msgspec.convert(
        {
            "deterministic_policy": {
                "startup_time_cap_rules": [{"threshold": 1e9, "max_spot_ratio": 1.0}],
                "feature_buckets": {"pod_startup_time_seconds": [0, 1e9]},
            }
        },
        RuntimeConfig,
    )
    assert decide(fast, relaxed)[0] is Action.INCREASE_30
    assert decide(slow, relaxed) == (Action.HOLD, "hold_no_edge")


def test_risk_ceiling_for_growth_is_the_medium_threshold() -> None:
    """Growth needs composite ≤ medium; composite at medium is already the medium-risk rule."""
    assert decide(inputs(capacity=0.579)) == (Action.INCREASE_30, "economic_increase30")
    lowered = with_policy(medium_risk_threshold=0.3)
    assert decide(inputs(capacity=0.3 - BELOW), lowered)[0] is Action.INCREASE_30
    assert decide(inputs(capacity=0.3), lowered) == (Action.DECREASE_10, "medium_risk")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("startup", 2.9, "pod_startup_time"),
        ("startup", 501.0, "pod_startup_time"),
        ("outage", 0.29, "outage_penalty_hours"),
        ("outage", 67.0, "outage_penalty_hours"),
        ("utilisation", 0.31, "cluster_utilization"),
        ("utilisation", 0.995, "cluster_utilization"),
    ],
)
def test_out_of_distribution_features(field: str, value: float, reason: str) -> None:
    d = decide_deterministic(inputs(current=0.1, **{field: value}), SHIPPED)  # type: ignore[arg-type]
    assert reason in d.ood_reasons
    assert d.details["ood"] == 1.0
    assert d.details[f"ood_{reason}"] == 1.0
    assert d.reason.startswith("ood_conservative")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startup", 3.0),
        ("startup", 500.0),
        ("outage", 0.3),
        ("outage", 66.9),
        ("utilisation", 0.32),
        ("utilisation", 0.99),
    ],
)
def test_bucket_bounds_are_in_distribution(field: str, value: float) -> None:
    d = decide_deterministic(inputs(**{field: value}), SHIPPED)  # type: ignore[arg-type]
    assert d.ood_reasons == ()


def test_priority_is_never_out_of_distribution() -> None:
    for priority in (0.0, 1.0):
        assert decide_deterministic(inputs(priority=priority), SHIPPED).ood_reasons == ()


def test_ood_conservative_branches() -> None:
    """Out of distribution: INCREASE_10 only under the strict economics (risk ≤ 0.189, saving ≥ 0.334)."""
    ood = {"utilisation": 0.2}
    assert decide(inputs(capacity=0.189, **ood)) == (Action.INCREASE_10, "ood_conservative_increase10")  # type: ignore[arg-type]
    assert decide(inputs(capacity=0.19, **ood)) == (Action.HOLD, "ood_conservative_hold")  # type: ignore[arg-type]
    # saving 0.334 exactly (334/1000) passes, 0.333 does not
    assert decide(inputs(spot=666.0, od=1000.0, current=0.1, **ood))[1] == "ood_conservative_increase10"  # type: ignore[arg-type]
    assert decide(inputs(spot=667.0, od=1000.0, current=0.1, **ood))[1] == "ood_conservative_hold"  # type: ignore[arg-type]
    # the strict payback limit: 2.189 h (payback = startup hours × utilisation × 2 = startup hours × 0.4)
    payback_ok = inputs(utilisation=0.2, startup=3600 * 2.18 / 0.4)
    payback_slow = inputs(utilisation=0.2, startup=3600 * 2.2 / 0.4)
    relaxed = msgspec.convert(
        {"deterministic_policy": {"startup_time_cap_rules": [{"threshold": 1e9, "max_spot_ratio": 1.0}]}},
        RuntimeConfig,
    )
    assert decide(payback_ok, relaxed)[1] == "ood_conservative_increase10"
    assert decide(payback_slow, relaxed)[1] == "ood_conservative_hold"


def test_ood_mode_other_than_conservative_switches_the_branch_off() -> None:
    ood = inputs(utilisation=0.2)
    assert decide(ood, with_policy(ood_mode="Conservative"))[1] == "ood_conservative_increase10"
    assert decide(ood, with_policy(ood_mode="off")) == (Action.INCREASE_30, "economic_increase30")


def test_threshold_order_is_enforced() -> None:
    """high is lowered to emergency and medium to high when configured above them."""
    odd = with_policy(emergency_risk_threshold=0.5, high_risk_threshold=0.7, medium_risk_threshold=0.9)
    params = compile_params(odd)
    assert (params.emergency_risk, params.high_risk, params.medium_risk) == (0.5, 0.5, 0.5)
    assert decide(inputs(capacity=0.5), odd) == (Action.EMERGENCY_EXIT, "emergency_risk")
    assert decide(inputs(capacity=0.49), odd)[0] is Action.INCREASE_30
