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

    ``min_move_nodes``: a move must change the pool by at least this many nodes' worth of share, so a
    target a fraction of a node away (which a whole-node drain would overshoot) is not chased back and
    forth; within that distance of its approved target a pool counts as arrived and its steering is
    released. ``savings_margin``: an increase is approved only if what it saves over the reversal dwell
    (the least time the new share stands) is at least this multiple of what it costs to make: the
    replacement node running beside the drained one for ``replacement_overlap_seconds`` plus
    ``disruption_cost_per_pod_usd`` for every pod restarted. ``pdb_precheck``: a move needs nodes a drain
    can start on now (no exhausted PDB, no ``do-not-disrupt``); its allowance is capped by their number.
    """

    enabled: bool = True
    confidence_floor: Share = 0.5
    risk_override_threshold: Share = 0.85
    max_telemetry_age_seconds: Seconds = 180.0
    cooldown_seconds: Seconds = 600.0
    reversal_dwell_seconds: Seconds = 3600.0
    min_move_nodes: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.5
    savings_margin: Annotated[float, msgspec.Meta(ge=0.0)] = 1.0
    disruption_cost_per_pod_usd: Annotated[float, msgspec.Meta(ge=0.0)] = 0.02
    replacement_overlap_seconds: Seconds = 300.0
    pdb_precheck: bool = True
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
