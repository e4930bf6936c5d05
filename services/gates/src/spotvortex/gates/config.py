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

    ``min_move_nodes``: a move towards spot must be worth at least this many whole nodes (its drain count
    is rounded down, so it never overshoots the target), and a target a fraction of a node away is not
    chased back and forth; within that distance of its approved target a pool counts as arrived and its
    steering is released. ``savings_margin``: an increase is approved only if what it saves over the reversal dwell
    (the least time the new share stands) is at least this multiple of what it costs to make: the
    replacement node running beside the drained one for ``replacement_overlap_seconds`` plus
    ``disruption_cost_per_pod_usd`` for every pod restarted. ``pdb_precheck``: a move needs nodes a drain
    can start on now (no exhausted PDB, no ``do-not-disrupt``); its allowance is capped by their number.
    ``interruption_fast_path``: spot nodes with an interruption notice are drained at once (an urgent
    verdict), whatever the policy proposed and past cooldown, dwell and budgets — the nodes are going away
    in two minutes either way; evictions still go through the Eviction API, so PDBs still hold.
    """

    enabled: bool = True
    confidence_floor: Share = 0.5
    risk_override_threshold: Share = 0.85
    max_telemetry_age_seconds: Seconds = 180.0
    cooldown_seconds: Seconds = 600.0
    reversal_dwell_seconds: Seconds = 3600.0
    min_move_nodes: Annotated[float, msgspec.Meta(ge=0.0)] = 1.0
    savings_margin: Annotated[float, msgspec.Meta(ge=0.0)] = 1.0
    disruption_cost_per_pod_usd: Annotated[float, msgspec.Meta(ge=0.0)] = 0.02
    replacement_overlap_seconds: Seconds = 300.0
    pdb_precheck: bool = True
    interruption_fast_path: bool = True
    min_spot_share: Share = 0.0
    max_spot_share: Share = 1.0
    on_demand_floor_nodes: Annotated[int, msgspec.Meta(ge=0)] = 0
    pool_drain_fraction: Share = 0.2
    pool_drains_per_hour_fraction: Share = 0.5
    cluster_drain_fraction: Share = 0.1
    cluster_drains_per_hour_fraction: Share = 0.2
    drain_timeout_seconds: Seconds = 900.0
    respect_karpenter_budgets: bool = True
    karpenter_budget_reason: str = "Underutilized"


class GatesSettings(ServiceSettings, frozen=True, kw_only=True):
    gates: GateConfig = GateConfig()
