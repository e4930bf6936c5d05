"""The earlier implementation's model bundle (``tft.onnx`` + ``rl_policy.onnx``), served behind the same
protocols as ours so that it can be replayed, compared and scored on the same data.

Risk (upstream-spec §2.7, §2.8): input ``input`` float32 ``[1, 12, 10]`` built from raw USD prices with no
normalisation, outputs ``capacity_score`` and ``runtime_score``. The batch dimension is fixed at 1, so ``assess``
makes one onnxruntime call per row. The model has no notion of a training range and no per-input attribution:
``in_distribution`` is 1.0 (this says nothing about how far the input is from what it was trained on; the
earlier agent had no such measure either) and ``top_features`` is empty. Only the raw scores are returned;
``decide`` applies our own risk multiplier, not the earlier inverted one (§2.9), and the earlier PySR stages were
identities in the shipped bundle, so they are left out.

History (§2.3, §2.7): the spot prices of the market's price changes up to the snapshot, oldest first, ending with
the current price (appended unless the last change already is it), the last 12 kept and the rest left-padded
with the current price. The earlier AWS provider padded to 24 points and kept every second one; our collector
ships price changes, so that artefact is not reproduced. Hour and weekday are those of the snapshot's own time
(UTC), so a redelivered snapshot gives the same window; the earlier agent used the container's clock.

RL state (§2.10), every entry clipped to [0, 1]: spot/100, on-demand/100, the sample standard deviation of the
last ≤12 history prices, capacity and runtime scores (after our multiplier), startup/300, migration cost/10,
utilisation, time since migration/100, outage penalty hours/10, is_spot, current spot ratio, target spot ratio.
A stateless inference replica does not know when the pool last moved (the gates keep that), so time since
migration is 0 ("just moved"), the cautious end of the range; the earlier agent used 100 steps for a pool never
moved. ``is_spot`` is 1 when the pool is mostly spot (current spot ratio ≥ 0.5), the earlier pool mode's rule.
Utilisation and migration cost are ours (the pool's CPU requests share and the rules' migration cost), not the
earlier cluster-wide figures. The q-model's batch dimension is dynamic: one call per batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from spotvortex.contracts.risk_window import StepCache
from spotvortex.contracts.telemetry import MarketSeries, PoolTelemetry, PricePoint
from spotvortex.inference.features import MarketView
from spotvortex.inference.manifest import ManifestError, VerifiedModel
from spotvortex.inference.risk import RiskOutputs
from spotvortex.inference.rl import StateInputs
from spotvortex.inference.session import check_io, open_session

LEGACY_RISK_KIND = "upstream-tft-mlp"
LEGACY_RL_KIND = "upstream-dueling-dqn"
RISK_INPUT = "input"
CAPACITY = "capacity_score"
RUNTIME = "runtime_score"
STATE_INPUT = "state"
Q_OUTPUT = "q_values"
STEPS = 12
N_FEATURES = 10
ENCODER_LENGTH = 12
HORIZON_STEP = 6  # "60 min at 10-min steps" (§2.8)
N_ACTIONS = 6

LEGACY_WINDOW_FEATURES: tuple[str, ...] = (
    "spot_price",
    "on_demand_price",
    "price_lag_1",
    "price_lag_3",
    "volatility",
    "hour",
    "day_of_week",
    "is_weekend",
    "relative_time_idx",
    "encoder_length",
)
LEGACY_STATE: tuple[str, ...] = (
    "spot_price",
    "on_demand_price",
    "price_volatility",
    "capacity_score",
    "runtime_score",
    "pod_startup_time",
    "migration_cost",
    "cluster_utilization",
    "time_since_migration",
    "outage_penalty_hours",
    "is_spot",
    "current_spot_ratio",
    "target_spot_ratio",
)
N_STATE = len(LEGACY_STATE)

# the earlier agent's startup contract check (§2.8)
CONTRACT_SPOT = 0.31
CONTRACT_ON_DEMAND = 0.97
CONTRACT_HISTORY = (0.31, 0.32, 0.30, 0.29, 0.31, 0.33, 0.34, 0.33, 0.32, 0.31, 0.30, 0.29)
CONTRACT_TIME = datetime.fromtimestamp(1700000000, UTC)

Vector = npt.NDArray[np.float64]
Tensor = npt.NDArray[np.float32]


def sample_std(values: Sequence[float]) -> float:
    """Standard deviation with the n − 1 denominator; 0 for fewer than two values (as the earlier agent)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def legacy_history(prices: Sequence[PricePoint], current: float, at: datetime) -> list[float]:
    """The last ≤12 spot prices (USD/h) known at ``at``, oldest first, ending with ``current``."""
    known = [p.spot_price for p in sorted(prices, key=lambda p: p.time) if p.time <= at]
    if not known or known[-1] != current:
        known.append(current)
    return known[-STEPS:]


def window_from_history(
    history: Sequence[float], current: float, on_demand: float, at: datetime
) -> list[list[float]]:
    """§2.7's ``[12][10]`` window: ``history`` (oldest first) forced to 12 points, left-padded with ``current``."""
    h = [float(current)] * max(0, STEPS - len(history)) + [float(v) for v in history[-STEPS:]]
    when = at.astimezone(UTC) if at.tzinfo is not None else at
    hour = when.hour / 24
    sunday_first = (when.weekday() + 1) % 7
    weekend = 1.0 if sunday_first in (0, 6) else 0.0
    rows = []
    for t in range(STEPS):
        rows.append(
            [
                h[t],
                float(on_demand),
                h[t - 1] if t >= 1 else h[0],
                h[t - 3] if t >= 3 else h[t],
                sample_std(h[max(0, t - 11) : t + 1]),
                hour,
                sunday_first / 7,
                weekend,
                float(t - (STEPS - 1)),
                float(ENCODER_LENGTH),
            ]
        )
    return rows


def legacy_window(series: MarketSeries, at: datetime) -> list[list[float]]:
    """The earlier risk model's input for one market at ``at`` (also used to score it outside ``decide``)."""
    history = legacy_history(series.prices, series.spot_price, at)
    return window_from_history(history, series.spot_price, series.on_demand_price, at)


def legacy_state(s: StateInputs) -> list[float]:
    """§2.10's state vector of one pool."""
    raw = [
        s.spot_price_usd / 100,
        s.on_demand_price_usd / 100,
        sample_std(s.price_history_usd[-STEPS:]),
        s.capacity_score,
        s.runtime_score,
        s.pod_startup_seconds / 300,
        s.migration_cost_usd / 10,
        s.utilisation,
        0.0,  # time since migration: unknown to a stateless replica (see the module docstring)
        s.outage_penalty_hours / 10,
        1.0 if s.current_spot_ratio >= 0.5 else 0.0,
        s.current_spot_ratio,
        s.target_spot_ratio,
    ]
    return [min(1.0, max(0.0, v)) if math.isfinite(v) else 0.0 for v in raw]


def extract_score(output: npt.ArrayLike) -> float:
    """One row's score by §2.8's rules: ``[1, H, Q]`` → step min(6, H − 1), quantile Q/2; ``[1, W]`` → W/2;
    otherwise the first element."""
    values = np.asarray(output, dtype=np.float64)
    if values.ndim == 3 and values.shape[1] and values.shape[2]:
        return float(values[0, min(HORIZON_STEP, values.shape[1] - 1), values.shape[2] // 2])
    if values.ndim == 2 and values.shape[1]:
        return float(values[0, values.shape[1] // 2])
    flat = values.ravel()
    return float(flat[0]) if flat.size else math.nan


def is_legacy_risk(session: ort.InferenceSession) -> bool:
    """Whether a risk model takes the earlier ``input`` ``[1, 12, 10]`` window."""
    shapes = {arg.name: arg.shape for arg in session.get_inputs()}
    shape = shapes.get(RISK_INPUT)
    return shape is not None and len(shape) == 3 and list(shape[1:]) == [STEPS, N_FEATURES]


def _version(model: VerifiedModel, kind: str) -> str:
    digest = model.entry.sha256.strip().lower().removeprefix("sha256:")
    return model.entry.version or f"{kind}+sha256:{digest[:12]}"


class LegacyRiskModel:
    """The earlier ``tft.onnx`` (an MLP over the flattened window) behind :class:`RiskScorer`."""

    def __init__(
        self, model: VerifiedModel, opened: tuple[ort.InferenceSession, list[Any]] | None = None
    ) -> None:
        self.name = model.name
        self.kind = model.entry.kind or LEGACY_RISK_KIND
        self.version = _version(model, self.kind)
        self._session, self._buffers = opened if opened is not None else open_session(model)
        if not is_legacy_risk(self._session):
            shapes = {arg.name: arg.shape for arg in self._session.get_inputs()}
            raise ManifestError(
                f"models: {self.name} has inputs {shapes}; expected {RISK_INPUT!r} [1, {STEPS}, {N_FEATURES}]"
            )
        outputs = {arg.name for arg in self._session.get_outputs()}
        missing = sorted({CAPACITY, RUNTIME} - outputs)
        if missing:
            raise ManifestError(f"models: {self.name} has no output {missing} (has {sorted(outputs)})")
        probe = self.stack(
            [window_from_history(CONTRACT_HISTORY, CONTRACT_SPOT, CONTRACT_ON_DEMAND, CONTRACT_TIME)]
        )
        capacity, runtime = self._run(probe[0:1])
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (capacity, runtime)):
            raise ManifestError(
                f"models: {self.name} fails the earlier contract check (scores {capacity}, {runtime} "
                "outside [0, 1])"
            )

    def _run(self, window: Tensor) -> tuple[float, float]:
        capacity, runtime = self._session.run([CAPACITY, RUNTIME], {RISK_INPUT: window})
        return extract_score(capacity), extract_score(runtime)

    def prepare(
        self, view: MarketView, telemetry: PoolTelemetry, cache: StepCache | None = None
    ) -> list[list[float]]:
        """The window of the view's first market (the earlier agent read one market per pool)."""
        return legacy_window(view.series[0], telemetry.time)

    @staticmethod
    def stack(rows: Sequence[list[list[float]]]) -> Tensor:
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), STEPS, N_FEATURES)

    def assess(self, inputs: Tensor) -> RiskOutputs:
        n = int(inputs.shape[0])
        scores = np.empty((n, 2), dtype=np.float64)
        for i in range(n):  # the batch dimension is fixed at 1
            scores[i] = self._run(np.ascontiguousarray(inputs[i : i + 1], dtype=np.float32))
        if not np.isfinite(scores).all():  # assume the worst of a broken score
            scores = np.nan_to_num(scores, nan=1.0, posinf=1.0, neginf=0.0)
        np.clip(scores, 0.0, 1.0, out=scores)
        return RiskOutputs(
            capacity=scores[:, 0].copy(),
            runtime=scores[:, 1].copy(),
            in_distribution=np.ones(n, dtype=np.float64),
            top_features=[[] for _ in range(n)],
        )


class LegacyQModel:
    """The earlier ``rl_policy.onnx`` (a dueling DQN) behind :class:`QScorer`."""

    def __init__(self, model: VerifiedModel) -> None:
        self.name = model.name
        self.kind = model.entry.kind or LEGACY_RL_KIND
        self.version = _version(model, self.kind)
        self._session, self._buffers = open_session(model)
        check_io(self._session, model.name, {STATE_INPUT: N_STATE}, {Q_OUTPUT: N_ACTIONS})
        probe = [0.0] * N_STATE
        probe[LEGACY_STATE.index("capacity_score")] = 0.25
        q = self.q_values(np.asarray([probe], dtype=np.float32))
        if q.shape != (1, N_ACTIONS):
            raise ManifestError(f"models: {self.name} gives q-values of shape {q.shape}; expected [1, 6]")

    def state(self, s: StateInputs) -> list[float]:
        return legacy_state(s)

    def q_values(self, states: Tensor) -> npt.NDArray[np.float64]:
        if states.shape[0] == 0:
            return np.zeros((0, N_ACTIONS), dtype=np.float64)
        (q,) = self._session.run([Q_OUTPUT], {STATE_INPUT: np.ascontiguousarray(states, dtype=np.float32)})
        values = np.asarray(q, dtype=np.float64)
        if not np.isfinite(values).all():  # a broken value never wins the argmax
            values = np.nan_to_num(values, nan=-1e9, posinf=-1e9, neginf=-1e9)
        return values
