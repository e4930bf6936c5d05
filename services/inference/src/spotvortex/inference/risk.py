"""The risk model runner: one onnxruntime call per micro-batch, the risk multiplier, and a confidence that means
something.

The model maps ``window`` [batch, STEPS, N_FEATURES] (feature spec 2) to ``capacity_score`` and ``runtime_score``
[batch, 1] and ``feature_weights`` [batch, N_FEATURES], each input's share of the decision (the top ones go in the
risk event). Its metadata carries the feature spec version and names it was trained on (checked against this
build's spec), the window shape, the label horizons, and the training range of every feature. At load a canned
batch is scored: scores outside [0, 1], weights that do not sum to 1, or a batch that scores differently row by
row refuse the model.

Confidence (``in_distribution`` × data quality, in ``decide``) is how much the scores can be believed:
``in_distribution = exp(−2 · Σ excessᵢ)``, where ``excessᵢ`` is how far feature *i* (at any step of the window)
lies outside the range seen in training, in units of that range (at least 0.05). Inside the training range it
is 1.0; a feature a whole range outside gives 0.14. A risk-raising feature above its training maximum is not
counted: a market that looks worse than anything seen should not weaken a protective move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.decisions import FeatureContribution
from spotvortex.contracts.risk_window import STEPS, StepCache
from spotvortex.contracts.telemetry import PoolTelemetry
from spotvortex.inference.features import (
    FEATURE_NAMES,
    FEATURE_SPEC_VERSION,
    FEATURES,
    N_FEATURES,
    FloatMatrix,
    MarketView,
    window_rows,
    window_tensor,
)
from spotvortex.inference.manifest import ManifestError, VerifiedModel
from spotvortex.inference.session import check_io, metadata, open_session

INPUT = "window"
CAPACITY = "capacity_score"
RUNTIME = "runtime_score"
WEIGHTS = "feature_weights"
EXCESS_WEIGHT = 2.0
MIN_RANGE = 0.05
EPS = 1e-6
TOP_FEATURES = 3
ROUNDING = 1e-4

Vector = npt.NDArray[np.float64]
RAISES_RISK = np.array([f.raises_risk for f in FEATURES])


@dataclass(frozen=True)
class RiskOutputs:
    """A batch's raw scores (before the risk multiplier), confidences and top inputs."""

    capacity: Vector
    runtime: Vector
    in_distribution: Vector
    top_features: list[list[FeatureContribution]]


def apply_risk_multiplier(scores: Vector, k: float) -> Vector:
    """Multiply the odds of each probability by ``k``: k > 1 raises every score (more conservative), k < 1 lowers.

    Fixes upstream-spec §11 item 6: the earlier transform raised the odds to the power k, which *lowers* any
    score under 0.5 when k > 1, the opposite of the documented meaning.
    """
    if k == 1.0:
        return scores
    p = np.clip(scores, EPS, 1 - EPS)
    odds = k * p / (1 - p)
    return np.asarray(odds / (1 + odds), dtype=np.float64)


def _bounded(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if not np.isfinite(scores).all():  # cannot happen with finite inputs; if it does, assume the worst
        scores = np.nan_to_num(scores, nan=1.0, posinf=1.0, neginf=0.0)
    return np.clip(scores, 0.0, 1.0)


class RiskModel:
    def __init__(self, model: VerifiedModel) -> None:
        self.name = model.name
        self.version = model.version
        self.kind = model.entry.kind or "unknown"
        self._session, self._buffers = open_session(model)
        check_io(
            self._session,
            model.name,
            {INPUT: (STEPS, N_FEATURES)},
            {CAPACITY: (1,), RUNTIME: (1,), WEIGHTS: (N_FEATURES,)},
        )
        meta = metadata(self._session, model.name)
        self._check_spec(meta)
        self.low = np.asarray(meta["feature_low"], dtype=np.float64)
        self.high = np.asarray(meta["feature_high"], dtype=np.float64)
        self.horizons = dict(meta.get("horizons_seconds", {}))
        self.persistence: dict[str, list[float]] = dict(meta.get("persistence", {}))
        self._self_check()

    def _check_spec(self, meta: dict[str, Any]) -> None:
        spec = str(meta.get("feature_spec_version"))
        if spec != FEATURE_SPEC_VERSION:
            raise ManifestError(
                f"models: {self.name} was trained on feature spec {spec}, this build computes spec "
                f"{FEATURE_SPEC_VERSION}; use a model built for spec {FEATURE_SPEC_VERSION}"
            )
        if tuple(meta.get("feature_names", ())) != FEATURE_NAMES:
            raise ManifestError(
                f"models: {self.name} lists features {meta.get('feature_names')}, expected {FEATURE_NAMES}"
            )
        for key in ("feature_low", "feature_high"):
            if len(meta.get(key, ())) != N_FEATURES:
                raise ManifestError(f"models: {self.name} metadata {key} must have {N_FEATURES} values")

    def _self_check(self) -> None:
        rows = [
            np.broadcast_to(v, (STEPS, N_FEATURES)) for v in (self.low, self.high, (self.low + self.high) / 2)
        ]
        probe = np.stack(rows).astype(np.float32)
        together = self._run(probe)
        alone = [self._run(probe[i : i + 1]) for i in range(len(probe))]
        capacity, runtime, weights = together
        sane = (
            np.isfinite(capacity).all()
            and np.isfinite(runtime).all()
            and ((capacity >= 0) & (capacity <= 1) & (runtime >= 0) & (runtime <= 1)).all()
            and np.allclose(weights.sum(axis=1), 1.0, atol=1e-3)
            and all(
                np.allclose(a[k][0], together[k][i], atol=1e-5) for i, a in enumerate(alone) for k in range(3)
            )
        )
        if not sane:
            raise ManifestError(
                f"models: {self.name} fails its load check (scores outside [0, 1], feature weights not summing "
                "to 1, or batch rows that depend on each other); rebuild the model"
            )

    def _run(self, windows: FloatMatrix) -> tuple[Vector, Vector, npt.NDArray[np.float64]]:
        capacity, runtime, weights = self._session.run([CAPACITY, RUNTIME, WEIGHTS], {INPUT: windows})
        return (
            np.asarray(capacity, dtype=np.float64)[:, 0],
            np.asarray(runtime, dtype=np.float64)[:, 0],
            np.asarray(weights, dtype=np.float64),
        )

    def prepare(
        self, view: MarketView, telemetry: PoolTelemetry, cache: StepCache | None = None
    ) -> list[list[float]]:
        """This model's input for one pool: feature spec 2's window."""
        return window_rows(view, telemetry, cache)

    @staticmethod
    def stack(rows: Sequence[list[list[float]]]) -> FloatMatrix:
        return window_tensor(rows)

    def raw_scores(self, windows: FloatMatrix) -> tuple[Vector, Vector]:
        """One onnxruntime call for the whole batch; scores as float64 vectors in [0, 1] (no confidence)."""
        if windows.shape[0] == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        capacity, runtime, _ = self._run(windows)
        both = _bounded(np.stack((capacity, runtime), axis=1))
        return both[:, 0], both[:, 1]

    def assess(self, windows: FloatMatrix) -> RiskOutputs:
        """Scores, confidences and top inputs of a batch, from one onnxruntime call."""
        if windows.shape[0] == 0:
            empty = np.zeros(0, dtype=np.float64)
            return RiskOutputs(empty, empty, empty, [])
        capacity, runtime, weights = self._run(windows)
        both = _bounded(np.stack((capacity, runtime), axis=1))
        return RiskOutputs(both[:, 0], both[:, 1], self.in_distribution(windows), self.top_features(weights))

    def in_distribution(self, windows: FloatMatrix) -> Vector:
        """Per row, ``exp(−2 · Σ excess)`` over the training ranges (1.0 inside them)."""
        x = windows.astype(np.float64)
        width = np.maximum(self.high - self.low, MIN_RANGE)
        below = self.low - x.min(axis=1)
        above = np.where(RAISES_RISK, 0.0, x.max(axis=1) - self.high)
        excess = np.maximum(0.0, np.maximum(below, above)) / width
        excess[excess < ROUNDING] = 0.0  # the ranges are stored to 6 decimals
        return np.asarray(np.exp(-EXCESS_WEIGHT * excess.sum(axis=1)), dtype=np.float64)

    @staticmethod
    def top_features(weights: npt.NDArray[np.float64]) -> list[list[FeatureContribution]]:
        """Per row, the inputs with the largest share of the decision."""
        order = np.argsort(-weights, axis=1, kind="stable")[:, :TOP_FEATURES]
        shares = np.round(np.take_along_axis(weights, order, axis=1), 6)
        keep = np.isfinite(shares) & (shares > 1e-9)
        return [
            [
                FeatureContribution(name=FEATURE_NAMES[i], weight=w)
                for i, w, k in zip(top, row, ok, strict=True)
                if k
            ]
            for top, row, ok in zip(order.tolist(), shares.tolist(), keep.tolist(), strict=True)
        ]
