"""The rl policy: argmax of a q-value model over a documented state vector.

State spec ``1`` (``RL_STATE`` lists the entries in input order; each is clipped to [0, 1]). It starts from
upstream-spec §2.10 with these changes: prices enter as the spot/on-demand ratio instead of USD/100; the
target spot ratio is replaced by the pool's effective cap (the safety-aware ceiling the rules computed);
time-since-migration is replaced by the out-of-distribution flag, because a stateless inference replica
does not know the pool's move history (the gates keep it); priority and recovery risk are added.

``q_values`` [batch, 6] are in ``Action`` order; ties go to the lowest index (HOLD first). The rl confidence is
the risk confidence times the clarity of the preference: the softmax weight of the chosen action at
temperature 0.05 (q-value units), rescaled so that a uniform preference gives 0 and a clear one gives 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.enums import Action
from spotvortex.inference.manifest import ManifestError, VerifiedModel
from spotvortex.inference.session import check_io, metadata, open_session

RL_STATE_VERSION = "1"
INPUT = "state"
OUTPUT = "q_values"
TEMPERATURE = 0.05
N_ACTIONS = len(Action)


@dataclass(frozen=True)
class StateEntry:
    name: str
    normalisation: str


RL_STATE: tuple[StateEntry, ...] = (
    StateEntry("spot_price_ratio", "spot / on-demand"),
    StateEntry("price_volatility_1h", "feature price_volatility_1h"),
    StateEntry("capacity_score", "after the risk multiplier"),
    StateEntry("runtime_score", "after the risk multiplier"),
    StateEntry("pod_startup_seconds", "/ 600"),
    StateEntry("migration_cost_usd", "/ 10"),
    StateEntry("utilisation", "cpu requests / allocatable"),
    StateEntry("outage_penalty_hours", "/ 100"),
    StateEntry("priority_score", "as is"),
    StateEntry("current_spot_ratio", "as is"),
    StateEntry("effective_cap", "the rules' effective cap"),
    StateEntry("recovery_risk", "safety.recovery_budget_violation_risk"),
    StateEntry("out_of_distribution", "1 if any workload feature is out of distribution"),
)
RL_STATE_NAMES: tuple[str, ...] = tuple(e.name for e in RL_STATE)
N_STATE = len(RL_STATE)

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class StateInputs:
    spot_price_ratio: float
    price_volatility: float
    capacity_score: float
    runtime_score: float
    pod_startup_seconds: float
    migration_cost_usd: float
    utilisation: float
    outage_penalty_hours: float
    priority_score: float
    current_spot_ratio: float
    effective_cap: float
    recovery_risk: float
    out_of_distribution: bool
    # read by other state specs (the earlier bundle's), not by spec 1
    spot_price_usd: float = 0.0
    on_demand_price_usd: float = 0.0
    target_spot_ratio: float = 0.0
    price_history_usd: tuple[float, ...] = ()


def state_vector(s: StateInputs) -> list[float]:
    raw = [
        s.spot_price_ratio,
        s.price_volatility,
        s.capacity_score,
        s.runtime_score,
        s.pod_startup_seconds / 600,
        s.migration_cost_usd / 10,
        s.utilisation,
        s.outage_penalty_hours / 100,
        s.priority_score,
        s.current_spot_ratio,
        s.effective_cap,
        s.recovery_risk,
        1.0 if s.out_of_distribution else 0.0,
    ]
    return [min(1.0, max(0.0, v)) for v in raw]


def choose(q: npt.NDArray[np.float64]) -> Action:
    """The argmax action; ties go to the lowest index."""
    return Action.from_index(int(np.argmax(q)))


def preference_clarity(q: npt.NDArray[np.float64]) -> float:
    """0 when all actions are equally valued, towards 1 when one clearly dominates."""
    z = (q - q.max()) / TEMPERATURE
    weights = np.exp(z)
    top = float(weights.max() / weights.sum())
    return max(0.0, (top - 1 / N_ACTIONS) / (1 - 1 / N_ACTIONS))


class QModel:
    def __init__(self, model: VerifiedModel) -> None:
        self.name = model.name
        self.version = model.version
        self.kind = model.entry.kind or "unknown"
        self._session, self._buffers = open_session(model)
        check_io(self._session, model.name, {INPUT: N_STATE}, {OUTPUT: N_ACTIONS})
        meta = metadata(self._session, model.name)
        version = str(meta.get("rl_state_version"))
        if version != RL_STATE_VERSION or tuple(meta.get("state_names", ())) != RL_STATE_NAMES:
            raise ManifestError(
                f"models: {model.name} expects rl state spec {version}, this build computes spec {RL_STATE_VERSION}"
            )

    def state(self, s: StateInputs) -> list[float]:
        """This model's encoding of a pool's state (spec 1)."""
        return state_vector(s)

    def q_values(self, states: Matrix) -> npt.NDArray[np.float64]:
        """One onnxruntime call for the batch: [batch, 6] in Action order."""
        if states.shape[0] == 0:
            return np.zeros((0, N_ACTIONS), dtype=np.float64)
        (q,) = self._session.run([OUTPUT], {INPUT: states})
        values = np.asarray(q, dtype=np.float64)
        if not np.isfinite(values).all():  # a broken value never wins the argmax
            values = np.nan_to_num(values, nan=-1e9, posinf=-1e9, neginf=-1e9)
        return values
