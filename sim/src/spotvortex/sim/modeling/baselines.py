"""The baselines a risk model must beat, fitted on the training split only (numpy, no training stack).

- **persistence** ("recent history"): the observed rate of each label for each recent-history state of the pool:
  the share of the last half hour without capacity (none / some / all), a loss or interruption in the last hour,
  one in the last six hours. 12 states, each rate smoothed towards the overall rate.
- **advisor prior**: the observed rate per Spot Advisor band (what a band-only tool knows).
- **summary features**: the last step's features and the window means of the per-market features, the input of
  the logistic-regression candidate (``training/risk/networks.WindowLogistic``) and of its standardisation.

A fitted baseline is a small JSON document (``to_json``), so the persistence table travels in the shipped risk
model's metadata and ``spotvortex models evaluate`` scores new data against exactly the baseline of the report.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.risk_window import (
    INTERRUPTION,
    LOSS,
    N_MARKET_FEATURES,
    UNAVAILABLE,
    WINDOW_FEATURE_NAMES,
)

Array = npt.NDArray[np.float64]
Windows = npt.NDArray[np.float32]
SMOOTHING = 20.0  # pseudo-examples at the overall rate per state
BAND = WINDOW_FEATURE_NAMES.index("advisor_band")


def persistence_state(windows: Windows) -> npt.NDArray[np.int64]:
    last = windows[:, -1, :]
    missing = np.where(last[:, UNAVAILABLE] <= 0.0, 0, np.where(last[:, UNAVAILABLE] >= 1.0, 2, 1))
    events = np.maximum(windows[:, :, LOSS], windows[:, :, INTERRUPTION]) > 0
    hour = events[:, -2:].any(axis=1).astype(np.int64)
    six_hours = events.any(axis=1).astype(np.int64)
    return np.asarray(missing * 4 + hour * 2 + six_hours, dtype=np.int64)


def _rates(keys: npt.NDArray[np.int64], labels: Array, size: int) -> tuple[list[float], float]:
    overall = float(labels.mean())
    rates = []
    for k in range(size):
        inside = keys == k
        rates.append(float((labels[inside].sum() + SMOOTHING * overall) / (inside.sum() + SMOOTHING)))
    return rates, overall


def fit_persistence(windows: Windows, labels: npt.ArrayLike) -> list[float]:
    rates, _ = _rates(persistence_state(windows), np.asarray(labels, dtype=np.float64), 12)
    return [round(r, 6) for r in rates]


def predict_persistence(table: list[float], windows: Windows) -> Array:
    return np.asarray(table, dtype=np.float64)[persistence_state(windows)]


def _band_keys(windows: Windows) -> npt.NDArray[np.int64]:
    return np.asarray(np.rint(windows[:, -1, BAND] * 4), dtype=np.int64).clip(0, 4)


def fit_band_prior(windows: Windows, labels: npt.ArrayLike) -> list[float]:
    rates, _ = _rates(_band_keys(windows), np.asarray(labels, dtype=np.float64), 5)
    return [round(r, 6) for r in rates]


def predict_band_prior(table: list[float], windows: Windows) -> Array:
    return np.asarray(table, dtype=np.float64)[_band_keys(windows)]


def summary_features(windows: Windows) -> Array:
    """Last step (every feature) and the window mean of the per-market features."""
    x = windows.astype(np.float64)
    return np.concatenate([x[:, -1, :], x[:, :, :N_MARKET_FEATURES].mean(axis=1)], axis=1)
