"""``spotvortex models verify`` and ``spotvortex models evaluate``: exit codes, messages and the JSON they print."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spotvortex.cli.main import main
from spotvortex.inference.models import default_models_dir
from spotvortex.sim.market.sources import fixture_files

SHIPPED = default_models_dir()
UPSTREAM = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "upstream-bundle"
METRICS = ("roc_auc", "pr_auc", "brier", "calibration_error")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    """A copy of the shipped bundle with one byte of the risk model flipped."""
    target = tmp_path / "models"
    target.mkdir()
    manifest = json.loads((SHIPPED / "MODEL_MANIFEST.json").read_text())
    shutil.copyfile(SHIPPED / "MODEL_MANIFEST.json", target / "MODEL_MANIFEST.json")
    for entry in manifest["artifacts"].values():
        shutil.copyfile(SHIPPED / entry["path"], target / entry["path"])
    risk = next(e["path"] for e in manifest["artifacts"].values() if e.get("role") == "risk")
    data = bytearray((target / risk).read_bytes())
    data[len(data) // 2] ^= 0x01
    (target / risk).write_bytes(bytes(data))
    return target


def test_verify_passes_on_the_shipped_models(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["models", "verify"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    manifest = json.loads((SHIPPED / "MODEL_MANIFEST.json").read_text())
    assert summary["ok"] is True
    assert summary["cloud"] == "aws"
    assert summary["bundle"] == "spotvortex"
    assert summary["feature_spec_version"] == manifest["feature_spec_version"]
    assert set(summary["models"]) == {"risk", "rl"}
    for role, found in summary["models"].items():
        entry = manifest["artifacts"][found["name"]]
        assert entry["role"] == role
        assert (found["kind"], found["version"]) == (entry["kind"], entry["version"])
    files = {f["name"]: f for f in summary["files"]}
    assert set(files) == set(manifest["artifacts"])
    for name, f in files.items():
        assert f["sha256"] == hashlib.sha256((SHIPPED / f["path"]).read_bytes()).hexdigest()
        assert f["role"] == manifest["artifacts"][name]["role"]


def test_verify_refuses_a_tampered_copy_naming_the_file(
    tampered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["models", "verify", str(tampered)], capsys)
    assert code == 1
    assert out == ""
    assert "risk_model.onnx does not match MODEL_MANIFEST.json" in err


def test_verify_refuses_a_foreign_cloud_and_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["models", "verify", "--expected-cloud", "gcp"], capsys)
    assert code == 1
    assert "for cloud 'aws' but this service expects 'gcp'" in err
    code, _, err = _run(["models", "verify", str(tmp_path / "nowhere")], capsys)
    assert code == 1
    assert "no MODEL_MANIFEST.json" in err


@pytest.mark.skipif(not (UPSTREAM / "MODEL_MANIFEST.json").is_file(), reason="the earlier bundle is absent")
def test_verify_accepts_the_earlier_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["models", "verify", str(UPSTREAM)], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["bundle"] == "upstream"
    assert summary["models"]["risk"]["kind"] == "upstream-tft-mlp"
    assert summary["models"]["rl"]["kind"] == "upstream-dueling-dqn"
    roles = {f["name"]: f["role"] for f in summary["files"]}
    assert roles["tft.onnx"] == "risk"
    assert roles["rl_policy.onnx"] == "rl"
    assert roles["rl_value_dense_q90_strict_seed42.onnx.data"] == "external-data"


def test_verify_runs_as_a_command(tampered: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spotvortex.cli", "models", "verify", str(tampered)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert "risk_model.onnx does not match MODEL_MANIFEST.json" in done.stderr


def _evaluate(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return _run(["models", "evaluate", *extra], capsys)


def test_evaluate_scores_the_model_next_to_persistence_on_the_fixtures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = fixture_files()
    code, out, err = _evaluate(
        capsys,
        "--availability",
        str(files.availability),
        "--prices",
        str(files.spot_prices),
        "--advisor",
        str(files.advisor),
        "--ondemand",
        str(files.on_demand),
    )
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)  # progress went to stderr, not into the JSON
    assert "scoring" in err
    manifest = json.loads((SHIPPED / "MODEL_MANIFEST.json").read_text())
    risk = next(e for e in manifest["artifacts"].values() if e.get("role") == "risk")
    assert report["model_version"] == risk["version"]
    assert report["horizons_seconds"] == manifest["horizons_seconds"]
    assert report["examples"] > 1000
    for head in ("capacity", "runtime"):
        for scorer in ("model", "persistence"):
            found = report["heads"][head][scorer]
            assert found["examples"] == report["examples"]
            for metric in METRICS:
                assert isinstance(found[metric], float), (head, scorer, metric)
                assert 0.0 <= found[metric] <= 1.0


def test_evaluate_refuses_bad_input_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _evaluate(capsys, "--availability", str(tmp_path / "missing.csv.gz"))
    assert (code, out) == (2, "")
    assert "missing.csv.gz: no such file" in err

    garbage = tmp_path / "garbage.csv"
    garbage.write_text("a,b\n1,2\n")
    code, out, err = _evaluate(capsys, "--availability", str(garbage))
    assert (code, out) == (2, "")
    assert "cannot read availability traces" in err
    assert "garbage.csv" in err

    with gzip.open(fixture_files().availability, "rt") as source:
        head = [next(source) for _ in range(30)]
    short = tmp_path / "short.csv"
    short.write_text("".join(head))
    code, out, err = _evaluate(capsys, "--availability", str(short))
    assert (code, out) == (2, "")
    assert "too short" in err

    code, out, err = _evaluate(
        capsys, "--availability", str(short), "--prices", str(tmp_path / "no-prices.csv")
    )
    assert (code, out) == (2, "")
    assert "--prices" in err
