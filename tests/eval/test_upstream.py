"""``upstream-rules`` puts back the earlier implementation's decision-changing faults, on the inference core."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from spotvortex.contracts import PoolSafety, WorkloadProfile
from spotvortex.sim.eval.runs import RunSpec, check_policy, run
from spotvortex.sim.eval.upstream import UPSTREAM_GATES, upstream_config, with_upstream_safety
from tests.inference.builders import telemetry


def test_every_cap_is_floored_at_min_spot_ratio_as_the_earlier_rules_clamped_it() -> None:
    config = upstream_config()
    floor = config.min_spot_ratio
    rules = config.deterministic_policy
    for table in (rules.priority_cap_rules, rules.outage_penalty_cap_rules, rules.startup_time_cap_rules):
        assert min(r.max_spot_ratio for r in table) >= floor
    assert min(r.max_spot_ratio for r in rules.outage_penalty_cap_rules) == floor  # 0.10 was below the floor


def test_a_pool_without_pdb_is_treated_as_having_zero_slack() -> None:
    t = telemetry(pool="web")
    t = msgspec.structs.replace(
        t, workload=WorkloadProfile(workload_pods=6), safety=PoolSafety(min_pdb_slack_if_one_node_lost=None)
    )
    s = with_upstream_safety(t, 0.167).safety
    assert s.min_pdb_slack_if_one_node_lost == 0
    assert s.min_pdb_slack_if_two_nodes_lost == 0
    assert s.recovery_budget_violation_risk >= 0.70
    assert s.safe_max_spot_ratio == 0.35


def test_a_safety_cap_below_the_floor_is_raised_to_it() -> None:
    t = msgspec.structs.replace(telemetry(pool="web"), safety=PoolSafety(safe_max_spot_ratio=0.1))
    assert with_upstream_safety(t, 0.167).safety.safe_max_spot_ratio == 0.167


def test_no_cooldown_and_the_cluster_tenth_as_the_only_drain_limit() -> None:
    assert UPSTREAM_GATES.cooldown_seconds == 0
    assert UPSTREAM_GATES.reversal_dwell_seconds == 0
    assert UPSTREAM_GATES.cluster_drain_fraction == 0.1
    assert not UPSTREAM_GATES.respect_karpenter_budgets


def test_a_run_judges_and_drains_the_demo() -> None:
    assert check_policy("upstream-rules") == "upstream-rules"
    result = run(RunSpec("demo", "upstream-rules", 7, end=datetime(2021, 3, 1, 2, tzinfo=UTC)))
    assert result.metrics["decisions"] > 0
    assert result.metrics["drains"] > 0
