"""Which simulations the rl policy is trained on and which it is validated on (never the same).

Training collects transitions with the exploring behaviour policy (``spotvortex-explore``: the rules with
ε-random actions, one ε per seed so the data holds both mostly-rules and mostly-random trajectories) on the
``large`` scenario (24 pools, ten times the calibrated hazard rate) over 2021-03-08 → 03-15. Validation runs
the policies on other seeds over a later week, 2021-03-22 → 03-29. The smoke plans do the same on ``demo``
(three pools) over twelve hours, for CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


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


def _day(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2021, month, day, hour, tzinfo=UTC)


TRAIN = SimPlan("large", (101, 102, 103, 104), _day(3, 8), _day(3, 15), epsilons=(0.25, 0.5, 0.75, 1.0))
VALIDATION = SimPlan("large", (1, 2, 3, 4, 5), _day(3, 22), _day(3, 29))
SMOKE_TRAIN = SimPlan("demo", (101, 102), _day(3, 8), _day(3, 8, 12), epsilons=(0.5, 1.0))
SMOKE_VALIDATION = SimPlan("demo", (1, 2), _day(3, 22), _day(3, 22, 12))


def plans(smoke: bool) -> tuple[SimPlan, SimPlan]:
    """(training, validation), checked to share neither a seed nor a moment of their windows."""
    train, validation = (SMOKE_TRAIN, SMOKE_VALIDATION) if smoke else (TRAIN, VALIDATION)
    if set(train.seeds) & set(validation.seeds):
        raise ValueError("training and validation share seeds")
    if (
        train.scenario == validation.scenario
        and train.start < validation.end
        and validation.start < train.end
    ):
        raise ValueError("training and validation windows overlap")
    return train, validation
