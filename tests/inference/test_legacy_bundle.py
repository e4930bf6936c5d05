"""The earlier implementation's bundle served behind our protocols (upstream-spec §2.7, §2.8, §2.10, §8.4).

The encoders are checked on hand-computed examples without the bundle; everything that runs the bundle skips
when it is not beside the checkout (it is never copied into the repository).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from spotvortex.contracts import Action, MarketSeries, PolicySource, PricePoint
from spotvortex.inference import ManifestError, Models, RuntimeConfig, decide_batch, load_models
from spotvortex.inference.legacy import (
    CONTRACT_HISTORY,
    CONTRACT_ON_DEMAND,
    CONTRACT_SPOT,
    CONTRACT_TIME,
    LegacyQModel,
    LegacyRiskModel,
    extract_score,
    legacy_history,
    legacy_state,
    legacy_window,
    sample_std,
    window_from_history,
)
from spotvortex.inference.manifest import ArtifactEntry, external_references, inferred_role, verify
from spotvortex.inference.rl import StateInputs

from .builders import NOW, series, telemetry

UPSTREAM = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "upstream-bundle"
RL_DATA = "rl_value_dense_q90_strict_seed42.onnx.data"
needs_bundle = pytest.mark.skipif(
    not (UPSTREAM / "MODEL_MANIFEST.json").is_file(), reason=f"the earlier bundle is not at {UPSTREAM}"
)

SATURDAY = datetime(2026, 3, 7, 13, 30, tzinfo=UTC)


# --- pure encoders (no bundle) ---------------------------------------------------------------------------------


def test_history_ends_with_the_current_price_and_keeps_the_last_twelve() -> None:
    points = [
        PricePoint(time=SATURDAY - timedelta(hours=3), spot_price=0.30),
        PricePoint(time=SATURDAY - timedelta(hours=2), spot_price=0.32),
        PricePoint(time=SATURDAY - timedelta(hours=1), spot_price=0.35),
        PricePoint(time=SATURDAY + timedelta(minutes=1), spot_price=9.0),  # after the snapshot: unknown then
    ]
    assert legacy_history(points, 0.35, SATURDAY) == [0.30, 0.32, 0.35]  # the last change is the price now
    assert legacy_history(points, 0.36, SATURDAY) == [0.30, 0.32, 0.35, 0.36]
    assert legacy_history([], 0.4, SATURDAY) == [0.4]
    many = [PricePoint(time=SATURDAY - timedelta(minutes=20 - i), spot_price=float(i)) for i in range(20)]
    assert legacy_history(many, 19.0, SATURDAY) == [float(i) for i in range(8, 20)]


def test_the_window_matches_the_feature_table_on_a_hand_computed_example() -> None:
    """§2.7: [0.30, 0.32, 0.35] left-padded with the current 0.35 to h = [0.35 × 9, 0.30, 0.32, 0.35]."""
    at = datetime(2026, 3, 2, 11, 59, 55, tzinfo=UTC)  # a Monday: Sunday-first day 1, not a weekend
    s = MarketSeries(
        instance_type="m5.large",
        zone="us-east-1a",
        on_demand_price=1.0,
        spot_price=0.35,
        prices=[
            PricePoint(time=at - timedelta(hours=h), spot_price=p)
            for h, p in ((3, 0.30), (2, 0.32), (1, 0.35))
        ],
    )
    window = legacy_window(s, at)
    assert len(window) == 12
    assert all(len(row) == 10 for row in window)
    hour = 11 / 24
    assert window[0] == pytest.approx([0.35, 1.0, 0.35, 0.35, 0.0, hour, 1 / 7, 0.0, -11.0, 12.0])
    # t = 9: the first real point; lag 1 and lag 3 are padding; std of nine 0.35 and one 0.30 = sqrt(0.00225/9)
    assert window[9] == pytest.approx(
        [0.30, 1.0, 0.35, 0.35, 0.0158114, hour, 1 / 7, 0.0, -2.0, 12.0], abs=1e-6
    )
    # t = 11: lag 1 = h[10] = 0.32, lag 3 = h[8] = 0.35; std over all twelve = sqrt(0.0028667/11)
    assert window[11] == pytest.approx(
        [0.35, 1.0, 0.32, 0.35, 0.0161433, hour, 1 / 7, 0.0, 0.0, 12.0], abs=1e-6
    )


def test_lags_before_the_third_step_use_the_step_itself() -> None:
    """§2.7: price_lag_3 is h[t] for t < 3 (not h[0]); price_lag_1 is h[0] at t = 0."""
    history = [float(i) for i in range(1, 13)]
    window = window_from_history(history, 12.0, 20.0, SATURDAY)
    assert [row[0] for row in window] == history
    assert [row[2] for row in window] == [1.0, *history[:-1]]
    assert [row[3] for row in window] == [1.0, 2.0, 3.0, *history[:-3]]
    assert window[1][4] == pytest.approx(0.7071068)  # sample std of [1, 2]
    # Saturday 13:30 UTC: hour 13/24, Sunday-first day 6, weekend
    assert window[5][5:8] == pytest.approx([13 / 24, 6 / 7, 1.0])
    sunday = window_from_history(history, 12.0, 20.0, SATURDAY + timedelta(days=1))
    assert sunday[0][6:8] == [0.0, 1.0]


def test_the_contract_window_uses_the_snapshot_time_in_utc() -> None:
    window = window_from_history(CONTRACT_HISTORY, CONTRACT_SPOT, CONTRACT_ON_DEMAND, CONTRACT_TIME)
    assert datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC) == CONTRACT_TIME  # a Tuesday
    assert window[0][5:8] == pytest.approx([22 / 24, 2 / 7, 0.0])
    assert [row[0] for row in window] == list(CONTRACT_HISTORY)  # twelve points: no padding
    assert sample_std([0.1]) == 0.0
    assert sample_std([1.0, 2.0, 3.0]) == pytest.approx(1.0)


def _state(**changes: object) -> StateInputs:
    values: dict[str, object] = {
        "spot_price_ratio": 0.36,
        "price_volatility": 0.1,
        "capacity_score": 0.2,
        "runtime_score": 0.3,
        "pod_startup_seconds": 150.0,
        "migration_cost_usd": 2.5,
        "utilisation": 0.6,
        "outage_penalty_hours": 4.0,
        "priority_score": 0.7,
        "current_spot_ratio": 0.5,
        "effective_cap": 0.9,
        "recovery_risk": 0.1,
        "out_of_distribution": False,
        "spot_price_usd": 0.035,
        "on_demand_price_usd": 0.096,
        "target_spot_ratio": 0.8,
        "price_history_usd": (0.03, 0.04, 0.05),
    }
    values.update(changes)
    return StateInputs(**values)  # type: ignore[arg-type]


def test_the_state_matches_the_table_on_a_hand_computed_example() -> None:
    """§2.10 in order; std of (0.03, 0.04, 0.05) with n − 1 is 0.01; time since migration is unknown → 0."""
    assert legacy_state(_state()) == pytest.approx(
        [0.00035, 0.00096, 0.01, 0.2, 0.3, 0.5, 0.25, 0.6, 0.0, 0.4, 1.0, 0.5, 0.8]
    )


def test_the_state_is_clipped_and_is_spot_means_mostly_spot() -> None:
    state = legacy_state(
        _state(
            pod_startup_seconds=900.0,
            migration_cost_usd=-1.0,
            outage_penalty_hours=30.0,
            current_spot_ratio=0.49,
            spot_price_usd=250.0,
            price_history_usd=(100.0,) * 8 + (0.2,) * 12,  # only the last twelve count
        )
    )
    assert state[0] == 1.0
    assert state[2] == pytest.approx(0.0, abs=1e-12)
    assert state[5] == 1.0
    assert state[6] == 0.0
    assert state[9] == 1.0
    assert state[10] == 0.0
    assert state[11] == 0.49
    assert all(0.0 <= v <= 1.0 for v in state)
    assert legacy_state(_state(price_history_usd=()))[2] == 0.0


def test_scores_are_extracted_by_the_documented_rules() -> None:
    """§2.8: [B, H, Q] → step min(6, H − 1) and quantile Q/2; [B, W] → element W/2; else element 0."""
    assert extract_score(np.array([[0.25]])) == 0.25
    assert extract_score(np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])) == 0.3
    steps = np.arange(8 * 3, dtype=np.float64).reshape(1, 8, 3)
    assert extract_score(steps) == steps[0, 6, 1]
    short = np.arange(3 * 4, dtype=np.float64).reshape(1, 3, 4)
    assert extract_score(short) == short[0, 2, 2]
    assert extract_score(np.array([0.7])) == 0.7


def test_roles_of_an_earlier_manifest_are_inferred_from_the_names() -> None:
    def role(name: str) -> str | None:
        return inferred_role(name, ArtifactEntry(path=name, sha256="0"))

    assert role("tft.onnx") == "risk"
    assert role("tft_value_dense.onnx") == "risk"
    assert role("rl_policy.onnx") == "rl"
    for data in ("tft.onnx.data", "rl_policy.onnx.data", RL_DATA):
        assert role(data) == "external-data"
    assert role("notes.txt") is None


def test_external_references_are_read_from_the_wire_format() -> None:
    entry = b"\n\x08location\x12\x0bweights.bin"
    model = b"\x08\x07" + entry + b"\x12\x03abc" + entry + b"\n\x08location\x12\x05x.dat"
    assert external_references(model) == ("weights.bin", "x.dat")
    assert external_references(b"no references") == ()


# --- the bundle itself -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy() -> Models:
    if not (UPSTREAM / "MODEL_MANIFEST.json").is_file():
        pytest.skip(f"the earlier bundle is not at {UPSTREAM}")
    return load_models(UPSTREAM)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the earlier bundle to tamper with."""
    if not (UPSTREAM / "MODEL_MANIFEST.json").is_file():
        pytest.skip(f"the earlier bundle is not at {UPSTREAM}")
    target = tmp_path / "upstream"
    target.mkdir()
    for path in UPSTREAM.iterdir():
        shutil.copyfile(path, target / path.name)
    return target


@needs_bundle
def test_the_earlier_bundle_loads_through_load_models(legacy: Models) -> None:
    assert isinstance(legacy.risk, LegacyRiskModel)
    assert isinstance(legacy.rl, LegacyQModel)
    assert legacy.risk.kind == "upstream-tft-mlp"
    assert legacy.risk.version == "upstream-tft-mlp+sha256:ee81a39483df"
    assert legacy.rl.kind == "upstream-dueling-dqn"
    assert legacy.cloud == "aws"
    assert legacy.scope.supports("m5.large")
    assert not legacy.scope.supports("x2gd.large")


@needs_bundle
def test_the_rl_graph_gets_the_file_it_references_from_its_own_verified_entry() -> None:
    bundle = verify(UPSTREAM)
    assert list(bundle.risk.external) == ["tft.onnx.data"]
    assert bundle.rl is not None
    assert list(bundle.rl.external) == [RL_DATA]
    assert bundle.rl.external[RL_DATA] == (UPSTREAM / RL_DATA).read_bytes()


@needs_bundle
def test_the_contract_state_scores_as_documented(legacy: Models) -> None:
    """§2.8: the earlier startup contract state scores capacity 0.0755 and runtime 0.0891."""
    window = window_from_history(CONTRACT_HISTORY, CONTRACT_SPOT, CONTRACT_ON_DEMAND, CONTRACT_TIME)
    out = legacy.risk.assess(legacy.risk.stack([window]))
    assert out.capacity[0] == pytest.approx(0.0755, abs=5e-5)
    assert out.runtime[0] == pytest.approx(0.0891, abs=5e-5)
    assert out.in_distribution.tolist() == [1.0]
    assert out.top_features == [[]]


@needs_bundle
def test_a_batch_scores_row_by_row_like_single_rows(legacy: Models) -> None:
    rng = np.random.default_rng(7)
    windows = [
        window_from_history(list(rng.uniform(0.02, 0.5, 12)), 0.1, 0.5, CONTRACT_TIME + timedelta(hours=i))
        for i in range(4)
    ]
    batch = legacy.risk.assess(legacy.risk.stack(windows))
    for i, w in enumerate(windows):
        alone = legacy.risk.assess(legacy.risk.stack([w]))
        assert batch.capacity[i] == pytest.approx(alone.capacity[0])
        assert batch.runtime[i] == pytest.approx(alone.runtime[0])
    empty = legacy.risk.assess(np.zeros((0, 12, 10), dtype=np.float32))
    assert empty.capacity.shape == (0,)
    assert legacy.rl is not None
    states = np.asarray(
        [legacy_state(_state()), legacy_state(_state(current_spot_ratio=0.1))], dtype=np.float32
    )
    q = legacy.rl.q_values(states)
    assert q.shape == (2, 6)
    assert np.allclose(q[1], legacy.rl.q_values(states[1:])[0], atol=1e-6)


@needs_bundle
def test_decide_batch_runs_on_the_earlier_bundle(legacy: Models) -> None:
    pools = [
        telemetry("web"),
        telemetry("api", current_spot_ratio=0.9, market=[series(spot=0.05)]),
        telemetry("gpu", instance_types=["x2gd.large"], dominant_instance_type="x2gd.large"),
        telemetry("bare", market=[]),
    ]
    outcomes = decide_batch(pools, NOW, RuntimeConfig(), legacy)
    assert [o.action.pool for o in outcomes] == ["web", "api", "gpu", "bare"]
    web, api, gpu, bare = outcomes
    for o in (web, api):
        assert o.risk.model_version == legacy.risk.version
        assert 0.0 < o.risk.capacity_score < 0.2  # the earlier model never scores high (§2.8)
        assert o.risk.top_features == []
        assert o.action.policy is PolicySource.DETERMINISTIC
        assert o.action.q_values is not None
        assert len(o.action.q_values) == 6
        assert o.action.shadow_action is not None
    assert web.risk.confidence == pytest.approx(web.action.details["data_quality"])
    assert gpu.action.action is Action.EMERGENCY_EXIT
    assert bare.action.reason == "missing_market_data"

    rl = load_models(UPSTREAM, require_rl=True)
    (decided,) = decide_batch([telemetry("web")], NOW, RuntimeConfig(policy_mode="rl"), rl)
    assert decided.action.policy is PolicySource.RL
    assert decided.action.model_version == f"{rl.risk.version};{rl.rl.version if rl.rl else ''}"
    assert decided.action.shadow_action is web.action.action


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_tampered_rl_data_file_is_refused_naming_it(copy: Path) -> None:
    _flip_last_byte(copy / RL_DATA)
    with pytest.raises(ManifestError, match=rf"{RL_DATA} does not match MODEL_MANIFEST.json .*refusing"):
        load_models(copy)


def test_a_foreign_cloud_is_refused(copy: Path) -> None:
    with pytest.raises(ManifestError, match="for cloud 'aws' but this service expects 'gcp'"):
        load_models(copy, expected_cloud="gcp")


def test_a_referenced_or_sidecar_file_without_an_entry_is_refused(copy: Path) -> None:
    document = json.loads((copy / "MODEL_MANIFEST.json").read_text())
    del document["artifacts"][RL_DATA]
    (copy / "MODEL_MANIFEST.json").write_text(json.dumps(document))
    with pytest.raises(
        ManifestError, match=rf"rl_policy.onnx refers to external data '{RL_DATA}', which has no"
    ):
        load_models(copy)
    del document["artifacts"]["tft.onnx.data"]
    (copy / "MODEL_MANIFEST.json").write_text(json.dumps(document))
    with pytest.raises(ManifestError, match=r"tft.onnx.data lies beside tft.onnx but has no entry"):
        load_models(copy)


def test_a_swapped_and_rehashed_data_file_still_loads_only_its_listed_bytes(copy: Path) -> None:
    """The referenced entry, not the sidecar alias, is what onnxruntime gets: re-listing a changed file under
    its own hash is a deliberate change the manifest records."""
    _flip_last_byte(copy / "rl_policy.onnx.data")
    document = json.loads((copy / "MODEL_MANIFEST.json").read_text())
    document["artifacts"]["rl_policy.onnx.data"]["sha256"] = hashlib.sha256(
        (copy / "rl_policy.onnx.data").read_bytes()
    ).hexdigest()
    (copy / "MODEL_MANIFEST.json").write_text(json.dumps(document))
    bundle = verify(copy)
    assert bundle.rl is not None
    assert bundle.rl.external[RL_DATA] == (UPSTREAM / RL_DATA).read_bytes()
