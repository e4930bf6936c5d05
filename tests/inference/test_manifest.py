"""Model manifest verification: nothing is served unless every loaded byte matches the manifest (§8.4, §11.31)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx.external_data_helper import convert_model_to_external_data

from spotvortex.contracts.risk_window import STEPS
from spotvortex.inference import ManifestError, default_models_dir, load_models
from spotvortex.inference.features import N_FEATURES
from spotvortex.inference.settings import InferenceConfig, InferenceSettings, preflight
from spotvortex.runtime.config import load_settings
from spotvortex.runtime.errors import ConfigError

RISK = "risk_model.onnx"
RL = "rl_policy.onnx"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A private copy of the shipped models to tamper with."""
    target = tmp_path / "models"
    target.mkdir()
    for name in ("MODEL_MANIFEST.json", RISK, RL):
        shutil.copy(default_models_dir() / name, target / name)
    return target


def manifest(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / "MODEL_MANIFEST.json").read_text())
    return loaded


def write_manifest(folder: Path, document: dict[str, Any]) -> None:
    (folder / "MODEL_MANIFEST.json").write_text(json.dumps(document))


def relist(folder: Path, name: str, **extra: Any) -> None:
    document = manifest(folder)
    entry = document["artifacts"].setdefault(name, {"path": name})
    entry["sha256"] = hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()
    entry.update(extra)
    write_manifest(folder, document)


def test_the_shipped_bundle_verifies() -> None:
    models = load_models()
    m = manifest(default_models_dir())
    assert models.risk.version == m["artifacts"][RISK]["version"]
    assert models.rl is not None
    assert models.rl.version == m["artifacts"][RL]["version"]
    assert models.cloud == "aws"
    assert m["artifacts"][RISK]["kind"] in {"compact-tft", "window-logistic"}
    for name in (RISK, RL):
        assert (default_models_dir() / name).stat().st_size < 100_000


@pytest.mark.parametrize("name", [RISK, RL])
def test_a_tampered_file_is_refused(bundle: Path, name: str) -> None:
    data = bytearray((bundle / name).read_bytes())
    data[-1] ^= 0x01
    (bundle / name).write_bytes(bytes(data))
    with pytest.raises(ManifestError, match=rf"{name} does not match MODEL_MANIFEST.json .*refusing"):
        load_models(bundle)


def test_a_missing_file_or_manifest_is_refused(bundle: Path) -> None:
    (bundle / RL).unlink()
    with pytest.raises(ManifestError, match=r"rl_policy.onnx.*is missing"):
        load_models(bundle)
    (bundle / "MODEL_MANIFEST.json").unlink()
    with pytest.raises(ManifestError, match=r"no MODEL_MANIFEST.json.*models_dir"):
        load_models(bundle)


def test_a_model_without_a_manifest_entry_is_refused(bundle: Path) -> None:
    document = manifest(bundle)
    del document["artifacts"][RISK]
    write_manifest(bundle, document)
    with pytest.raises(ManifestError, match="no artifact with role 'risk'"):
        load_models(bundle)


def test_rl_mode_needs_an_rl_model(bundle: Path) -> None:
    document = manifest(bundle)
    del document["artifacts"][RL]
    write_manifest(bundle, document)
    assert load_models(bundle).rl is None  # deterministic mode runs without it
    with pytest.raises(ManifestError, match="policy_mode rl needs an artifact with role 'rl'"):
        load_models(bundle, require_rl=True)


def test_cloud_must_match(bundle: Path) -> None:
    with pytest.raises(ManifestError, match="for cloud 'aws' but this service expects 'gcp'"):
        load_models(bundle, expected_cloud="gcp")
    assert load_models(bundle, expected_cloud="").cloud == "aws"
    document = manifest(bundle)
    del document["cloud"]  # the model_scope copy is the fallback
    write_manifest(bundle, document)
    with pytest.raises(ManifestError, match="for cloud 'aws'"):
        load_models(bundle, expected_cloud="azure")


def test_paths_stay_inside_the_models_folder(bundle: Path) -> None:
    document = manifest(bundle)
    document["artifacts"][RL]["path"] = "../elsewhere.onnx"
    write_manifest(bundle, document)
    with pytest.raises(ManifestError, match="points outside the models folder"):
        load_models(bundle)


def externalise(bundle: Path) -> None:
    model = onnx.load(str(bundle / RISK))
    convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location="risk.data", size_threshold=0
    )
    onnx.save_model(model, str(bundle / RISK))


def test_external_data_is_verified_and_loaded_from_memory(bundle: Path) -> None:
    """A model with an external-data file loads when the file is listed and matches."""
    shipped = load_models()
    externalise(bundle)
    relist(bundle, "risk.data", role="external-data")
    relist(bundle, RISK, external_data=["risk.data"])
    loaded = load_models(bundle)
    x = np.random.default_rng(1).random((7, STEPS, N_FEATURES), dtype=np.float32)
    assert np.allclose(loaded.risk.raw_scores(x)[0], shipped.risk.raw_scores(x)[0])
    data = bytearray((bundle / "risk.data").read_bytes())
    data[0] ^= 0x40
    (bundle / "risk.data").write_bytes(bytes(data))
    with pytest.raises(ManifestError, match=r"risk.data does not match"):
        load_models(bundle)


def test_unlisted_external_data_is_refused(bundle: Path) -> None:
    """§11 item 31: a model cannot pull in weights the manifest does not cover (even when the file exists)."""
    externalise(bundle)
    relist(bundle, RISK)
    with pytest.raises(ManifestError, match=r"cannot be loaded by onnxruntime.*external-data"):
        load_models(bundle)
    relist(bundle, RISK, external_data=["risk.data"])
    with pytest.raises(ManifestError, match=r"names external data 'risk.data', which has no entry"):
        load_models(bundle)


def test_a_model_for_another_feature_spec_is_refused(bundle: Path) -> None:
    model = onnx.load(str(bundle / RISK))
    meta = next(p for p in model.metadata_props if p.key == "spotvortex")
    document = json.loads(meta.value)
    document["feature_spec_version"] = "0"
    meta.value = json.dumps(document)
    onnx.save_model(model, str(bundle / RISK))
    relist(bundle, RISK)
    with pytest.raises(ManifestError, match="trained on feature spec 0, this build computes spec 2"):
        load_models(bundle)


def test_preflight_refuses_to_start_with_a_clear_error(bundle: Path) -> None:
    """``spotvortex run inference`` runs the preflight and exits with the reason (see tests/cli)."""
    (bundle / RISK).write_bytes(b"not a model")
    tampered = load_settings(InferenceSettings, env={"SPOTVORTEX_INFERENCE__MODELS_DIR": str(bundle)})
    with pytest.raises(ConfigError, match=r"config error: models: risk_model.onnx does not match"):
        preflight(tampered)
    with pytest.raises(ConfigError, match="expects 'gcp'"):
        preflight(InferenceSettings(inference=InferenceConfig(expected_cloud="gcp")))
    shipped = load_settings(InferenceSettings, env={})
    assert shipped.inference.models_dir is None
    preflight(shipped)  # the shipped bundle passes
