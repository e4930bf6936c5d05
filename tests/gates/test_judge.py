"""The gates' rules, one behaviour per test, on the pure ``judge``."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from spotvortex.contracts import Action, DisruptionBudget, Mode, NodeCounts, NodePoolInfo
from spotvortex.gates import GateConfig, judge
from spotvortex.gates.judge import Judgement
from spotvortex.gates.state import PoolState, settle

from .builders import NOW, facts, proposal

CONFIG = GateConfig()


def outcome(j: Judgement, rule: str) -> str:
    found = [o.outcome for o in j.verdict.rules if o.rule == rule]
    assert found, f"rule {rule} not reported: {[o.rule for o in j.verdict.rules]}"
    return found[0]


def run(
    p=None, state: PoolState | None = None, config: GateConfig = CONFIG, now=NOW, mode=Mode.ENFORCE
) -> Judgement:
    return judge(p or proposal(), state, config, mode=mode, now=now)


def test_a_sound_decrease_is_approved_with_a_drain_allowance_from_the_share_change() -> None:
    j = run(proposal(Action.DECREASE_30, current=0.6))
    assert j.verdict.approved, j.verdict.reason
    assert j.verdict.action is Action.DECREASE_30
    assert j.verdict.target_spot_ratio == pytest.approx(0.3)
    # ceil(0.3 × 10) = 3 nodes, within the pool budget ceil(10 × 0.2) = 2 → 2
    assert j.verdict.drain_allowance == 2
    assert {o.outcome for o in j.verdict.rules} <= {"pass", "skip"}
    assert j.state.in_flight == 2
    assert j.state.last_direction == -1


def test_every_rule_is_reported_even_after_one_fails() -> None:
    stale = facts(telemetry_time=NOW - timedelta(minutes=10))
    j = run(proposal(confidence=0.1, pool_facts=stale))
    assert not j.verdict.approved
    assert outcome(j, "telemetry_fresh") == "fail"
    assert outcome(j, "confidence") == "fail"
    assert outcome(j, "cooldown") == "pass"
    assert j.verdict.action is Action.HOLD
    assert j.verdict.drain_allowance == 0
    assert "telemetry_fresh" in j.verdict.reason
    assert "confidence" in j.verdict.reason


def test_kill_switch_rejects_everything_including_emergencies() -> None:
    j = run(proposal(Action.EMERGENCY_EXIT), config=GateConfig(enabled=False))
    assert not j.verdict.approved
    assert outcome(j, "kill_switch") == "fail"


def test_hold_is_not_actuated() -> None:
    j = run(proposal(Action.HOLD))
    assert not j.verdict.approved
    assert outcome(j, "actionable") == "fail"


def test_high_capacity_risk_overrides_to_emergency_exit() -> None:
    j = run(proposal(Action.INCREASE_10, capacity=0.9))
    assert outcome(j, "risk_override") == "override"
    assert j.verdict.approved
    assert j.verdict.action is Action.EMERGENCY_EXIT
    assert j.verdict.target_spot_ratio == 0.0


def test_emergency_skips_confidence_and_cooldown_but_not_drain_budgets() -> None:
    moved = run(proposal(Action.DECREASE_10)).state
    j = run(
        proposal(Action.EMERGENCY_EXIT, decision="d2", confidence=0.1),
        state=moved,
        now=NOW + timedelta(seconds=30),
    )
    assert j.verdict.approved, j.verdict.reason
    assert outcome(j, "confidence") == "skip"
    assert outcome(j, "cooldown") == "skip"
    # pool budget ceil(10 × 0.2) = 2, one node already in flight from the first move
    assert j.verdict.drain_allowance == 1


def test_cooldown_holds_a_second_move_until_it_expires() -> None:
    first = run(proposal(Action.DECREASE_10))
    again = proposal(
        Action.DECREASE_10, decision="d2", pool_facts=facts(telemetry_time=NOW + timedelta(seconds=300))
    )
    early = run(again, state=first.state, now=NOW + timedelta(seconds=300))
    assert not early.verdict.approved
    assert outcome(early, "cooldown") == "fail"
    late_facts = facts(telemetry_time=NOW + timedelta(seconds=CONFIG.cooldown_seconds))
    late = run(
        proposal(Action.DECREASE_10, decision="d3", pool_facts=late_facts),
        state=early.state,
        now=NOW + timedelta(seconds=CONFIG.cooldown_seconds + 1),
    )
    assert late.verdict.approved, late.verdict.reason


def test_a_reversal_waits_for_the_dwell_time_hysteresis() -> None:
    first = run(proposal(Action.DECREASE_10))
    at = NOW + timedelta(seconds=CONFIG.cooldown_seconds + 60)
    back = proposal(Action.INCREASE_10, decision="d2", current=0.6, pool_facts=facts(telemetry_time=at))
    j = run(back, state=first.state, now=at)
    assert not j.verdict.approved
    assert outcome(j, "reversal_dwell") == "fail"
    later = at + timedelta(seconds=CONFIG.reversal_dwell_seconds)
    ok = run(
        proposal(Action.INCREASE_10, decision="d3", current=0.5, pool_facts=facts(telemetry_time=later)),
        state=j.state,
        now=later,
    )
    assert ok.verdict.approved, ok.verdict.reason


def test_share_bounds_and_on_demand_floor_clamp_the_target() -> None:
    config = GateConfig(max_spot_share=0.8, on_demand_floor_nodes=3)
    j = run(proposal(Action.INCREASE_30, current=0.6), config=config)
    assert j.verdict.approved
    assert j.verdict.target_spot_ratio == pytest.approx(0.7)  # 10 nodes, 3 kept on-demand
    at_bound = run(proposal(Action.INCREASE_10, current=0.7), config=config)
    assert not at_bound.verdict.approved
    assert outcome(at_bound, "share_bounds") == "fail"


def test_min_spot_share_does_not_stop_an_emergency_exit() -> None:
    j = run(proposal(Action.EMERGENCY_EXIT), config=GateConfig(min_spot_share=0.3))
    assert j.verdict.approved
    assert j.verdict.target_spot_ratio == 0.0


def test_small_pools_can_still_move_one_node() -> None:
    tiny = facts(spot=2, on_demand=1, cluster_nodes=3, nodepools=[])
    j = run(proposal(Action.DECREASE_10, current=0.67, pool_facts=tiny))
    assert j.verdict.approved, j.verdict.reason
    assert j.verdict.drain_allowance == 1


def test_pool_budget_counts_cordoned_and_not_ready_nodes() -> None:
    busy = facts(nodes=NodeCounts(spot=6, on_demand=4, cordoned=1, not_ready=1))
    j = run(proposal(Action.DECREASE_30, pool_facts=busy))
    assert not j.verdict.approved
    assert outcome(j, "pool_drain_budget") == "fail"


def test_cluster_budget_is_shared_across_pools() -> None:
    j = run(proposal(pool_facts=facts(cluster_nodes=40, cluster_draining=4)))
    assert not j.verdict.approved
    assert outcome(j, "cluster_drain_budget") == "fail"


def test_hourly_budget_limits_repeated_moves() -> None:
    config = GateConfig(cooldown_seconds=0, pool_drain_fraction=1.0, pool_drains_per_hour_fraction=0.2)
    state = None
    approved = 0
    for i in range(5):
        at = NOW + timedelta(minutes=5 * i)
        j = run(
            proposal(
                Action.DECREASE_10,
                decision=f"d{i}",
                current=0.6 - 0.1 * i,
                pool_facts=facts(telemetry_time=at),
            ),
            state=state,
            config=config,
            now=at,
        )
        state = j.state
        approved += j.verdict.drain_allowance
    assert approved == 2  # ceil(10 × 0.2) per rolling hour


@pytest.mark.parametrize(
    ("budgets", "approved"),
    [
        ([DisruptionBudget(nodes="0")], False),
        ([DisruptionBudget(nodes="0", schedule="0 11 * * *", duration="2h")], False),  # active at 12:00
        ([DisruptionBudget(nodes="0", schedule="0 14 * * *", duration="2h")], True),  # not active yet
        ([DisruptionBudget(nodes="0", reasons=["Drifted"])], True),  # another reason
    ],
)
def test_karpenter_disruption_budgets_with_schedules_and_reasons(budgets, approved) -> None:
    pools = [
        NodePoolInfo(name="web-spot", capacity_types=["spot"], nodes=6, budgets=budgets),
        NodePoolInfo(name="web-od", capacity_types=["on-demand"], nodes=4),
    ]
    j = run(proposal(Action.DECREASE_10, pool_facts=facts(nodepools=pools)))
    assert j.verdict.approved is approved
    assert outcome(j, "karpenter_disruption_budget") == ("pass" if approved else "fail")


def test_an_increase_is_judged_against_the_on_demand_nodepool_budget() -> None:
    pools = [
        NodePoolInfo(
            name="web-spot", capacity_types=["spot"], nodes=6, budgets=[DisruptionBudget(nodes="0")]
        ),
        NodePoolInfo(name="web-od", capacity_types=["on-demand"], nodes=4),
    ]
    j = run(proposal(Action.INCREASE_10, pool_facts=facts(nodepools=pools)))
    assert j.verdict.approved, j.verdict.reason


def test_a_replayed_proposal_gets_its_stored_verdict_and_changes_nothing() -> None:
    first = run(proposal(Action.DECREASE_10))
    again = run(proposal(Action.DECREASE_10), state=first.state, now=NOW + timedelta(seconds=5))
    assert again.replayed
    assert again.verdict == first.verdict
    assert again.state == first.state


def test_shadow_bookkeeping_does_not_throttle_enforce_decisions() -> None:
    shadow = run(proposal(Action.DECREASE_10), mode=Mode.SHADOW)
    enforce = run(
        proposal(Action.DECREASE_10, decision="d2"), state=shadow.state, now=NOW + timedelta(seconds=5)
    )
    assert enforce.verdict.approved
    assert enforce.state.mode is Mode.ENFORCE


def test_drain_results_release_budget_once() -> None:
    state = run(proposal(Action.DECREASE_30)).state
    assert state.in_flight == 2
    once = settle(state, "drained:j:n1", NOW)
    assert once is not None
    assert once.in_flight == 1
    assert settle(once, "drained:j:n1", NOW) is None


def test_missing_pool_facts_fail_closed() -> None:
    p = msgspec.structs.replace(proposal(), facts=None)
    j = run(p)
    assert not j.verdict.approved
    assert outcome(j, "pool_facts") == "fail"


def test_a_node_both_cordoned_and_not_ready_counts_once_against_the_pool_budget() -> None:
    overlap = facts(nodes=NodeCounts(spot=6, on_demand=4, cordoned=1, not_ready=1, unavailable=1))
    j = run(proposal(Action.DECREASE_30, pool_facts=overlap))
    assert j.verdict.approved, j.verdict.reason
    assert j.verdict.drain_allowance == 1  # ceil(10 × 0.2) − 1
