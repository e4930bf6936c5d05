"""The deterministic policy: the earlier rule engine (upstream-spec §3.2) with its known faults fixed.

Rules, first hit wins (every threshold closed, ``≥``); ``composite = max(capacity, runtime)``:

1. composite ≥ emergency or runtime ≥ runtime-emergency → ``emergency_risk``: EMERGENCY_EXIT
2. composite ≥ high → ``high_risk``: DECREASE_30
3. composite ≥ medium → ``medium_risk``: DECREASE_10
4. current − effective cap > 1e−6 → ``pool_safety_reduce_fast`` (DECREASE_30) when the overshoot is ≥ 0.25, the
   recovery risk ≥ 0.85 or the one-node PDB slack < 0; else ``pool_safety_reduce_gradual`` (DECREASE_10)
5. current ≥ effective cap − 1e−6 → ``cap_reached``: HOLD
6. recovery risk ≥ 0.60 → ``pool_safety_freeze``: HOLD, freeze spot
7. workload out of distribution and ood_mode conservative → ``ood_conservative_increase10`` (INCREASE_10) when the
   strict economics allow it, else ``ood_conservative_hold`` (HOLD)
8. economics allow growth → ``economic_increase30`` (INCREASE_30) when the headroom to the cap is ≥ 0.25, else
   ``economic_increase10`` (INCREASE_10)
9. ``hold_no_edge``: HOLD

Economics (``can_increase``): on-demand > 0, saving = on-demand − spot > 0, composite ≤ max risk, saving /
on-demand ≥ min savings, migration cost / saving ≤ max payback hours.

Fixes, each with a test:

- ``cap_reached`` is a plain hold (upstream-spec §3.2, last paragraph): a pool sitting exactly at its cap — a
  100 % spot pool with cap 1.0 — is where it should be; it no longer asks to freeze spot, which flipped
  Karpenter weights towards on-demand every cooldown although nothing was wrong. Only ``pool_safety_freeze``
  freezes spot.
- safety caps beat ``min_spot_ratio`` and ``max_spot_ratio: 0`` is a kill switch (§11 item 11; see ``caps`` and
  ``config``).
- a pool without a PDB has no PDB slack (``None``), which is not a negative slack (§2.5, §11 item 10).
- the target is the action applied to the current share, bounded by the effective cap above and by
  ``min_spot_ratio`` below (never above the cap), and never on the wrong side of the current share (a decrease
  of a pool already below the floor keeps its share); an emergency exit targets 0 (the floor is a cost
  preference, not a reason to keep nodes the risk model expects to lose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from spotvortex.contracts.enums import Action
from spotvortex.inference.caps import Caps, WorkloadInputs, caps, migration_cost_usd
from spotvortex.inference.params import PolicyParams

CAP_EPSILON = 1e-6
FAST_OVERSHOOT = 0.25
FAST_RECOVERY_RISK = 0.85
FREEZE_RECOVERY_RISK = 0.60
BIG_HEADROOM = 0.25

DELTA = {
    Action.HOLD: 0.0,
    Action.DECREASE_10: -0.1,
    Action.DECREASE_30: -0.3,
    Action.INCREASE_10: 0.1,
    Action.INCREASE_30: 0.3,
}


class ResponseMode(StrEnum):
    EMERGENCY_EXIT = "emergency_exit"
    REDUCE_SPOT_FAST = "reduce_spot_fast"
    REDUCE_SPOT_GRADUAL = "reduce_spot_gradual"
    FREEZE_SPOT = "freeze_spot"
    ALLOW_GROWTH = "allow_growth"
    HOLD = "hold"


class Urgency(IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2
    CRITICAL = 3


@dataclass(frozen=True)
class PolicyInputs:
    capacity_score: float
    runtime_score: float
    workload: WorkloadInputs

    @property
    def composite(self) -> float:
        return max(self.capacity_score, self.runtime_score)


@dataclass(frozen=True)
class Economics:
    allowed: bool
    savings_ratio: float
    payback_hours: float | None  # None when there is no saving to pay a move back


@dataclass(frozen=True)
class PolicyDecision:
    action: Action
    reason: str
    response_mode: ResponseMode
    urgency: Urgency
    target_spot_ratio: float
    caps: Caps
    ood_reasons: tuple[str, ...]
    details: dict[str, float] = field(default_factory=dict)


def economics(
    inputs: PolicyInputs, *, max_risk: float, min_savings: float, max_payback_hours: float
) -> Economics:
    w = inputs.workload
    if w.on_demand_price <= 0:
        return Economics(False, 0.0, None)
    saving = max(0.0, w.on_demand_price - w.spot_price)
    ratio = saving / w.on_demand_price
    if saving <= 0:
        return Economics(False, ratio, None)
    payback = migration_cost_usd(w) / saving
    allowed = inputs.composite <= max_risk and ratio >= min_savings and payback <= max_payback_hours
    return Economics(allowed, ratio, payback)


def target_ratio(action: Action, current: float, effective_cap: float, params: PolicyParams) -> float:
    if action is Action.EMERGENCY_EXIT:
        return 0.0
    high = effective_cap
    low = min(params.min_spot_ratio, high)
    bounded = min(high, max(low, current + DELTA[action]))
    if DELTA[action] < 0:
        return min(current, bounded)  # a decrease never raises the share (a pool below the floor stays put)
    if DELTA[action] > 0:
        return max(current, bounded)
    return bounded


def ood_reasons(w: WorkloadInputs, params: PolicyParams) -> tuple[str, ...]:
    return params.bounds.reasons(
        pod_startup_time=w.pod_startup_seconds,
        outage_penalty_hours=w.outage_penalty_hours,
        priority_score=w.priority_score,
        cluster_utilization=w.utilisation,
    )


def _rule(
    inputs: PolicyInputs, params: PolicyParams, c: Caps, ood: tuple[str, ...]
) -> tuple[Action, str, ResponseMode, Urgency, Economics]:
    d = params.config.deterministic_policy
    w = inputs.workload
    composite = inputs.composite
    normal = economics(
        inputs,
        max_risk=params.medium_risk,
        min_savings=d.min_savings_ratio_for_increase,
        max_payback_hours=d.max_payback_hours_for_increase,
    )
    if composite >= params.emergency_risk or inputs.runtime_score >= params.runtime_emergency:
        return Action.EMERGENCY_EXIT, "emergency_risk", ResponseMode.EMERGENCY_EXIT, Urgency.CRITICAL, normal
    if composite >= params.high_risk:
        return Action.DECREASE_30, "high_risk", ResponseMode.REDUCE_SPOT_FAST, Urgency.HIGH, normal
    if composite >= params.medium_risk:
        return Action.DECREASE_10, "medium_risk", ResponseMode.REDUCE_SPOT_GRADUAL, Urgency.MEDIUM, normal
    overshoot = w.current_spot_ratio - c.effective_cap
    if overshoot > CAP_EPSILON:
        slack = w.safety.min_pdb_slack_if_one_node_lost
        risk = w.safety.recovery_budget_violation_risk
        if overshoot >= FAST_OVERSHOOT or risk >= FAST_RECOVERY_RISK or (slack is not None and slack < 0):
            return (
                Action.DECREASE_30,
                "pool_safety_reduce_fast",
                ResponseMode.REDUCE_SPOT_FAST,
                Urgency.HIGH,
                normal,
            )
        return (
            Action.DECREASE_10,
            "pool_safety_reduce_gradual",
            ResponseMode.REDUCE_SPOT_GRADUAL,
            Urgency.MEDIUM,
            normal,
        )
    if w.current_spot_ratio >= c.effective_cap - CAP_EPSILON:
        return Action.HOLD, "cap_reached", ResponseMode.HOLD, Urgency.LOW, normal
    if w.safety.recovery_budget_violation_risk >= FREEZE_RECOVERY_RISK:
        return Action.HOLD, "pool_safety_freeze", ResponseMode.FREEZE_SPOT, Urgency.MEDIUM, normal
    if ood and params.ood_conservative:
        strict = economics(
            inputs,
            max_risk=d.ood_max_risk_for_increase,
            min_savings=d.ood_min_savings_ratio_for_increase,
            max_payback_hours=d.ood_max_payback_hours_for_increase,
        )
        if strict.allowed:
            return (
                Action.INCREASE_10,
                "ood_conservative_increase10",
                ResponseMode.ALLOW_GROWTH,
                Urgency.LOW,
                strict,
            )
        return Action.HOLD, "ood_conservative_hold", ResponseMode.HOLD, Urgency.LOW, strict
    if normal.allowed:
        if c.effective_cap - w.current_spot_ratio >= BIG_HEADROOM:
            return Action.INCREASE_30, "economic_increase30", ResponseMode.ALLOW_GROWTH, Urgency.LOW, normal
        return Action.INCREASE_10, "economic_increase10", ResponseMode.ALLOW_GROWTH, Urgency.LOW, normal
    return Action.HOLD, "hold_no_edge", ResponseMode.HOLD, Urgency.LOW, normal


def decide_deterministic(inputs: PolicyInputs, params: PolicyParams) -> PolicyDecision:
    """Apply the rules to one pool; ``details`` carries every intermediate value for the audit trail."""
    w = inputs.workload
    c = caps(w, params)
    ood = ood_reasons(w, params)
    action, reason, mode, urgency, econ = _rule(inputs, params, c, ood)
    details = {
        "composite": inputs.composite,
        "feature_cap": c.feature_cap,
        "workload_cap": c.workload_cap,
        "effective_cap": c.effective_cap,
        "cap_priority": c.priority,
        "cap_outage_penalty": c.outage_penalty,
        "cap_startup_time": c.startup_time,
        "cap_migration_cost": c.migration_cost,
        "cap_utilization": c.utilization,
        "safe_max_spot_ratio": w.safety.safe_max_spot_ratio,
        "recovery_risk": w.safety.recovery_budget_violation_risk,
        "overshoot": max(0.0, w.current_spot_ratio - c.effective_cap),
        "migration_cost_usd": migration_cost_usd(w),
        "savings_ratio": econ.savings_ratio,
        "utilisation": w.utilisation,
        "min_spot_ratio": params.min_spot_ratio,
        "max_spot_ratio": params.max_spot_ratio,
        "ood": 1.0 if ood else 0.0,
        "freeze_spot": 1.0 if mode is ResponseMode.FREEZE_SPOT else 0.0,
        "urgency": float(urgency),
    }
    if econ.payback_hours is not None:
        details["payback_hours"] = econ.payback_hours
    for name in ood:
        details[f"ood_{name}"] = 1.0
    return PolicyDecision(
        action=action,
        reason=reason,
        response_mode=mode,
        urgency=urgency,
        target_spot_ratio=target_ratio(action, w.current_spot_ratio, c.effective_cap, params),
        caps=c,
        ood_reasons=ood,
        details=details,
    )
