"""Scores of a probabilistic classifier: ranking (ROC-AUC, PR-AUC), accuracy of the probabilities (Brier) and
calibration (expected calibration error, reliability curve). numpy only, so ``spotvortex models evaluate`` needs
no training stack.

ROC-AUC counts ties as half (the Mann–Whitney statistic); PR-AUC is average precision (the step-wise area, as
scikit-learn computes it, not the optimistic trapezoid); the calibration error is the example-weighted mean gap
between mean score and observed rate over ``BINS`` equal-width score bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BINS = 10
Array = npt.NDArray[np.float64]


def _as_arrays(labels: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[Array, Array]:
    y = np.asarray(labels, dtype=np.float64).ravel()
    p = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"labels and scores differ in length ({y.size} and {p.size})")
    if y.size == 0:
        raise ValueError("no examples to score")
    return y, p


def roc_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float | None:
    """``None`` when only one class is present (the area is undefined)."""
    y, p = _as_arrays(labels, scores)
    positives = float(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    sorted_p = p[order]
    ranks = np.empty(y.size, dtype=np.float64)
    i = 0
    while i < y.size:  # average ranks over ties
        j = i
        while j + 1 < y.size and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float | None:
    """Average precision; ``None`` without positives."""
    y, p = _as_arrays(labels, scores)
    positives = y.sum()
    if positives == 0:
        return None
    order = np.argsort(-p, kind="mergesort")
    y_sorted, p_sorted = y[order], p[order]
    distinct = np.r_[np.flatnonzero(np.diff(p_sorted)), y.size - 1]  # last index of each score level
    true_pos = np.cumsum(y_sorted)[distinct]
    precision = true_pos / (distinct + 1)
    recall = true_pos / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    y, p = _as_arrays(labels, scores)
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class Reliability:
    """Per score bin: mean score, observed rate and example count (empty bins left out)."""

    mean_score: list[float]
    observed_rate: list[float]
    count: list[int]

    @property
    def calibration_error(self) -> float:
        total = sum(self.count)
        return float(
            sum(
                n * abs(s - o)
                for s, o, n in zip(self.mean_score, self.observed_rate, self.count, strict=True)
            )
            / total
        )


def reliability(labels: npt.ArrayLike, scores: npt.ArrayLike, bins: int = BINS) -> Reliability:
    y, p = _as_arrays(labels, scores)
    index = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    means, rates, counts = [], [], []
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        if n:
            means.append(float(p[inside].mean()))
            rates.append(float(y[inside].mean()))
            counts.append(n)
    return Reliability(means, rates, counts)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summary(labels: npt.ArrayLike, scores: npt.ArrayLike) -> dict[str, float | int | None]:
    """The report's four numbers, plus the positive rate and the example count."""
    y, p = _as_arrays(labels, scores)
    return {
        "roc_auc": _rounded(roc_auc(y, p)),
        "pr_auc": _rounded(pr_auc(y, p)),
        "brier": _rounded(brier(y, p)),
        "calibration_error": _rounded(reliability(y, p).calibration_error),
        "positive_rate": _rounded(float(y.mean())),
        "examples": int(y.size),
    }
