"""Transition logging for rl training: a state, an action and a reward per pool decision, whose rewards add up
to what the run cost (outage events priced per event, each charged to its workload's pool); logging never
changes what a run does; exploration is reproducible from the seed."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spotvortex.contracts import Action
from spotvortex.inference.rl import N_STATE
from spotvortex.sim.eval import runs
from spotvortex.sim.eval.attribution import EVICTION_COST_USD, PoolCost, PoolCostMeter
from spotvortex.sim.eval.proposers import policy_models
from spotvortex.sim.eval.runs import EXPLORE, RunResult, RunSpec, run
from spotvortex.sim.eval.transitions import DecisionLogger, Transition, TransitionLog
from spotvortex.sim.world.ledger import Availability
from spotvortex.sim.world.workloads import WorkloadSpec
from tests.eval.support import APP, START, ZONE_A, write_scenario

POOLS: dict[str, Any] = {
    "pools": [
        {"name": "web", "instance_types": ["m5.large"], "zones": [ZONE_A]},
        {"name": "api", "instance_types": ["c5.large"], "zones": [ZONE_A]},
    ],
    "workloads": [
        {**APP, "replicas": 4, "pdb": {"max_unavailable": 1}, "penalty_per_hour": 50, "floor": 4},
        {"name": "orders", "pool": "api", "replicas": 3, "cpu": "1", "memory": "1Gi", "penalty_per_hour": 20},
    ],
    "market": {"capacity": "hazard"},
}
END = START + timedelta(hours=8)
EVENT_COST = 50.0  # USD per outage event in these runs' rewards


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("transitions"), **POOLS)


def spec(scenario: Path, policy: str = EXPLORE, **kwargs: Any) -> RunSpec:
    fields: dict[str, Any] = {
        "seed": 5,
        "hazard_rate": 40.0,
        "epsilon": 0.5,
        "log_transitions": True,
        "outage_event_cost_usd": EVENT_COST,
    }
    fields.update(kwargs)
    return RunSpec(str(scenario), policy, fields.pop("seed"), START, END, **fields)


@pytest.fixture(scope="module")
def logged(scenario: Path) -> tuple[RunResult, DecisionLogger]:
    """The exploring run, and its logger (whose meter still holds the run's world and ledger)."""
    loggers: list[DecisionLogger] = []
    proposer = runs._proposer

    def keep(s: RunSpec) -> Any:
        made = proposer(s)
        assert isinstance(made, DecisionLogger)
        loggers.append(made)
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "_proposer", keep)
        result = run(spec(scenario))
    return result, loggers[0]


@pytest.fixture(scope="module")
def explored(logged: tuple[RunResult, DecisionLogger]) -> RunResult:
    return logged[0]


def log_of(result: RunResult) -> TransitionLog:
    assert result.transitions is not None
    return result.transitions


def test_every_pool_decision_is_logged_with_a_spec_1_state_and_the_proposed_action(
    explored: RunResult,
) -> None:
    log = log_of(explored)
    assert log.skipped_decisions == 0
    assert len(log.transitions) == explored.metrics["decisions"]
    assert {t.pool for t in log.transitions} == {"web", "api"}
    states = np.asarray([t.state for t in log.transitions])
    assert states.shape == (len(log.transitions), N_STATE) == (len(log.transitions), 13)
    assert ((states >= 0) & (states <= 1)).all()
    assert {t.action for t in log.transitions} <= set(range(len(Action)))
    explored_share = np.mean([t.explored for t in log.transitions])
    assert 0.2 < explored_share < 0.6  # ε = 0.5, and a random draw is the rules' own action one time in six


def test_rewards_are_negative_costs_that_add_up_to_the_run_cost(explored: RunResult) -> None:
    log = log_of(explored)
    metrics = explored.metrics
    assert all(t.reward <= 0 for t in log.transitions)
    assert all(min(t.cost.compute, t.cost.outage, t.cost.disruption) >= 0 for t in log.transitions)
    assert all(min(t.cost.evictions, t.cost.outage_events) >= 0 for t in log.transitions)
    assert sum(t.cost.outage for t in log.transitions) > 0  # the hazard did hurt: outages are in the rewards
    assert sum(t.cost.evictions for t in log.transitions) > 0  # and so did the exploring drains
    assert sum(t.cost.outage_events for t in log.transitions) > 0  # outage events are priced one by one
    for t in log.transitions:
        priced = t.cost.evictions * EVICTION_COST_USD + t.cost.outage_events * EVENT_COST
        assert t.cost.disruption == pytest.approx(priced, abs=1e-9)
    assert log.total.compute == pytest.approx(metrics["compute_cost"], abs=1e-3)
    assert log.total.outage == pytest.approx(metrics["outage_penalty"], abs=1e-3)
    # every outage event of the run is charged exactly once: the events the evaluation counts
    assert log.total.outage_events == metrics["outage_events"] > 0
    attributed = sum((t.cost for t in log.transitions), log.before_first_decision + log.unattributed)
    assert attributed.outage_events == log.total.outage_events
    assert attributed.evictions == log.total.evictions >= 1
    assert log.total.disruption == pytest.approx(
        log.total.evictions * EVICTION_COST_USD + log.total.outage_events * EVENT_COST, abs=1e-9
    )
    # the first decisions are taken when the ledger opens and every node belongs to a pool: nothing is left over
    assert log.before_first_decision.total == pytest.approx(0, abs=1e-9)
    assert log.unattributed.total == pytest.approx(0, abs=1e-9)
    assert -log.reward_sum == pytest.approx(log.total.total, rel=1e-9)
    disruption = log.total.evictions * EVICTION_COST_USD + metrics["outage_events"] * EVENT_COST
    assert -log.reward_sum == pytest.approx(metrics["net_cost"] + disruption, abs=1e-3)


def test_outage_events_are_charged_to_the_pool_of_the_workload_that_had_them(
    logged: tuple[RunResult, DecisionLogger],
) -> None:
    result, logger = logged
    assert logger.meter is not None
    ledger = logger.meter.cluster.ledger
    by_pool: dict[str, int] = defaultdict(int)
    for availability in ledger.workloads.values():
        by_pool[availability.spec.pool] += availability.outage_events
    charged: dict[str, int] = defaultdict(int)
    for t in log_of(result).transitions:
        charged[t.pool] += t.cost.outage_events
    assert dict(charged) == {p: n for p, n in by_pool.items()}
    assert sum(by_pool.values()) == result.metrics["outage_events"]


def test_the_meter_counts_each_entry_into_outage_once_for_its_pool() -> None:
    """Readings are cumulative: an event counts from the reading after it started, once, for its pool; an
    event of a workload of no decided pool is unattributed; re-pricing changes the disruption only."""
    opened = START
    web = Availability(spec=_spec("front", "web"))
    api = Availability(spec=_spec("orders", "api"))
    other = Availability(spec=_spec("batch", "jobs"))
    world = _FakeWorld(opened)
    cluster = _FakeCluster(world, {"front": web, "orders": api, "batch": other}, opened)
    evicted = {"web": 3}
    meter = PoolCostMeter(
        cluster,  # type: ignore[arg-type]
        lambda m: None,
        evicted,
        outage_event_cost_usd=EVENT_COST,
    )
    before = meter.read("web")
    assert (before.outage_events, before.evictions) == (0, 3)
    web.outage_events, other.outage_events = 2, 1
    web.outage_since = opened
    world.now = opened + timedelta(hours=1)
    after = meter.read("web")
    interval = after - before
    assert (interval.outage_events, interval.evictions) == (2, 0)
    assert interval.disruption == pytest.approx(2 * EVENT_COST)
    assert interval.outage == pytest.approx(web.spec.penalty_per_hour)  # one hour below the floor
    assert meter.read("api") == PoolCost()
    left = meter.unattributed({"web", "api"})
    assert (left.outage_events, left.disruption) == (1, EVENT_COST)
    repriced = after.priced(EVICTION_COST_USD, 0.0)
    assert repriced.disruption == pytest.approx(3 * EVICTION_COST_USD)
    assert (repriced.compute, repriced.outage, repriced.outage_events) == (
        after.compute,
        after.outage,
        after.outage_events,
    )


def test_each_transition_runs_to_the_pool_s_next_decision(explored: RunResult) -> None:
    by_pool: dict[str, list[Transition]] = defaultdict(list)
    for t in log_of(explored).transitions:
        by_pool[t.pool].append(t)
    span = (END - START).total_seconds()
    for transitions in by_pool.values():
        for now, then in itertools.pairwise(transitions):
            assert now.next_state == then.state
            assert now.seconds + now.duration_seconds == pytest.approx(then.seconds)
        assert transitions[0].seconds == 0
        assert transitions[-1].next_state is None
        assert transitions[-1].seconds + transitions[-1].duration_seconds == pytest.approx(span)


def test_the_logged_states_are_the_ones_the_q_model_was_given(scenario: Path) -> None:
    """In rl mode the proposed action is the q-model's argmax on the logged state, for every decision."""
    result = run(spec(scenario, "spotvortex-rl"))
    transitions = log_of(result).transitions
    q = policy_models(require_rl=True).rl
    assert q is not None
    greedy = q.q_values(np.asarray([t.state for t in transitions], dtype=np.float32)).argmax(axis=1)
    assert [t.action for t in transitions] == greedy.tolist()
    assert [t.rl_action for t in transitions] == greedy.tolist()


@pytest.mark.parametrize("policy", ["spotvortex", "spotvortex-rl"])
def test_logging_does_not_change_what_a_run_does(scenario: Path, policy: str) -> None:
    logged, plain = run(spec(scenario, policy)), run(spec(scenario, policy, log_transitions=False))
    assert plain.transitions is None
    assert logged.approved == plain.approved
    drop = {"wall_seconds"}
    assert {k: v for k, v in logged.metrics.items() if k not in drop} == {
        k: v for k, v in plain.metrics.items() if k not in drop
    }


def test_exploring_with_epsilon_zero_is_the_deterministic_policy(scenario: Path) -> None:
    rules, explore = run(spec(scenario, "spotvortex")), run(spec(scenario, epsilon=0.0))
    assert explore.approved == rules.approved
    assert [t.action for t in log_of(explore).transitions] == [t.action for t in log_of(rules).transitions]
    assert not any(t.explored for t in log_of(explore).transitions)


def test_exploration_is_reproducible_from_the_run_seed(scenario: Path, explored: RunResult) -> None:
    again = run(spec(scenario))
    other = run(spec(scenario, seed=6))
    actions = [t.action for t in log_of(explored).transitions]
    assert [t.action for t in log_of(again).transitions] == actions
    assert [t.reward for t in log_of(again).transitions] == [t.reward for t in log_of(explored).transitions]
    assert [t.action for t in log_of(other).transitions] != actions


def test_the_simulator_never_imports_torch() -> None:
    code = (
        "import sys; import spotvortex.sim.eval.runs, spotvortex.sim.eval.transitions, "
        "spotvortex.sim.eval.attribution; sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- a world reduced to what the meter reads -----------------------------------------------------------------


def _spec(name: str, pool: str) -> WorkloadSpec:
    return WorkloadSpec(name, pool, replicas=2, cpu_millis=500, memory_mib=512, penalty_per_hour=40.0)


@dataclass
class _FakeWorld:
    now: datetime
    market: Any = None


@dataclass
class _FakeLedger:
    workloads: dict[str, Availability]
    opened: datetime


class _FakeCluster:
    def __init__(self, world: _FakeWorld, workloads: dict[str, Availability], opened: datetime) -> None:
        self.world = world
        self.ledger = _FakeLedger(workloads, opened)
        self.fleet = _FakeFleet()


@dataclass
class _FakeFleet:
    history: list[Any] = field(default_factory=list)
