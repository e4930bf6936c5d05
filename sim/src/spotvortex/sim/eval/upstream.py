"""``upstream-rules``: the earlier implementation's deterministic rules as it shipped them, with the faults
that change decisions put back (upstream-spec §3.2–3.3, §2.5, §3.1, §11 items 5, 10, 11), so the evaluation
can show what fixing them is worth.

Built from the inference core, not a second copy of the rules:

- **safety caps floored at ``min_spot_ratio``** (item 11): every cap rule's cap and the safety vector's
  ``safe_max_spot_ratio`` are raised to at least ``min_spot_ratio`` before the rules run, which makes
  ``effective_cap = clamp(workload_cap, min, max)`` exactly as the earlier code computed it;
- **no PDB = zero slack** (§2.5, item 10): a pool with workload pods and no PDB gets slacks of 0, so its
  recovery risk is at least 0.70 and its safe share at most 0.35, as the earlier formulas give;
- **``cap_reached`` freezes spot** (§3.2): a pool at its cap votes for on-demand, so the NodePool weights flip
  toward on-demand every cycle although nothing moves;
- **churn** (§3.1, item 5): no cooldown and no dwell; every actionable node of the pool may drain each cycle,
  up to ``max(1, 10 %)`` of the cluster — the count does not derive from the 10/30-point step.

Deviation, stated: cycles run at the evaluation's ``--cadence`` (default 10 minutes), not every 30 seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from spotvortex.contracts import Action, PoolTelemetry, ProposedAction
from spotvortex.gates import GateConfig
from spotvortex.inference import decide_batch, load_models
from spotvortex.inference.config import CapRule, DeterministicPolicyConfig, RuntimeConfig
from spotvortex.sim.eval.proposers import Plan

UPSTREAM_GATES = GateConfig(
    cooldown_seconds=0.0,
    reversal_dwell_seconds=0.0,
    pool_drain_fraction=1.0,
    pool_drains_per_hour_fraction=1.0,
    cluster_drain_fraction=0.1,
    respect_karpenter_budgets=False,
    max_telemetry_age_seconds=86400.0,
)


def _floored(rules: tuple[CapRule, ...], floor: float) -> tuple[CapRule, ...]:
    return tuple(CapRule(threshold=r.threshold, max_spot_ratio=max(r.max_spot_ratio, floor)) for r in rules)


def upstream_config() -> RuntimeConfig:
    base = RuntimeConfig(rl_shadow_enabled=False)
    d, floor = base.deterministic_policy, base.min_spot_ratio
    policy = msgspec.structs.replace(
        d,
        priority_cap_rules=_floored(d.priority_cap_rules, floor),
        outage_penalty_cap_rules=_floored(d.outage_penalty_cap_rules, floor),
        startup_time_cap_rules=_floored(d.startup_time_cap_rules, floor),
        migration_cost_cap_rules=_floored(d.migration_cost_cap_rules, floor),
        utilization_cap_rules=_floored(d.utilization_cap_rules, floor),
    )
    assert isinstance(policy, DeterministicPolicyConfig)
    return msgspec.structs.replace(base, deterministic_policy=policy)


def with_upstream_safety(t: PoolTelemetry, floor: float) -> PoolTelemetry:
    s = t.safety
    if t.workload.workload_pods and s.min_pdb_slack_if_one_node_lost is None:
        s = msgspec.structs.replace(
            s,
            min_pdb_slack_if_one_node_lost=0,
            min_pdb_slack_if_two_nodes_lost=0,
            recovery_budget_violation_risk=max(s.recovery_budget_violation_risk, 0.70),
            safe_max_spot_ratio=min(s.safe_max_spot_ratio, 0.35),
        )
    s = msgspec.structs.replace(s, safe_max_spot_ratio=max(s.safe_max_spot_ratio, floor))
    return msgspec.structs.replace(t, safety=s)


class UpstreamRules:
    """A proposer whose plan freezes spot where the earlier rules did (``cap_reached``, ``pool_safety_freeze``)."""

    def __init__(self) -> None:
        self.config = upstream_config()
        self.models = load_models(load_rl=False)

    def __call__(self, snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        floor = self.config.min_spot_ratio
        outcomes = decide_batch(
            [with_upstream_safety(t, floor) for t in snapshots], now, self.config, self.models
        )
        proposals: list[ProposedAction] = []
        frozen: list[str] = []
        for outcome in outcomes:
            action = outcome.action
            if action.action is Action.HOLD:
                if action.reason in ("cap_reached", "pool_safety_freeze"):
                    frozen.append(action.pool)
                continue
            # every actionable node may go: the target is the far end, the gates' budget is the only limit
            far = 0.0 if action.action.direction < 0 else 1.0
            proposals.append(msgspec.structs.replace(action, target_spot_ratio=far))
        return Plan(proposals, tuple(frozen))
