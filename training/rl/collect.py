"""Running the simulator and turning its transition logs into arrays (no torch here)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spotvortex.inference.rl import N_ACTIONS, N_STATE
from spotvortex.sim.eval.attribution import EVICTION_COST_USD
from spotvortex.sim.eval.runs import EXPLORE, RunResult, RunSpec, run
from spotvortex.sim.eval.transitions import TransitionLog
from training.rl.plans import Reward, SimPlan

STEP_SECONDS = 600.0
"""The discount is given per this many simulated seconds (the evaluation's decision cadence)."""


@dataclass(frozen=True)
class Dataset:
    """Non-terminal transitions as arrays; rewards in USD (negative costs)."""

    states: npt.NDArray[np.float32]  # [n, 13]
    actions: npt.NDArray[np.int64]  # [n]
    rewards: npt.NDArray[np.float64]  # [n]
    next_states: npt.NDArray[np.float32]  # [n, 13]
    durations: npt.NDArray[np.float64]  # [n] seconds until the next decision of the pool
    rules_actions: npt.NDArray[np.int64]  # [n]

    @property
    def rows(self) -> int:
        return len(self.actions)

    def discounts(self, gamma: float) -> npt.NDArray[np.float64]:
        """γ per ``STEP_SECONDS``, compounded over each transition's own duration."""
        return np.power(gamma, self.durations / STEP_SECONDS)


def dataset(logs: Sequence[TransitionLog], reward: Reward) -> tuple[Dataset, int]:
    """The transitions that have a next state (the last decision of each pool in a run has none: the run was
    cut there, so it is left out rather than taken as an end), and how many were left out.

    Rewards are −(cost of the interval) with the disruption priced by ``reward`` (the logged counts of evicted
    pods and outage events re-priced; with the prices the logs were collected at, the logged rewards)."""
    rows = [t for log in logs for t in log.transitions if t.next_state is not None]
    widths = {len(t.state) for t in rows}
    if widths - {N_STATE}:
        raise ValueError(
            f"rl states of width {sorted(widths)}; training needs state spec 1 ({N_STATE} entries)"
        )
    dropped = sum(len(log.transitions) for log in logs) - len(rows)
    data = Dataset(
        states=np.asarray([t.state for t in rows], dtype=np.float32).reshape(-1, N_STATE),
        actions=np.asarray([t.action for t in rows], dtype=np.int64),
        rewards=np.asarray(
            [-t.cost.priced(reward.eviction_cost_usd, reward.outage_event_cost_usd).total for t in rows],
            dtype=np.float64,
        ),
        next_states=np.asarray([t.next_state for t in rows], dtype=np.float32).reshape(-1, N_STATE),
        durations=np.asarray([t.duration_seconds for t in rows], dtype=np.float64),
        rules_actions=np.asarray([t.rules_action for t in rows], dtype=np.int64),
    )
    return data, dropped


def run_all(specs: Sequence[RunSpec], workers: int) -> list[RunResult]:
    """The runs, in the order given (in worker processes when ``workers`` > 1)."""
    if workers <= 1:
        return [_timed(s) for s in specs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_timed, specs))


def _timed(spec: RunSpec) -> RunResult:
    began = time.perf_counter()
    result = run(spec)
    print(f"  {spec.scenario} {spec.key}: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return result


def collection_specs(plan: SimPlan, reward: Reward, models_dir: Path | None = None) -> list[RunSpec]:
    return [
        RunSpec(
            plan.scenario,
            EXPLORE,
            seed,
            plan.start,
            plan.end,
            plan.cadence_seconds,
            models_dir=str(models_dir) if models_dir else None,
            epsilon=epsilon,
            log_transitions=True,
            outage_event_cost_usd=reward.outage_event_cost_usd,
        )
        for seed, epsilon in zip(plan.seeds, plan.epsilons, strict=True)
    ]


def collect_logs(
    plan: SimPlan, reward: Reward, *, models_dir: Path | None = None, workers: int = 1
) -> tuple[list[TransitionLog], dict[str, Any]]:
    """The transition logs of the behaviour policy on ``plan`` (rewards priced by ``reward``), and what each
    run was like."""
    if reward.eviction_cost_usd != EVICTION_COST_USD:
        raise ValueError(f"the simulator's drains are priced at {EVICTION_COST_USD} USD per evicted pod")
    results = run_all(collection_specs(plan, reward, models_dir), workers)
    logs = [r.transitions for r in results if r.transitions is not None]
    if len(logs) != len(results):
        raise RuntimeError("a collection run logged no transitions")
    per_run = {
        str(r.seed): {
            "epsilon": eps,
            "transitions": len(r.transitions.transitions) if r.transitions else 0,
            "explored_share": round(float(np.mean([t.explored for t in r.transitions.transitions])), 4)
            if r.transitions and r.transitions.transitions
            else 0.0,
            "reward_sum_usd": round(r.transitions.reward_sum, 2) if r.transitions else 0.0,
            "net_cost": r.metrics["net_cost"],
            "outage_events": r.metrics["outage_events"],
            "outage_events_in_rewards": sum(t.cost.outage_events for t in r.transitions.transitions)
            if r.transitions
            else 0,
            "spot_residency": r.metrics["spot_residency"],
            "drains": r.metrics["drains"],
        }
        for r, eps in zip(results, plan.epsilons, strict=True)
    }
    return logs, {"runs": per_run}


def summarise(data: Dataset, dropped: int, runs: dict[str, Any]) -> dict[str, Any]:
    counts = np.bincount(data.actions, minlength=N_ACTIONS)
    return {
        **runs,
        "rows": data.rows,
        "rows_without_next_state": dropped,
        "action_counts": [int(c) for c in counts],
        "reward_mean_usd": round(float(data.rewards.mean()), 6) if data.rows else 0.0,
    }


def collect(
    plan: SimPlan, reward: Reward, *, models_dir: Path | None = None, workers: int = 1
) -> tuple[Dataset, dict[str, Any]]:
    """Transitions of the behaviour policy on ``plan`` with ``reward``, and what each run was like."""
    logs, runs = collect_logs(plan, reward, models_dir=models_dir, workers=workers)
    data, dropped = dataset(logs, reward)
    return data, summarise(data, dropped, runs)
