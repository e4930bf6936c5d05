"""The model runners: batch shapes, score ranges, confidence, top inputs, the q-model's choices, the manifest."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from spotvortex.contracts import Action
from spotvortex.inference import Models, default_models_dir
from spotvortex.inference.features import FEATURE_NAMES, FEATURE_SPEC_VERSION, N_FEATURES, STEPS
from spotvortex.inference.risk import RiskModel
from spotvortex.inference.rl import N_STATE, choose, preference_clarity


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


def manifest() -> dict[str, Any]:
    return dict(json.loads((default_models_dir() / "MODEL_MANIFEST.json").read_text()))


def test_the_shipped_q_model_was_trained_apart_from_its_validation(models: Models) -> None:
    training = manifest()["artifacts"]["rl_policy.onnx"]["training"]
    validation = training["validation"]
    assert not set(training["seeds"]) & set(validation["seeds"])
    assert training["window"]["end"] <= validation["start"]  # ISO 8601 UTC strings order as times
    assert training["rows"] > 10_000
    assert models.rl is not None
    states = np.random.default_rng(5).random((64, N_STATE), dtype=np.float32)
    q = models.rl.q_values(states)
    assert np.isfinite(q).all()
    assert len({choose(row) for row in q}) > 1  # it distinguishes states


def test_the_default_policy_is_the_promotion_rules_verdict() -> None:
    document = manifest()
    rl = document["metrics"]["rl"]
    earned = all(
        s["spotvortex-rl"]["net_profit_improvement_pct"] > s["spotvortex"]["net_profit_improvement_pct"]
        and s["spotvortex-rl"]["outage_delta"] <= 0
        for s in rl["per_seed"]
    )
    assert len(rl["per_seed"]) == 5
    assert rl["promotion"]["promote"] is earned
    assert document["default_policy"] == ("rl" if earned else "deterministic")


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
