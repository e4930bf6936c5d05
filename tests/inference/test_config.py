"""The runtime config (the earlier runtime.json keys) and the service settings around it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from spotvortex.inference import RuntimeConfig, load_runtime_config
from spotvortex.inference.buckets import FALLBACK_POINTS, load_bounds
from spotvortex.inference.config import FeatureBuckets
from spotvortex.inference.params import compile_params
from spotvortex.inference.settings import InferenceConfig, InferenceSettings
from spotvortex.runtime.config import load_settings
from spotvortex.runtime.errors import ConfigError

# the runtime.json the earlier project shipped, verbatim
SHIPPED_RUNTIME_JSON = {
    "risk_multiplier": 1.0,
    "min_spot_ratio": 0.167,
    "max_spot_ratio": 1.0,
    "target_spot_ratio": 0.5,
    "step_minutes": 10,
    "policy_mode": "deterministic",
    "deterministic_policy": {
        "emergency_risk_threshold": 0.891,
        "runtime_emergency_threshold": 0.865,
        "high_risk_threshold": 0.782,
        "medium_risk_threshold": 0.58,
        "min_savings_ratio_for_increase": 0.249,
        "max_payback_hours_for_increase": 6.372,
        "ood_mode": "conservative",
        "ood_max_risk_for_increase": 0.189,
        "ood_min_savings_ratio_for_increase": 0.334,
        "ood_max_payback_hours_for_increase": 2.189,
        "target_spot_ratio_drift_alpha": 0.1,
        "priority_cap_rules": [
            {"threshold": 0.9, "max_spot_ratio": 0.2},
            {"threshold": 0.7, "max_spot_ratio": 0.5},
            {"threshold": 0.45, "max_spot_ratio": 0.8},
        ],
        "outage_penalty_cap_rules": [
            {"threshold": 96.0, "max_spot_ratio": 0.1},
            {"threshold": 48.0, "max_spot_ratio": 0.2},
            {"threshold": 24.0, "max_spot_ratio": 0.3},
            {"threshold": 10.0, "max_spot_ratio": 0.5},
        ],
        "startup_time_cap_rules": [
            {"threshold": 600.0, "max_spot_ratio": 0.2},
            {"threshold": 300.0, "max_spot_ratio": 0.3},
            {"threshold": 120.0, "max_spot_ratio": 0.5},
        ],
        "migration_cost_cap_rules": [
            {"threshold": 8.0, "max_spot_ratio": 0.2},
            {"threshold": 5.0, "max_spot_ratio": 0.3},
            {"threshold": 2.0, "max_spot_ratio": 0.6},
        ],
        "utilization_cap_rules": [{"threshold": 0.95, "max_spot_ratio": 0.7}],
        "feature_buckets": {"source": "config/workload_distributions.yaml"},
    },
}


def test_defaults_are_the_shipped_runtime_json(tmp_path: Path) -> None:
    path = tmp_path / "runtime.json"
    path.write_text(json.dumps(SHIPPED_RUNTIME_JSON))
    loaded = load_runtime_config(path)
    assert compile_params(loaded) == dataclasses.replace(compile_params(RuntimeConfig()), config=loaded)
    assert loaded.shadow_enabled  # absent ⇒ on in deterministic mode
    bounds = compile_params(RuntimeConfig()).bounds
    assert bounds.pod_startup_time == (3.0, 500.0)
    assert bounds.outage_penalty_hours == (0.3, 66.9)
    assert bounds.priority_score == (0.0, 1.0)
    assert bounds.cluster_utilization == (0.32, 0.99)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"medium_risk": 0.5}, "unknown field `medium_risk`"),
        ({"deterministic_policy": {"high_risk_threshold": 1.5}}, "high_risk_threshold"),
        ({"risk_multiplier": 0}, "risk_multiplier"),
        ({"policy_mode": "bandit"}, "policy_mode"),
        ({"policy_mode": "rl", "rl_shadow_enabled": True}, "rl_shadow_enabled"),
    ],
)
def test_bad_values_are_errors_that_name_the_key(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    path = tmp_path / "runtime.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        load_runtime_config(path)


def test_yaml_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "runtime.yaml"
    path.write_text("policy_mode: rl\ndeterministic_policy:\n  medium_risk_threshold: 0.4\n")
    loaded = load_runtime_config(path)
    assert loaded.policy_mode == "rl"
    assert not loaded.shadow_enabled
    assert loaded.deterministic_policy.medium_risk_threshold == 0.4
    with pytest.raises(ConfigError, match="does not exist"):
        load_runtime_config(tmp_path / "absent.json")


def test_bucket_sources(tmp_path: Path) -> None:
    bounds_file = tmp_path / "dist.yaml"
    bounds_file.write_text(
        "workload_profile_bounds:\n  overall:\n"
        "    pod_startup_time: {min: 1, p50: 20, max: 900}\n"
        "    outage_penalty_hours: {min: 0.1, max: 80}\n"
        "    cluster_utilization_typical: {min: 0.2, max: 1.0}\n"
    )
    runtime = tmp_path / "runtime.json"
    runtime.write_text(json.dumps({"deterministic_policy": {"feature_buckets": {"source": "dist.yaml"}}}))
    bounds = compile_params(load_runtime_config(runtime)).bounds  # relative to the runtime file
    assert (bounds.pod_startup_time, bounds.cluster_utilization) == ((1.0, 900.0), (0.2, 1.0))
    inline = load_bounds(FeatureBuckets(cluster_utilization=(0.1, 0.5, 0.9)))
    assert inline.cluster_utilization == (0.1, 0.9)
    too_short = load_bounds(FeatureBuckets(outage_penalty_hours=(4.0,)))
    assert too_short.pod_startup_time == (
        FALLBACK_POINTS["pod_startup_time"][0],
        FALLBACK_POINTS["pod_startup_time"][-1],
    )
    with pytest.raises(ConfigError, match=r"feature_buckets.source"):
        load_bounds(FeatureBuckets(source=str(tmp_path / "nowhere.yaml")))


def test_settings_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "inference.yaml"
    config.write_text("cluster: prod\ninference:\n  runtime:\n    max_spot_ratio: 0.5\n")
    settings = load_settings(
        InferenceSettings,
        config,
        env={
            "SPOTVORTEX_INFERENCE__RUNTIME__DETERMINISTIC_POLICY__MEDIUM_RISK_THRESHOLD": "0.4",
            "SPOTVORTEX_INFERENCE__SUPPORTED_INSTANCE_FAMILIES": "m5,c6i.*",
        },
    )
    section = settings.inference
    assert section.runtime.max_spot_ratio == 0.5
    assert section.runtime.deterministic_policy.medium_risk_threshold == 0.4
    assert section.supported_instance_families == ["m5", "c6i.*"]
    with pytest.raises(ConfigError, match=r"inference.runtime.policy_mode"):
        load_settings(InferenceSettings, env={"SPOTVORTEX_INFERENCE__RUNTIME__POLICY_MODE": "bandit"})


def test_a_runtime_file_replaces_the_section(tmp_path: Path) -> None:
    path = tmp_path / "runtime.json"
    path.write_text(json.dumps({"min_spot_ratio": 0.0}))
    section = InferenceConfig(runtime_config_path=str(path), runtime=RuntimeConfig(min_spot_ratio=0.3))
    assert section.runtime_config().min_spot_ratio == 0.0
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be parsed"):
        InferenceConfig(runtime_config_path=str(path)).runtime_config()
