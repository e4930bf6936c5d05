"""The model runners: batch shapes, score ranges, the q-model's choices, and a reproducible build."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from spotvortex.contracts import Action
from spotvortex.inference import Models, default_models_dir
from spotvortex.inference.features import N_FEATURES
from spotvortex.inference.rl import N_STATE, RL_STATE_NAMES, choose, preference_clarity


@pytest.mark.parametrize("batch", [1, 7, 256])
def test_a_batch_of_n_gives_n_scores_in_the_unit_interval(models: Models, batch: int) -> None:
    x = np.random.default_rng(batch).uniform(-1.5, 2.0, size=(batch, N_FEATURES)).astype(np.float32)
    capacity, runtime = models.risk.raw_scores(x)
    assert capacity.shape == runtime.shape == (batch,)
    assert np.all((capacity >= 0) & (capacity <= 1))
    assert np.all((runtime >= 0) & (runtime <= 1))
    confidence = models.risk.in_distribution(x)
    assert confidence.shape == (batch,)
    assert np.all((confidence > 0) & (confidence <= 1))
    q = models.rl.q_values(np.clip(x[:, :N_STATE], 0, 1)) if models.rl else None
    assert q is not None
    assert q.shape == (batch, len(Action))


def test_an_empty_batch_is_fine(models: Models) -> None:
    capacity, runtime = models.risk.raw_scores(np.zeros((0, N_FEATURES), dtype=np.float32))
    assert capacity.shape == runtime.shape == (0,)


def test_scores_match_the_documented_logistic_model(models: Models) -> None:
    x = np.random.default_rng(3).random((20, N_FEATURES), dtype=np.float32)
    capacity, runtime = models.risk.raw_scores(x)
    r = models.risk
    expected = 1 / (1 + np.exp(-(x.astype(np.float64) @ r.capacity_coef + r.capacity_intercept)))
    assert np.allclose(capacity, expected, atol=1e-5)
    assert not np.allclose(capacity, runtime)


def test_in_distribution_confidence(models: Models) -> None:
    r = models.risk
    inside = ((r.low + r.high) / 2).astype(np.float32)[None, :]
    assert r.in_distribution(inside)[0] == 1.0
    cheap = inside.copy()
    cheap[0, 0] = r.low[0] - (r.high[0] - r.low[0])  # a whole training range below on the first feature
    assert r.in_distribution(cheap)[0] == pytest.approx(np.exp(-2.0), rel=1e-4)
    alarming = inside.copy()
    alarming[0, 8] = r.high[8] + 1.0  # worse than any advisor band seen: the model errs on the safe side
    assert r.in_distribution(alarming)[0] == 1.0


BASE = {
    "spot_price_ratio": 0.36,
    "capacity_score": 0.12,
    "runtime_score": 0.12,
    "pod_startup_seconds": 0.1,
    "utilisation": 0.6,
    "outage_penalty_hours": 0.01,
    "priority_score": 0.3,
    "current_spot_ratio": 0.5,
    "effective_cap": 1.0,
}


@pytest.mark.parametrize(
    ("case", "changes", "expected"),
    [
        ("calm, cheap, headroom", {}, Action.INCREASE_30),
        ("calm, little headroom", {"current_spot_ratio": 0.9}, Action.INCREASE_10),
        ("at the cap", {"current_spot_ratio": 1.0}, Action.HOLD),
        ("spot barely cheaper", {"spot_price_ratio": 0.85}, Action.HOLD),
        ("costly migration", {"migration_cost_usd": 0.5}, Action.HOLD),
        (
            "recovery risk",
            {"recovery_risk": 0.7, "current_spot_ratio": 0.3, "effective_cap": 0.35},
            Action.HOLD,
        ),
        ("out of distribution", {"out_of_distribution": 1.0}, Action.INCREASE_10),
        ("medium risk", {"capacity_score": 0.65}, Action.DECREASE_10),
        ("high risk", {"capacity_score": 0.8}, Action.DECREASE_30),
        ("alarm", {"capacity_score": 0.95}, Action.EMERGENCY_EXIT),
        ("small overshoot", {"current_spot_ratio": 0.6, "effective_cap": 0.45}, Action.DECREASE_10),
        ("big overshoot", {"current_spot_ratio": 0.9, "effective_cap": 0.3}, Action.DECREASE_30),
    ],
)
def test_the_shipped_q_function_encodes_the_economics(
    models: Models, case: str, changes: dict[str, float], expected: Action
) -> None:
    state = {name: 0.0 for name in RL_STATE_NAMES} | BASE | changes
    assert models.rl is not None
    q = models.rl.q_values(np.asarray([[state[n] for n in RL_STATE_NAMES]], dtype=np.float32))[0]
    assert choose(q) is expected, case


def test_ties_go_to_the_lowest_index_and_clarity_reflects_the_margin() -> None:
    assert choose(np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])) is Action.HOLD
    assert choose(np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0])) is Action.DECREASE_10
    assert preference_clarity(np.zeros(6)) == 0.0
    assert preference_clarity(np.array([0.0, 0, 0, 5.0, 0, 0])) == pytest.approx(1.0)
    assert 0.0 < preference_clarity(np.array([0.0, 0, 0, 0.05, 0, 0])) < 0.5


def test_the_build_script_reproduces_the_committed_models() -> None:
    """Same bytes on rerun: a fresh build into a temporary folder matches the committed artifacts."""
    script = Path(default_models_dir()) / "build_models.py"
    spec = importlib.util.spec_from_file_location("build_models", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check", "--out", str(default_models_dir())]) == 0
