"""The risk model runner: one onnxruntime call per micro-batch, the risk multiplier, and a confidence that means
something.

The model maps ``features`` [batch, N_FEATURES] to ``capacity_score`` and ``runtime_score`` [batch, 1]. Its
metadata carries the feature spec version and names it was trained on (checked against this build's
``features`` module), the training range of every feature, and the linear coefficients (for explanations). At
load a canned batch is scored both by onnxruntime and from those coefficients; a disagreement refuses the model.

Confidence (``in_distribution`` × data quality, in ``decide``) is how much the scores can be believed:
``in_distribution = exp(−2 · Σ excessᵢ)``, where ``excessᵢ`` is how far feature *i* lies outside the range seen in
training, in units of that range (at least 0.05). Inside the training range it is 1.0; a feature a whole range
outside gives 0.14. A risk-raising feature above its training maximum is not counted: its coefficient is
constrained ≥ 0, so the score there is at least the score at the maximum — the extrapolation errs on the safe
side, and a protective move should not lose confidence because the market looks worse than anything seen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.decisions import FeatureContribution
from spotvortex.inference.features import (
    FEATURE_NAMES,
    FEATURE_SPEC_VERSION,
    FEATURES,
    N_FEATURES,
    FloatMatrix,
)
from spotvortex.inference.manifest import ManifestError, VerifiedModel
from spotvortex.inference.session import check_io, metadata, open_session

INPUT = "features"
CAPACITY = "capacity_score"
RUNTIME = "runtime_score"
EXCESS_WEIGHT = 2.0
MIN_RANGE = 0.05
EPS = 1e-6

Vector = npt.NDArray[np.float64]
RAISES_RISK = np.array([f.raises_risk for f in FEATURES])


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


class RiskModel:
    def __init__(self, model: VerifiedModel) -> None:
        self.name = model.name
        self.version = model.version
        self.kind = model.entry.kind or "unknown"
        self._session, self._buffers = open_session(model)
        check_io(self._session, model.name, {INPUT: N_FEATURES}, {CAPACITY: 1, RUNTIME: 1})
        meta = metadata(self._session, model.name)
        self._check_spec(meta)
        self.low = np.asarray(meta["feature_low"], dtype=np.float64)
        self.high = np.asarray(meta["feature_high"], dtype=np.float64)
        self.mean = np.asarray(meta["feature_mean"], dtype=np.float64)
        self.capacity_coef = np.asarray(meta["capacity"]["coef"], dtype=np.float64)
        self.capacity_intercept = float(meta["capacity"]["intercept"])
        self.runtime_coef = np.asarray(meta["runtime"]["coef"], dtype=np.float64)
        self.runtime_intercept = float(meta["runtime"]["intercept"])
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
        for key in ("feature_low", "feature_high", "feature_mean"):
            if len(meta.get(key, ())) != N_FEATURES:
                raise ManifestError(f"models: {self.name} metadata {key} must have {N_FEATURES} values")

    def _self_check(self) -> None:
        probe = np.stack([self.low, self.mean, self.high]).astype(np.float32)
        capacity, runtime = self.raw_scores(probe)
        expected_c = 1 / (
            1 + np.exp(-(probe.astype(np.float64) @ self.capacity_coef + self.capacity_intercept))
        )
        expected_r = 1 / (
            1 + np.exp(-(probe.astype(np.float64) @ self.runtime_coef + self.runtime_intercept))
        )
        if not (np.allclose(capacity, expected_c, atol=1e-4) and np.allclose(runtime, expected_r, atol=1e-4)):
            raise ManifestError(
                f"models: {self.name}: graph and metadata coefficients disagree; rebuild the model"
            )

    def raw_scores(self, features: FloatMatrix) -> tuple[Vector, Vector]:
        """One onnxruntime call for the whole batch; scores as float64 vectors in [0, 1]."""
        if features.shape[0] == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        capacity, runtime = self._session.run([CAPACITY, RUNTIME], {INPUT: features})
        both = np.concatenate((capacity, runtime), axis=1).astype(np.float64)
        if not np.isfinite(both).all():  # cannot happen with finite features; if it does, assume the worst
            both = np.nan_to_num(both, nan=1.0, posinf=1.0, neginf=0.0)
        np.clip(both, 0.0, 1.0, out=both)
        return both[:, 0], both[:, 1]

    def scores(self, features: FloatMatrix, risk_multiplier: float = 1.0) -> tuple[Vector, Vector]:
        capacity, runtime = self.raw_scores(features)
        return apply_risk_multiplier(capacity, risk_multiplier), apply_risk_multiplier(
            runtime, risk_multiplier
        )

    def in_distribution(self, features: FloatMatrix) -> Vector:
        """Per row, ``exp(−2 · Σ excess)`` over the training ranges (1.0 inside them)."""
        x = features.astype(np.float64)
        width = np.maximum(self.high - self.low, MIN_RANGE)
        above = np.where(RAISES_RISK, 0.0, x - self.high)
        excess = np.maximum(0.0, np.maximum(self.low - x, above)) / width
        return np.asarray(np.exp(-EXCESS_WEIGHT * excess.sum(axis=1)), dtype=np.float64)

    def top_features(self, features: FloatMatrix, count: int = 3) -> list[list[FeatureContribution]]:
        """Per row, the features that moved the capacity logit most from the training mean (signed shares)."""
        delta = self.capacity_coef * (features.astype(np.float64) - self.mean)
        order = np.argsort(-np.abs(delta), axis=1, kind="stable")[:, :count]
        return [
            [
                FeatureContribution(name=FEATURE_NAMES[i], weight=round(float(row[i]), 6))
                for i in top
                if math.isfinite(row[i]) and abs(row[i]) > 1e-9
            ]
            for row, top in zip(delta, order, strict=True)
        ]
