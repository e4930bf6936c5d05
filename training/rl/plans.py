"""Which simulations the rl policy is trained on, tuned on and validated on (never the same), and its reward.

Training collects transitions with the exploring behaviour policy (``spotvortex-explore``: the rules with
ε-random actions, one ε per seed so the data holds both mostly-rules and mostly-random trajectories) on the
``large`` scenario (24 pools, ten times the calibrated hazard rate) over 2021-03-08 → 03-15. Tuning (the choice
of the reward's outage-event cost, ``training.rl.tune``) compares candidates on other seeds over the following
week, 2021-03-15 → 03-22. Validation runs the policies on other seeds again over a later week, 2021-03-22 →
03-29; nothing is chosen by looking at it. The smoke plans do the same on ``demo`` (three pools) over twelve
hours, for CI.

The reward (``spotvortex.sim.eval.transitions``) is −(compute + outage penalty + disruption) of the pool over
the interval to its next decision; the disruption prices every pod a drain evicted and every **outage event**
(entry of a workload into outage, as the evaluation's ``outage_events`` counts it). ``REWARD`` holds those two
prices; its ``outage_event_cost_usd`` is the value ``python -m training.rl tune`` chose on the tuning plan (see
``training/rl/README.md``), fixed here so that ``train`` (and ``make train``) fits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spotvortex.sim.eval.attribution import EVICTION_COST_USD


@dataclass(frozen=True)
class SimPlan:
    scenario: str
    seeds: tuple[int, ...]
    start: datetime
    end: datetime
    cadence_seconds: float = 600.0
    epsilons: tuple[float, ...] = ()  # training: the behaviour policy's ε, one per seed

    def __post_init__(self) -> None:
        if self.epsilons and len(self.epsilons) != len(self.seeds):
            raise ValueError("give one ε per seed")
        if self.end <= self.start:
            raise ValueError("empty window")

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "scenario": self.scenario,
            "seeds": list(self.seeds),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "cadence_seconds": self.cadence_seconds,
        }
        if self.epsilons:
            doc["epsilon_per_seed"] = {str(s): e for s, e in zip(self.seeds, self.epsilons, strict=True)}
        return doc


@dataclass(frozen=True)
class Reward:
    """The prices of the reward's disruption term, in USD (compute and outage penalty are the ledger's)."""

    outage_event_cost_usd: float
    eviction_cost_usd: float = EVICTION_COST_USD

    def __post_init__(self) -> None:
        if self.outage_event_cost_usd < 0 or self.eviction_cost_usd < 0:
            raise ValueError("disruption prices are costs: give them >= 0")

    def describe(self) -> str:
        return (
            "-(compute cost of the pool's nodes + outage penalty of the pool's workloads + "
            f"{self.eviction_cost_usd:.2f} USD per pod the pool's drains evicted + "
            f"{self.outage_event_cost_usd:g} USD per outage event of the pool's workloads), USD, over the "
            "interval from the decision to the pool's next decision"
        )


def _day(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2021, month, day, hour, tzinfo=UTC)


EXPLORATION_MIXES: dict[str, tuple[float, ...]] = {
    "wide": (0.25, 0.5, 0.75, 1.0),  # from mostly-rules to all-random trajectories
    "conservative": (0.1, 0.2, 0.3, 0.4),  # mostly the rules' own trajectories
}
"""The behaviour policy's ε per training seed that ``training.rl.tune`` may try; ``TRAIN`` uses the chosen one."""
SMOKE_EXPLORATION_MIXES: dict[str, tuple[float, ...]] = {"wide": (0.5, 1.0), "conservative": (0.1, 0.3)}

TRAIN = SimPlan(
    "large", (101, 102, 103, 104), _day(3, 8), _day(3, 15), epsilons=EXPLORATION_MIXES["conservative"]
)  # the mix chosen by ``python -m training.rl tune`` with the outage-event price below
VALIDATION = SimPlan("large", (1, 2, 3, 4, 5), _day(3, 22), _day(3, 29))
SMOKE_TRAIN = SimPlan(
    "demo", (101, 102), _day(3, 8), _day(3, 8, 12), epsilons=SMOKE_EXPLORATION_MIXES["wide"]
)
SMOKE_VALIDATION = SimPlan("demo", (1, 2), _day(3, 22), _day(3, 22, 12))
TUNING = SimPlan("large", tuple(range(105, 113)), _day(3, 15), _day(3, 22))
SMOKE_TUNING = SimPlan("demo", (105, 106), _day(3, 15), _day(3, 15, 12))

OUTAGE_EVENT_COSTS_USD = (0.0, 25.0, 100.0, 400.0)
"""The outage-event prices ``training.rl.tune`` tries on the tuning plan."""
SMOKE_OUTAGE_EVENT_COSTS_USD = (0.0, 100.0)
SMOKE_REWARD = Reward(outage_event_cost_usd=100.0)
OUTAGE_EVENT_COST_USD = 100.0
"""Chosen by ``python -m training.rl tune`` (training/rl/README.md has its table); not by looking at validation."""
REWARD = Reward(outage_event_cost_usd=OUTAGE_EVENT_COST_USD)
"""The reward ``train`` fits (the outage-event price chosen by ``python -m training.rl tune``)."""


def _apart(a: SimPlan, b: SimPlan, what: str) -> None:
    if set(a.seeds) & set(b.seeds):
        raise ValueError(f"{what} share seeds")
    if a.scenario == b.scenario and a.start < b.end and b.start < a.end:
        raise ValueError(f"{what} windows overlap")


def plans(smoke: bool) -> tuple[SimPlan, SimPlan]:
    """(training, validation), checked to share neither a seed nor a moment of their windows."""
    train, validation = (SMOKE_TRAIN, SMOKE_VALIDATION) if smoke else (TRAIN, VALIDATION)
    _apart(train, validation, "training and validation")
    return train, validation


def reward(smoke: bool) -> Reward:
    """The reward ``train`` fits."""
    return SMOKE_REWARD if smoke else REWARD


def exploration_mixes(smoke: bool) -> dict[str, tuple[float, ...]]:
    return SMOKE_EXPLORATION_MIXES if smoke else EXPLORATION_MIXES


def outage_event_costs(smoke: bool) -> tuple[float, ...]:
    """The outage-event prices ``training.rl.tune`` tries."""
    return SMOKE_OUTAGE_EVENT_COSTS_USD if smoke else OUTAGE_EVENT_COSTS_USD


def tuning_plan(smoke: bool) -> SimPlan:
    """The plan the reward is tuned on: no seed of training or validation, no moment of validation's window
    (it is not a training window either, so the choice is judged out of sample)."""
    train, validation = plans(smoke)
    tuning = SMOKE_TUNING if smoke else TUNING
    _apart(tuning, validation, "tuning and validation")
    _apart(tuning, train, "tuning and training")
    return tuning
