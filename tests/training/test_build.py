"""``make train`` end to end on the fixtures: both stages, a manifest that verifies, the bundle loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotvortex.inference import load_models

pytest.importorskip("torch")

from training.build import build, main


def test_a_smoke_build_produces_a_bundle_that_verifies_and_loads(tmp_path: Path) -> None:
    result = build(tmp_path, smoke=True, report=False)
    document = json.loads((tmp_path / "MODEL_MANIFEST.json").read_text())
    assert document["default_policy"] in {"rl", "deterministic"}
    assert document["default_policy"] == result["default_policy"]
    assert document["artifacts"]["rl_policy.onnx"]["kind"] == "fitted-q-mlp"
    assert document["metrics"]["rl"]["promotion"]["promote"] == (document["default_policy"] == "rl")
    assert not (tmp_path / "rl_policy.onnx.candidate").exists()
    models = load_models(tmp_path, require_rl=True)
    assert models.risk.kind == document["artifacts"]["risk_model.onnx"]["kind"]
    assert models.rl is not None


def test_a_smoke_build_never_writes_the_shipped_models() -> None:
    with pytest.raises(SystemExit):
        main(["--smoke"])
