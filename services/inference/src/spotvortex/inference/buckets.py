"""Out-of-distribution bounds of the workload features (upstream-spec §3.3).

A pool whose pod startup time, outage penalty, priority or utilisation lies outside ``[first, last]`` of its
bucket points is out of the distribution the thresholds were tuned on, and the policy only grows its spot
share under stricter economics. Bounds are resolved once, when the configuration is compiled, never per
decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from spotvortex.inference.config import LEGACY_BUCKET_SOURCE, FeatureBuckets
from spotvortex.runtime.errors import ConfigError

PACKAGED = "workload_profile_bounds.yaml"
POINTS = ("min", "p05", "p50", "p95", "max")
# used when a bucket list has fewer than two points (as the earlier implementation did)
FALLBACK_POINTS: dict[str, tuple[float, ...]] = {
    "pod_startup_time": (0, 60, 120, 300, 600, 1200),
    "outage_penalty_hours": (0, 1, 4, 10, 24, 48, 96),
    "priority_score": (0, 0.25, 0.5, 0.75, 1),
    "cluster_utilization": (0, 0.5, 0.7, 0.85, 0.95, 1),
}
FILE_KEYS = {
    "pod_startup_time": "pod_startup_time",
    "outage_penalty_hours": "outage_penalty_hours",
    "cluster_utilization": "cluster_utilization_typical",
}


@dataclass(frozen=True)
class OodBounds:
    pod_startup_time: tuple[float, float]
    outage_penalty_hours: tuple[float, float]
    priority_score: tuple[float, float]
    cluster_utilization: tuple[float, float]

    def reasons(
        self,
        *,
        pod_startup_time: float,
        outage_penalty_hours: float,
        priority_score: float,
        cluster_utilization: float,
    ) -> tuple[str, ...]:
        """The names of the features outside their bounds, in a fixed order (empty: in distribution)."""
        values = {
            "pod_startup_time": (pod_startup_time, self.pod_startup_time),
            "outage_penalty_hours": (outage_penalty_hours, self.outage_penalty_hours),
            "priority_score": (priority_score, self.priority_score),
            "cluster_utilization": (cluster_utilization, self.cluster_utilization),
        }
        return tuple(name for name, (v, (low, high)) in values.items() if v < low or v > high)


def _read(source: str | None) -> dict[str, Any]:
    if source is None or source == LEGACY_BUCKET_SOURCE:
        text = resources.files("spotvortex.inference").joinpath("data", PACKAGED).read_text()
        where = f"packaged {PACKAGED}"
    else:
        try:
            text = Path(source).read_text()
        except FileNotFoundError:
            raise ConfigError(
                f"config error: `deterministic_policy.feature_buckets.source`: {source} does not exist"
            ) from None
        where = source
    try:
        document = yaml.safe_load(text)
        overall = document["workload_profile_bounds"]["overall"]
    except (yaml.YAMLError, KeyError, TypeError) as err:
        raise ConfigError(
            f"config error: {where} has no workload_profile_bounds.overall section ({err!r})"
        ) from None
    if not isinstance(overall, dict):
        raise ConfigError(f"config error: {where}: workload_profile_bounds.overall must be a mapping")
    return overall


def _file_points(overall: dict[str, Any], key: str) -> tuple[float, ...]:
    entry = overall.get(key)
    if not isinstance(entry, dict):
        return ()
    return tuple(float(entry[p]) for p in POINTS if isinstance(entry.get(p), int | float))


def load_bounds(buckets: FeatureBuckets) -> OodBounds:
    """Resolve the bounds: inline lists first, then the bucket file; any list under two points ⇒ all fallback."""
    overall = _read(buckets.source)
    inline = {
        "pod_startup_time": buckets.pod_startup_time_seconds,
        "outage_penalty_hours": buckets.outage_penalty_hours,
        "priority_score": buckets.priority_score,
        "cluster_utilization": buckets.cluster_utilization,
    }
    points: dict[str, tuple[float, ...]] = {}
    for name, given in inline.items():
        if given is not None:
            points[name] = tuple(given)
        elif name in FILE_KEYS:
            points[name] = _file_points(overall, FILE_KEYS[name])
        else:
            points[name] = FALLBACK_POINTS[name]
    cleaned = {name: tuple(sorted(set(p))) for name, p in points.items()}
    if any(len(p) < 2 for p in cleaned.values()):
        cleaned = dict(FALLBACK_POINTS)
    return OodBounds(**{name: (p[0], p[-1]) for name, p in cleaned.items()})
