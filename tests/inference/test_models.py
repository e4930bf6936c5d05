"""The model runners: batch shapes, score ranges, confidence, top inputs, the q-model's choices, the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spotvortex.contracts import Action
from spotvortex.inference import Models, default_models_dir
from spotvortex.inference.features import FEATURE_NAMES, FEATURE_SPEC_VERSION, N_FEATURES, STEPS
from spotvortex.inference.risk import RiskModel
from spotvortex.inference.rl import N_STATE, RL_STATE_NAMES, choose, preference_clarity


@pytest.mark.parametrize("batch", [1, 7, 256])
def test_a_batch_of_n_gives_n_scores_in_the_unit_interval(models: Models, batch: int) -> None:
    x = np.random.default_rng(batch).uniform(-1.5, 2.0, size=(batch, STEPS, N_FEATURES)).astype(np.float32)
    out = models.risk.assess(x)
    assert out.capacity.shape == out.runtime.shape == out.in_distribution.shape == (batch,)
    assert np.all((out.capacity >= 0) & (out.capacity <= 1))
    assert np.all((out.runtime >= 0) & (out.runtime <= 1))
    assert np.all((out.in_distribution > 0) & (out.in_distribution <= 1))
    assert len(out.top_features) == batch
    assert all(0 < len(top) <= 3 for top in out.top_features)
    q = models.rl.q_values(np.clip(x[:, -1, :N_STATE], 0, 1)) if models.rl else None
    assert q is not None
    assert q.shape == (batch, len(Action))


def test_an_empty_batch_is_fine(models: Models) -> None:
    out = models.risk.assess(np.zeros((0, STEPS, N_FEATURES), dtype=np.float32))
    assert out.capacity.shape == out.runtime.shape == (0,)


def test_rows_of_a_batch_are_scored_independently(models: Models) -> None:
    x = np.random.default_rng(3).random((20, STEPS, N_FEATURES), dtype=np.float32)
    together = models.risk.assess(x)
    alone = [models.risk.assess(x[i : i + 1]) for i in range(20)]
    assert np.allclose(together.capacity, [a.capacity[0] for a in alone], atol=1e-6)
    assert not np.allclose(together.capacity, together.runtime)


def test_top_features_are_the_largest_shares_of_the_decision(models: Models) -> None:
    weights = np.array([[0.05, 0.5, 0.1, 0.35] + [0.0] * (N_FEATURES - 4)])
    (top,) = RiskModel.top_features(weights)
    assert [c.name for c in top] == [FEATURE_NAMES[1], FEATURE_NAMES[3], FEATURE_NAMES[2]]
    assert top[0].weight == 0.5


def test_in_distribution_confidence(models: Models) -> None:
    r = models.risk
    assert isinstance(r, RiskModel)
    inside = np.broadcast_to((r.low + r.high) / 2, (STEPS, N_FEATURES)).astype(np.float32)[None].copy()
    assert r.in_distribution(inside)[0] == 1.0
    observed = FEATURE_NAMES.index("observed")
    odd = inside.copy()
    odd[0, 3, observed] = r.low[observed] - max(r.high[observed] - r.low[observed], 0.05)  # a range below
    assert r.in_distribution(odd)[0] == pytest.approx(np.exp(-2.0), rel=1e-3)
    alarming = inside.copy()
    band = FEATURE_NAMES.index("advisor_band")
    alarming[0, :, band] = r.high[band] + 1.0  # worse than any band seen: the model errs on the safe side
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


def test_the_manifest_records_what_the_risk_model_was_trained_for(models: Models) -> None:
    """Horizons, feature spec and the validation metrics travel with the bundle, and agree with the model."""
    document = json.loads((default_models_dir() / "MODEL_MANIFEST.json").read_text())
    assert document["feature_spec_version"] == FEATURE_SPEC_VERSION
    r = models.risk
    assert isinstance(r, RiskModel)
    assert document["horizons_seconds"] == r.horizons == {"capacity": 3600, "runtime": 21600}
    entry = document["artifacts"]["risk_model.onnx"]
    assert entry["kind"] == r.kind
    for head in ("capacity", "runtime"):
        shipped = document["metrics"]["risk_validation"][head]
        baseline = entry["training"]["calibration_scores"]["persistence"][head]
        assert 0.5 < shipped["roc_auc"] <= 1.0
        assert shipped["brier"] < 0.25
        assert baseline["brier"] > 0
    assert set(document["training_data"]) == {
        "spot_availability_traces_2023-02.csv.gz",
        "spot_prices_us-east-1_2021-03_2021-04.csv.gz",
        "ondemand_prices_us-east-1.csv",
        "spot_advisor_2025-06.json",
    }
