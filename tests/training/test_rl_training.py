"""The rl training pipeline at smoke size: the exported q-model loads through ``QModel`` from verified bytes, is
not a constant policy, and is reproducible; the validation comparison reports what the promotion rule needs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from training.rl.__main__ import main
from training.rl.plans import plans

from spotvortex.contracts import Action
from spotvortex.inference.manifest import ArtifactEntry, ManifestError, VerifiedModel
from spotvortex.inference.models import default_models_dir
from spotvortex.inference.rl import N_STATE, RL_STATE_NAMES, RL_STATE_VERSION, QModel
from spotvortex.sim.eval.proposers import policy_models


def verified(data: bytes, name: str = "rl_policy.onnx") -> VerifiedModel:
    entry = ArtifactEntry(path=name, sha256=hashlib.sha256(data).hexdigest(), role="rl", version="test")
    return VerifiedModel(name=name, entry=entry, data=data, external={})


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    pytest.importorskip("torch")
    from training.rl import train_rl

    out = tmp_path_factory.mktemp("rl") / "rl_smoke.onnx"
    return out, train_rl(out, smoke=True)


@pytest.fixture(scope="module")
def candidate(request: pytest.FixtureRequest) -> Path:
    """The smoke-trained q-model, or without torch the shipped one (the comparison itself needs no torch)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return default_models_dir() / "rl_policy.onnx"
    path: Path = request.getfixturevalue("smoke")[0]
    return path


@pytest.fixture(scope="module")
def comparison(candidate: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("rl-compare") / "comparison.json"
    assert main(["compare", "--model", str(candidate), "--out", str(out), "--smoke"]) == 0
    document: dict[str, Any] = json.loads(out.read_text())
    return document


# -- training ------------------------------------------------------------------------------------------------


def test_the_smoke_model_loads_through_qmodel_from_verified_bytes(smoke: tuple[Path, dict[str, Any]]) -> None:
    path, summary = smoke
    data = path.read_bytes()
    assert summary["sha256"] == hashlib.sha256(data).hexdigest()
    model = QModel(verified(data))
    for batch in (1, 7, 300):  # a dynamic batch dimension
        q = model.q_values(np.random.default_rng(batch).random((batch, N_STATE), dtype=np.float32))
        assert q.shape == (batch, len(Action))
        assert np.isfinite(q).all()
    assert summary["onnx_vs_torch_max_abs_diff_usd"] < 1e-4


def test_the_model_describes_itself_and_its_training(smoke: tuple[Path, dict[str, Any]]) -> None:
    path, summary = smoke
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    meta = json.loads(session.get_modelmeta().custom_metadata_map["spotvortex"])
    assert meta["rl_state_version"] == RL_STATE_VERSION
    assert tuple(meta["state_names"]) == RL_STATE_NAMES
    assert meta["actions"] == [a.value for a in Action]
    training = meta["training"]
    assert training == summary["training"]
    assert training["scenarios"] == ["demo"]
    assert training["rows"] == summary["collection"]["rows"] > 100
    assert 0 < training["discount"]["gamma"] < 1
    assert training["epochs"] == training["fit"]["iterations"] * training["fit"]["epochs_per_iteration"] > 0
    assert not set(training["seeds"]) & set(training["validation"]["seeds"])
    assert session.get_modelmeta().custom_metadata_map.keys() == {"spotvortex"}
    assert [o.name for o in session.get_outputs()] == ["q_values"]


def test_the_trained_policy_is_not_a_constant_one(smoke: tuple[Path, dict[str, Any]]) -> None:
    model = QModel(verified(smoke[0].read_bytes()))
    states = np.random.default_rng(0).random((2000, N_STATE), dtype=np.float32)
    greedy = model.q_values(states).argmax(axis=1)
    assert len(set(greedy.tolist())) >= 2


def test_training_is_reproducible_to_the_byte(smoke: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from training.rl import train_rl

    again = train_rl(tmp_path / "again.onnx", smoke=True)
    assert again["sha256"] == smoke[1]["sha256"]
    assert (tmp_path / "again.onnx").read_bytes() == smoke[0].read_bytes()


@pytest.mark.parametrize("smoke_plan", [True, False])
def test_training_and_validation_share_no_seed_and_no_moment(smoke_plan: bool) -> None:
    train, validation = plans(smoke_plan)
    assert not set(train.seeds) & set(validation.seeds)
    assert train.end <= validation.start or validation.end <= train.start
    assert len(train.epsilons) == len(train.seeds)


def test_the_rl_proposer_takes_a_model_file(smoke: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    models = policy_models(rl_model=smoke[0], require_rl=True)
    assert models.rl is not None
    assert models.rl.version.startswith("rl_smoke+sha256:" + smoke[1]["sha256"][:12])
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ManifestError):
        policy_models(rl_model=broken)


# -- validation ----------------------------------------------------------------------------------------------


def test_the_comparison_reports_each_policy_against_spot_first_per_seed(comparison: dict[str, Any]) -> None:
    _, validation = plans(True)
    assert [r["seed"] for r in comparison["per_seed"]] == list(validation.seeds)
    for row in comparison["per_seed"]:
        base = row["spot-first"]
        for policy in ("spotvortex", "spotvortex-rl"):
            entry = row[policy]
            expected = 100 * (base["net_cost"] - entry["net_cost"]) / base["net_cost"]
            assert entry["net_profit_improvement_pct"] == pytest.approx(expected, abs=1e-2)
            assert entry["outage_delta"] == entry["outage_events"] - base["outage_events"]
        assert row["rl_beats_deterministic"] == (
            row["spotvortex-rl"]["net_profit_improvement_pct"]
            > row["spotvortex"]["net_profit_improvement_pct"]
        )
        assert row["rl_outage_delta_le_0"] == (row["spotvortex-rl"]["outage_delta"] <= 0)


def test_the_comparison_applies_the_promotion_rule(comparison: dict[str, Any]) -> None:
    rows, promotion = comparison["per_seed"], comparison["promotion"]
    assert promotion["rl_beats_deterministic_on_every_seed"] == all(r["rl_beats_deterministic"] for r in rows)
    assert promotion["rl_outage_delta_le_0_on_every_seed"] == all(r["rl_outage_delta_le_0"] for r in rows)
    assert promotion["promote"] == (
        promotion["rl_beats_deterministic_on_every_seed"] and promotion["rl_outage_delta_le_0_on_every_seed"]
    )


def test_the_comparison_reports_shadow_agreement(comparison: dict[str, Any], candidate: Path) -> None:
    agreement = comparison["shadow_agreement"]
    for policy in ("spotvortex", "spotvortex-rl"):
        assert agreement[policy]["decisions"] > 0
        assert 0 <= agreement[policy]["share"] <= 1
    for row in comparison["per_seed"]:
        assert 0 <= row["spotvortex"]["shadow_agreement"] <= 1
    assert comparison["model_sha256"] == hashlib.sha256(candidate.read_bytes()).hexdigest()
