"""The training code keeps working: a smoke run on the shipped fixtures yields a model the service loads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from spotvortex.contracts.risk_window import N_WINDOW_FEATURES, STEPS
from spotvortex.inference.manifest import ArtifactEntry, VerifiedModel
from spotvortex.inference.risk import RiskModel
from spotvortex.sim.market.sources import fixture_files

pytest.importorskip("torch")

from training.risk.train import train_risk


def test_a_smoke_training_run_ships_a_model_the_service_loads(tmp_path: Path) -> None:
    result = train_risk(tmp_path, smoke=True, files=fixture_files(), progress=False)
    data = (tmp_path / "risk_model.onnx").read_bytes()
    entry = ArtifactEntry(path="risk_model.onnx", sha256=hashlib.sha256(data).hexdigest(), role="risk")
    model = RiskModel(VerifiedModel(name="risk_model.onnx", entry=entry, data=data, external={}))
    windows = result["predictions"]["examples"].windows
    assert windows.shape[1:] == (STEPS, N_WINDOW_FEATURES)
    out = model.assess(windows)
    assert np.all((out.capacity >= 0) & (out.capacity <= 1))
    shipped = result["predictions"]["scores"][result["kind"]][0]
    assert np.allclose(out.capacity, shipped, atol=1e-5)  # the exported graph is the trained network
    assert set(result["validation"]) == {"compact-tft", "window-logistic", "persistence", "advisor-prior"}
    for scores in result["validation"].values():
        assert scores["capacity"]["examples"] == len(windows)
    assert model.persistence["capacity"]
    assert len(model.persistence["capacity"]) == 12
