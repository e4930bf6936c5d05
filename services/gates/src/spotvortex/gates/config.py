"""The gates' rule settings: every threshold named, with the default an operator gets without a config file."""

from __future__ import annotations

from typing import Annotated

import msgspec

from spotvortex.runtime.config import ServiceSettings

Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0)]


class GateConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Thresholds of the safety rules (docs/operations.md lists them with their meaning).

    ``enabled: false`` is the global kill switch: every proposal is rejected, emergencies included, and the
    verdict says why. Drain budgets are fractions of the pool's (or cluster's) nodes, rounded up, so a
    small pool can always move one node at a time instead of never moving at all.
    """

    enabled: bool = True
    confidence_floor: Share = 0.5
    risk_override_threshold: Share = 0.85
    max_telemetry_age_seconds: Seconds = 180.0
    cooldown_seconds: Seconds = 600.0
    reversal_dwell_seconds: Seconds = 1800.0
    min_spot_share: Share = 0.0
    max_spot_share: Share = 1.0
    on_demand_floor_nodes: Annotated[int, msgspec.Meta(ge=0)] = 0
    pool_drain_fraction: Share = 0.2
    pool_drains_per_hour_fraction: Share = 0.5
    cluster_drain_fraction: Share = 0.1
    drain_timeout_seconds: Seconds = 900.0
    respect_karpenter_budgets: bool = True
    karpenter_budget_reason: str = "Underutilized"


class GatesSettings(ServiceSettings, frozen=True, kw_only=True):
    gates: GateConfig = GateConfig()
