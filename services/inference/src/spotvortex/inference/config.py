"""The runtime configuration of the policy: the keys of the earlier ``runtime.json`` (upstream-spec §8.2).

Defaults are the shipped values, so a missing file means the shipped behaviour. Differences from the earlier
reader, on purpose:

- a value out of range is an error that names the key (it was silently clamped), and an unknown key is an
  error (a typo was silently ignored);
- an explicit ``0`` is taken literally: ``max_spot_ratio: 0`` is a working kill switch (it meant "unset" ⇒ 1.0,
  upstream-spec §11 item 11), ``min_spot_ratio`` is lowered to ``max_spot_ratio`` when it is higher;
- ``policy_mode`` must be ``deterministic`` or ``rl`` (an unknown mode silently ran the rules).

Kept as specified: high ≤ emergency and medium ≤ high are enforced by lowering the smaller threshold; cap rules
are normalised (negative thresholds → 0, caps clipped to [0, 1], sorted by threshold descending with ties
smallest cap first; an empty list means the defaults); ``ood_mode`` is lower-cased and any value other than
``conservative`` switches the out-of-distribution branch off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from spotvortex.runtime.errors import ConfigError

Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
PaybackHours = Annotated[float, msgspec.Meta(ge=0.1, le=168.0)]
Bounds = tuple[float, ...]


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class CapRule(_Strict, frozen=True, kw_only=True):
    """Above ``threshold`` (inclusive) of a workload feature, the pool's spot share may not exceed the cap."""

    threshold: float
    max_spot_ratio: float


def _rules(*pairs: tuple[float, float]) -> tuple[CapRule, ...]:
    return tuple(CapRule(threshold=t, max_spot_ratio=c) for t, c in pairs)


DEFAULT_PRIORITY_CAPS = _rules((0.9, 0.2), (0.7, 0.5), (0.45, 0.8))
DEFAULT_OUTAGE_PENALTY_CAPS = _rules((96.0, 0.1), (48.0, 0.2), (24.0, 0.3), (10.0, 0.5))
DEFAULT_STARTUP_TIME_CAPS = _rules((600.0, 0.2), (300.0, 0.3), (120.0, 0.5))
DEFAULT_MIGRATION_COST_CAPS = _rules((8.0, 0.2), (5.0, 0.3), (2.0, 0.6))
DEFAULT_UTILIZATION_CAPS = _rules(
    (0.95, 0.7),
)

LEGACY_BUCKET_SOURCE = "config/workload_distributions.yaml"


class FeatureBuckets(_Strict, frozen=True, kw_only=True):
    """Where the out-of-distribution bounds come from.

    ``source`` is a workload-distributions YAML (its ``workload_profile_bounds.overall`` section); unset, or the
    earlier default ``config/workload_distributions.yaml``, means the copy shipped with this package. Inline
    lists override the file per feature; only their first and last points matter.
    """

    source: str | None = None
    pod_startup_time_seconds: Bounds | None = None
    outage_penalty_hours: Bounds | None = None
    priority_score: Bounds | None = None
    cluster_utilization: Bounds | None = None


class DeterministicPolicyConfig(_Strict, frozen=True, kw_only=True):
    emergency_risk_threshold: Share = 0.891
    runtime_emergency_threshold: Share = 0.865
    high_risk_threshold: Share = 0.782
    medium_risk_threshold: Share = 0.58
    min_savings_ratio_for_increase: Share = 0.249
    max_payback_hours_for_increase: PaybackHours = 6.372
    ood_mode: str = "conservative"
    ood_max_risk_for_increase: Share = 0.189
    ood_min_savings_ratio_for_increase: Share = 0.334
    ood_max_payback_hours_for_increase: PaybackHours = 2.189
    target_spot_ratio_drift_alpha: Share = 0.1
    priority_cap_rules: tuple[CapRule, ...] = DEFAULT_PRIORITY_CAPS
    outage_penalty_cap_rules: tuple[CapRule, ...] = DEFAULT_OUTAGE_PENALTY_CAPS
    startup_time_cap_rules: tuple[CapRule, ...] = DEFAULT_STARTUP_TIME_CAPS
    migration_cost_cap_rules: tuple[CapRule, ...] = DEFAULT_MIGRATION_COST_CAPS
    utilization_cap_rules: tuple[CapRule, ...] = DEFAULT_UTILIZATION_CAPS
    feature_buckets: FeatureBuckets = FeatureBuckets()


class RuntimeConfig(_Strict, frozen=True, kw_only=True):
    """``risk_multiplier`` k scales the odds of both scores (k > 1 is more conservative, see ``risk``).

    ``target_spot_ratio``, ``target_spot_ratio_drift_alpha`` and ``step_minutes`` are accepted for compatibility
    and unused: the drift they configured was never reachable, and the rl state no longer has a
    time-since-migration entry. ``rl_shadow_enabled`` unset means on in deterministic mode.
    """

    risk_multiplier: Annotated[float, msgspec.Meta(ge=0.1, le=10.0)] = 1.0
    min_spot_ratio: Share = 0.167
    max_spot_ratio: Share = 1.0
    target_spot_ratio: Share = 0.5
    step_minutes: Annotated[float, msgspec.Meta(ge=1.0, le=120.0)] = 10.0
    policy_mode: Literal["deterministic", "rl"] = "deterministic"
    rl_shadow_enabled: bool | None = None
    deterministic_policy: DeterministicPolicyConfig = DeterministicPolicyConfig()

    def __post_init__(self) -> None:
        if self.policy_mode == "rl" and self.rl_shadow_enabled:
            raise ValueError(
                "field `rl_shadow_enabled`: cannot be true with policy_mode rl (the rl policy has no shadow)"
            )

    @property
    def shadow_enabled(self) -> bool:
        """Whether the rl policy runs beside the rules (only in deterministic mode)."""
        return self.policy_mode == "deterministic" and self.rl_shadow_enabled is not False


def runtime_config_from(data: Any, source: str) -> RuntimeConfig:
    """Validate a parsed runtime config, turning a schema error into a :class:`ConfigError` naming the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"config error: {source} must hold a mapping of runtime config keys")
    try:
        return msgspec.convert(data, RuntimeConfig, strict=False)
    except msgspec.ValidationError as err:
        raise ConfigError(f"config error: runtime config in {source}: {err}") from None


def load_runtime_config(path: str | Path) -> RuntimeConfig:
    """Read a runtime config file (the earlier ``runtime.json``, or the same keys in YAML)."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"config error: runtime config file {path} does not exist") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"config error: runtime config file {path} cannot be parsed: {err}") from None
    config = runtime_config_from(data or {}, f"file {path}")
    buckets = config.deterministic_policy.feature_buckets
    if buckets.source and buckets.source != LEGACY_BUCKET_SOURCE and not Path(buckets.source).is_absolute():
        # a relative bucket file is found beside the runtime config that names it, not in the working directory
        located = msgspec.structs.replace(buckets, source=str(path.parent / buckets.source))
        policy = msgspec.structs.replace(config.deterministic_policy, feature_buckets=located)
        config = msgspec.structs.replace(config, deterministic_policy=policy)
    return config
