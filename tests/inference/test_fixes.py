"""One test per fault of the earlier implementation that inference fixes (upstream-spec §11 and §3.2).

Item 31 (every loaded byte verified, external data included) is covered in ``test_manifest``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import msgspec
import numpy as np
import pytest

from spotvortex.contracts import Action, PolicySource, PoolSafety
from spotvortex.inference import Models, RuntimeConfig, decide, decide_batch, load_runtime_config
from spotvortex.inference.features import FEATURE_NAMES, market_view, window_rows
from spotvortex.inference.params import compile_params
from spotvortex.inference.policy import ResponseMode, decide_deterministic
from spotvortex.inference.risk import apply_risk_multiplier

from .builders import NOW, SNAPSHOT, inputs, series, telemetry

SHIPPED = compile_params(RuntimeConfig())


def test_min_spot_ratio_does_not_override_a_safety_cap() -> None:
    """§11 item 11: a safety cap of 10 % is kept although min_spot_ratio is 16.7 % (it used to become 16.7 %)."""
    safety = PoolSafety(safe_max_spot_ratio=0.1)
    at_cap = decide_deterministic(inputs(current=0.1, safety=safety), SHIPPED)
    assert (at_cap.action, at_cap.reason) == (Action.HOLD, "cap_reached")
    assert at_cap.caps.effective_cap == 0.1
    over = decide_deterministic(inputs(current=0.3, safety=safety), SHIPPED)
    assert (over.action, over.reason) == (Action.DECREASE_10, "pool_safety_reduce_gradual")
    assert over.target_spot_ratio == pytest.approx(0.1)


def test_max_spot_ratio_zero_is_a_kill_switch(tmp_path: object) -> None:
    """§11 item 11: ``max_spot_ratio: 0`` in the runtime file means no spot at all (it used to mean "unset")."""
    path = tmp_path / "runtime.json"  # type: ignore[operator]
    path.write_text(json.dumps({"max_spot_ratio": 0}))
    params = compile_params(load_runtime_config(path))
    assert (params.max_spot_ratio, params.min_spot_ratio) == (0.0, 0.0)
    spot_heavy = decide_deterministic(inputs(current=0.4), params)
    assert (spot_heavy.action, spot_heavy.reason, spot_heavy.target_spot_ratio) == (
        Action.DECREASE_30,
        "pool_safety_reduce_fast",
        0.0,
    )
    no_spot = decide_deterministic(inputs(current=0.0), params)
    assert (no_spot.action, no_spot.reason) == (Action.HOLD, "cap_reached")


def test_a_pool_exactly_at_its_cap_is_a_plain_hold() -> None:
    """§3.2: a 100 % spot pool with cap 1.0 used to vote "favour on-demand" (freeze_spot) every cooldown."""
    d = decide_deterministic(inputs(current=1.0), SHIPPED)
    assert (d.action, d.reason, d.response_mode) == (Action.HOLD, "cap_reached", ResponseMode.HOLD)
    assert d.details["freeze_spot"] == 0.0
    assert d.target_spot_ratio == 1.0


def test_no_pdb_means_no_pdb_limit() -> None:
    """§11 item 10: no PDB (slack ``None``) is not a negative slack; only a real negative slack reduces fast."""
    no_pdb = PoolSafety(safe_max_spot_ratio=0.5)
    tight = PoolSafety(safe_max_spot_ratio=0.5, min_pdb_slack_if_one_node_lost=-1)
    assert (
        decide_deterministic(inputs(safety=no_pdb, current=0.6), SHIPPED).reason
        == "pool_safety_reduce_gradual"
    )
    assert (
        decide_deterministic(inputs(safety=tight, current=0.6), SHIPPED).reason == "pool_safety_reduce_fast"
    )


def test_risk_multiplier_above_one_is_more_conservative(models: Models) -> None:
    """§11 item 6: k > 1 multiplies the odds, so every score rises (the power transform lowered scores < 0.5)."""
    p = np.array([0.05, 0.1, 0.5, 0.9])
    raised = apply_risk_multiplier(p, 3.0)
    lowered = apply_risk_multiplier(p, 1 / 3)
    assert np.all(raised > p)
    assert np.all(lowered < p)
    assert raised[1] == pytest.approx(0.3 / 1.2)  # odds 1/9 × 3 = 1/3 → p = 0.25
    _, plain = decide(telemetry(), NOW, RuntimeConfig(), models)
    _, cautious = decide(telemetry(), NOW, RuntimeConfig(risk_multiplier=3.0), models)
    assert cautious.capacity_score > plain.capacity_score
    assert cautious.details["capacity_score_raw"] == plain.details["capacity_score_raw"]


def test_confidence_is_not_a_constant(models: Models) -> None:
    """§11 item 8: confidence falls when the data is thin or the market unlike anything trained on."""
    _, good = decide(telemetry(), NOW, RuntimeConfig(), models)
    _, thin = decide(telemetry(market=[series(history=[])]), NOW, RuntimeConfig(), models)
    _, odd = decide(telemetry(market=[series(spot=0.002)]), NOW, RuntimeConfig(), models)
    _, other_zones = decide(
        telemetry(zones=["us-east-1a", "us-east-1b", "us-east-1c"]), NOW, RuntimeConfig(), models
    )
    assert good.confidence == 1.0
    assert thin.confidence == pytest.approx(0.8)
    assert odd.confidence < 0.7
    assert other_zones.confidence == pytest.approx(0.6 + 0.4 / 3)


def test_one_pool_key_and_no_remembered_state(models: Models) -> None:
    """§11 items 12 and 25: a decision depends only on its snapshot (the pool name is its only key; no
    per-pool memory, no buffers), so any replica, any batch and any order give the same result."""
    pools = [telemetry(pool=f"p{i}", current_spot_ratio=i / 10) for i in range(10)]
    together = decide_batch(pools, NOW, RuntimeConfig(), models)
    alone = [decide_batch([p], NOW, RuntimeConfig(), models)[0] for p in reversed(pools)][::-1]
    assert [o.action for o in together] == [o.action for o in alone]
    assert [o.action.current_spot_ratio for o in together] == [i / 10 for i in range(10)]


def test_unsupported_family_falls_back_per_pool(models: Models) -> None:
    """§11 item 13: only the pool without a supported type is sent to on-demand; a pool mixing types is judged
    on its supported markets; others in the same batch are unaffected."""
    exotic = telemetry(
        pool="gpu",
        instance_types=["p4d.24xlarge"],
        dominant_instance_type="p4d.24xlarge",
        market=[series("p4d.24xlarge", od=32.77, spot=9.8)],
    )
    mixed = telemetry(
        pool="mixed",
        instance_types=["p4d.24xlarge", "m5.large"],
        dominant_instance_type="p4d.24xlarge",
        market=[series("p4d.24xlarge", od=32.77, spot=9.8), series()],
    )
    outcomes = decide_batch([exotic, telemetry(pool="web"), mixed], NOW, RuntimeConfig(), models)
    gpu, web, mix = (o.action for o in outcomes)
    assert (gpu.action, gpu.policy, gpu.reason) == (
        Action.EMERGENCY_EXIT,
        PolicySource.FALLBACK,
        "unsupported_instance_family",
    )
    assert outcomes[0].risk.family_supported is False
    assert outcomes[0].unsupported_families == ("p4d",)
    assert (web.policy, web.action) == (PolicySource.DETERMINISTIC, Action.INCREASE_30)
    assert mix.policy is PolicySource.DETERMINISTIC
    assert mix.details["data_quality"] == pytest.approx(0.7)  # not the dominant type's market
    assert outcomes[2].unsupported_families == ("p4d",)


def test_missing_market_data_is_a_visible_hold(models: Models) -> None:
    """§3.5: a pool without usable prices used to be skipped silently; now the gates see a HOLD."""
    risk, action = decide(telemetry(market=[]), NOW, RuntimeConfig(), models)
    assert (action.action, action.reason, action.policy, action.confidence) == (
        Action.HOLD,
        "missing_market_data",
        PolicySource.FALLBACK,
        0.0,
    )
    assert risk.confidence == 0.0
    _, zero_price = decide(telemetry(market=[series(od=0.0)]), NOW, RuntimeConfig(), models)
    assert zero_price.reason == "missing_market_data"


def test_features_follow_time_not_event_counts() -> None:
    """§11 item 22: the same price path reported with more change events, in another currency scale, or read at
    another processing time gives the same features; hour features are the snapshot's own."""
    base = telemetry(market=[series(history=[(timedelta(hours=3), 0.03), (timedelta(minutes=30), 0.035)])])
    chatty = telemetry(
        market=[
            series(
                history=[
                    (timedelta(hours=3), 0.03),
                    (timedelta(hours=2), 0.03),
                    (timedelta(minutes=50), 0.03),
                    (timedelta(minutes=30), 0.035),
                    (timedelta(minutes=10), 0.035),
                ]
            )
        ]
    )
    scaled = telemetry(
        market=[
            series(od=0.96, spot=0.35, history=[(timedelta(hours=3), 0.3), (timedelta(minutes=30), 0.35)])
        ]
    )

    def features(t: object) -> list[float]:
        view = market_view(t)  # type: ignore[arg-type]
        assert view is not None
        return window_rows(view, t)[-1]  # type: ignore[arg-type]

    assert features(chatty) == pytest.approx(features(base))
    assert features(scaled) == pytest.approx(features(base))
    later = msgspec.structs.replace(base, time=SNAPSHOT + timedelta(hours=6))
    hour = FEATURE_NAMES.index("hour_sin")
    assert features(later)[hour] != pytest.approx(features(base)[hour])
