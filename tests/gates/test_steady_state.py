"""Rules that keep a pool still once it is where it should be: minimum move, release of steering,
savings against disruption, the PDB pre-check, and a burst of proposals against the budgets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from spotvortex.contracts import Action, Mode, NodeCounts
from spotvortex.gates import GateConfig, judge
from spotvortex.gates.judge import Judgement
from spotvortex.gates.state import ClusterState, PoolState

from .builders import NOW, facts, proposal

CONFIG = GateConfig()


def outcome(j: Judgement, rule: str) -> str:
    found = [o.outcome for o in j.verdict.rules if o.rule == rule]
    assert found, f"rule {rule} not reported: {[o.rule for o in j.verdict.rules]}"
    return found[0]


def run(p, state: PoolState | None = None, config: GateConfig = CONFIG, now=NOW) -> Judgement:
    return judge(p, state, config, mode=Mode.ENFORCE, now=now)


def run_later(action: Action, decision: str, state: PoolState, at: datetime, *, spot: int = 6) -> Judgement:
    """A proposal at ``at`` for the ten-node pool as it then stands, with ``spot`` of its nodes on spot."""
    p = proposal(
        action,
        decision=decision,
        current=spot / 10,
        pool_facts=facts(spot=spot, on_demand=10 - spot, telemetry_time=at),
    )
    return run(p, state=state, now=at)


def priced(**overrides: object):
    return facts(spot_price=0.07, on_demand_price=0.192, pods_per_node=4.0, **overrides)


def test_an_increase_of_a_fraction_of_a_node_is_not_chased() -> None:
    # 7 nodes at 2/7 ≈ 0.29 with a cap of 0.30: one more spot node would overshoot to 0.43
    small = run(
        proposal(Action.INCREASE_10, current=2 / 7, target=0.3, pool_facts=priced(spot=2, on_demand=5))
    )
    assert not small.verdict.approved
    assert outcome(small, "min_move") == "fail"
    whole = run(
        proposal(Action.INCREASE_10, current=2 / 7, target=3 / 7, pool_facts=priced(spot=2, on_demand=5))
    )
    assert whole.verdict.approved, whole.verdict.reason


def test_a_decrease_always_takes_at_least_one_node() -> None:
    j = run(proposal(Action.DECREASE_10, current=2 / 3, pool_facts=facts(spot=2, on_demand=1, nodepools=[])))
    assert j.verdict.approved, j.verdict.reason
    assert outcome(j, "min_move") == "pass"
    assert j.verdict.drain_allowance == 1


def test_steering_is_released_once_the_pool_reaches_its_target() -> None:
    moved = run(proposal(Action.DECREASE_30, current=0.6))
    assert moved.state.steered == -1
    still = run_later(Action.HOLD, "d2", moved.state, NOW + timedelta(minutes=5))
    assert not still.verdict.approved  # the drain is still under way: steering stays
    arrived_at = NOW + timedelta(minutes=20)
    done = run_later(Action.HOLD, "d3", still.state, arrived_at, spot=3)
    assert done.verdict.approved
    assert done.verdict.action is Action.HOLD
    assert done.verdict.drain_allowance == 0
    assert done.verdict.reason == "target_reached"
    assert done.state.steered == 0
    again = run_later(Action.HOLD, "d4", done.state, arrived_at, spot=3)
    assert not again.verdict.approved  # released once, not every cycle


def test_a_move_rejected_near_the_target_also_releases_and_says_what_was_held_back() -> None:
    moved = run(proposal(Action.DECREASE_30, current=0.6))
    at = NOW + timedelta(seconds=CONFIG.cooldown_seconds + 60)
    back = run_later(Action.INCREASE_10, "d2", moved.state, at, spot=3)
    assert back.verdict.approved
    assert back.verdict.action is Action.HOLD
    assert "reversal_dwell" in back.verdict.rules[0].detail


def test_an_increase_must_save_more_than_it_costs_to_make() -> None:
    worth = run(proposal(Action.INCREASE_10, current=0.5, pool_facts=priced()))
    assert worth.verdict.approved, worth.verdict.reason
    assert outcome(worth, "savings_vs_disruption") == "pass"
    thin = facts(spot_price=0.185, on_demand_price=0.192, pods_per_node=4.0)
    j = run(proposal(Action.INCREASE_10, current=0.5, pool_facts=thin))
    assert not j.verdict.approved
    assert outcome(j, "savings_vs_disruption") == "fail"
    down = run(proposal(Action.DECREASE_10, current=0.5, pool_facts=thin))
    assert outcome(down, "savings_vs_disruption") == "skip"


def test_pdb_precheck_caps_the_allowance_at_the_nodes_a_drain_can_start_on() -> None:
    def counts(drainable: int) -> NodeCounts:
        return NodeCounts(spot=6, on_demand=4, spot_ready=6, on_demand_ready=4, spot_drainable=drainable)

    blocked = run(proposal(Action.DECREASE_30, current=0.6, pool_facts=facts(nodes=counts(0))))
    assert not blocked.verdict.approved
    assert outcome(blocked, "pdb_precheck") == "fail"
    one = run(proposal(Action.DECREASE_30, current=0.6, pool_facts=facts(nodes=counts(1))))
    assert one.verdict.approved
    assert one.verdict.drain_allowance == 1
    emergency = run(proposal(Action.EMERGENCY_EXIT, current=0.6, pool_facts=facts(nodes=counts(0))))
    assert emergency.verdict.approved
    assert outcome(emergency, "pdb_precheck") == "skip"


@pytest.mark.parametrize("action", [Action.DECREASE_30, Action.EMERGENCY_EXIT])
def test_a_burst_of_proposals_never_exceeds_the_drain_budgets(action: Action) -> None:
    config = GateConfig(cooldown_seconds=0, reversal_dwell_seconds=0)
    state: PoolState | None = None
    approved_nodes = 0
    pool_facts = facts(spot=20, on_demand=0, nodepools=[], cluster_nodes=40)
    for i in range(100):
        j = run(
            proposal(action, decision=f"d{i}", current=1.0, pool_facts=pool_facts), state=state, config=config
        )
        state = j.state
        approved_nodes += j.verdict.drain_allowance
    assert approved_nodes <= 4  # ceil(20 × 0.2): nothing came back, so nothing more may start


def test_an_interruption_notice_drains_the_noticed_nodes_at_once_past_cooldown() -> None:
    moved = run(proposal(Action.DECREASE_10, current=0.6))
    soon = NOW + timedelta(seconds=30)
    noticed = NodeCounts(spot=6, on_demand=4, spot_ready=6, on_demand_ready=4, interruption_pending=2)
    j = run(
        proposal(
            Action.INCREASE_10,
            decision="d2",
            current=0.6,
            pool_facts=facts(nodes=noticed, telemetry_time=soon),
        ),
        state=moved.state,
        now=soon,
    )
    assert j.verdict.approved, j.verdict.reason
    assert j.verdict.urgent
    assert j.verdict.action is Action.DECREASE_10
    assert j.verdict.drain_allowance == 2
    assert j.verdict.target_spot_ratio == pytest.approx(0.4)
    assert outcome(j, "interruption_fast_path") == "override"
    off = run(
        proposal(Action.HOLD, decision="d3", current=0.6, pool_facts=facts(nodes=noticed)),
        config=GateConfig(interruption_fast_path=False),
    )
    assert not off.verdict.urgent
    killed = run(
        proposal(Action.HOLD, current=0.6, pool_facts=facts(nodes=noticed)), config=GateConfig(enabled=False)
    )
    assert not killed.verdict.approved


def test_an_increase_drains_whole_nodes_rounded_down_so_it_never_passes_its_target() -> None:
    # 10 nodes at 0.5 towards 0.68: 1.8 nodes of share ⇒ one node now, not two (0.7 would pass the target)
    j = run(proposal(Action.INCREASE_30, current=0.5, target=0.68, pool_facts=priced(spot=5, on_demand=5)))
    assert j.verdict.approved, j.verdict.reason
    assert j.verdict.drain_allowance == 1


def test_the_cluster_hourly_budget_counts_drains_started_anywhere_in_the_last_hour() -> None:
    fresh = run(proposal(Action.DECREASE_30, current=0.6))
    assert outcome(fresh, "cluster_hourly_budget") == "pass"
    busy = judge(
        proposal(Action.DECREASE_30, current=0.6), None, CONFIG, mode=Mode.ENFORCE, now=NOW, cluster_started=8
    )
    assert not busy.verdict.approved  # 40 nodes × 0.2 = 8 started this hour already
    assert outcome(busy, "cluster_hourly_budget") == "fail"
    emergency = judge(
        proposal(Action.EMERGENCY_EXIT, current=0.6),
        None,
        CONFIG,
        mode=Mode.ENFORCE,
        now=NOW,
        cluster_started=8,
    )
    assert emergency.verdict.approved


def test_the_cluster_record_counts_a_decision_once_and_forgets_after_an_hour() -> None:
    record = ClusterState().with_drain("d1", NOW, 2)
    assert record is not None
    assert record.with_drain("d1", NOW, 2) is None  # a redelivered verdict
    later = record.with_drain("d2", NOW + timedelta(minutes=90), 1)
    assert later is not None
    assert later.started_since(NOW + timedelta(minutes=30)) == 1
