"""Pool telemetry: the collector's snapshot of one pool, the only input inference needs.

A pool is the unit SpotVortex steers: a Karpenter NodePool pair, an ASG pair or a managed node group.
The snapshot carries counts, utilisation, the workload profile, the pool safety vector and a market window,
so inference is stateless and any replica can serve any pool.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from spotvortex.contracts.base import AwareDatetime, Count, Event, Name, NonNegative, Probability, Share
from spotvortex.contracts.enums import Provisioner


class NodeCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Nodes of the pool by capacity type; ``ready``, ``cordoned`` and ``not_ready`` are subsets of the totals.

    ``unavailable`` counts nodes that are cordoned (or being deleted), not ready, or both, once each: what a
    drain budget subtracts, as Karpenter's does.
    """

    spot: Count = 0
    on_demand: Count = 0
    reserved: Count = 0
    spot_ready: Count = 0
    on_demand_ready: Count = 0
    cordoned: Count = 0
    not_ready: Count = 0
    unavailable: Count = 0
    interruption_pending: Count = 0
    spot_drainable: Count | None = None
    on_demand_drainable: Count | None = None
    """Nodes a drain could start on now: available, not ``do-not-disrupt``, no ``do-not-disrupt`` pod, and
    every PDB guarding their pods allows a disruption. ``None`` when the sender did not count them."""

    @property
    def total(self) -> int:
        return self.spot + self.on_demand + self.reserved


class Utilisation(msgspec.Struct, frozen=True, kw_only=True):
    """Requests over allocatable, summed over the pool's schedulable nodes."""

    cpu_requested_cores: NonNegative = 0.0
    cpu_allocatable_cores: NonNegative = 0.0
    memory_requested_bytes: NonNegative = 0.0
    memory_allocatable_bytes: NonNegative = 0.0

    @property
    def cpu(self) -> float:
        return self.cpu_requested_cores / self.cpu_allocatable_cores if self.cpu_allocatable_cores else 0.0

    @property
    def memory(self) -> float:
        if not self.memory_allocatable_bytes:
            return 0.0
        return self.memory_requested_bytes / self.memory_allocatable_bytes


class WorkloadProfile(msgspec.Struct, frozen=True, kw_only=True):
    """Request-weighted profile of the workload pods on the pool (upstream-spec §2.4)."""

    pod_startup_p95_seconds: NonNegative = 60.0
    outage_penalty_hours: NonNegative = 4.0
    max_outage_penalty_hours: NonNegative = 4.0
    priority_score: Probability = 0.5
    max_priority_score: Probability = 0.5
    has_critical_pod: bool = False
    workload_pods: Count = 0
    stateful_pods: Count = 0
    do_not_disrupt_pods: Count = 0


class PoolSafety(msgspec.Struct, frozen=True, kw_only=True):
    """The pool safety vector (upstream-spec §2.5). ``None`` slack means no PDB limits the pool."""

    restart_p95_seconds: NonNegative = 300.0
    spare_od_headroom_nodes: NonNegative = 0.0
    zone_diversification_score: Share = 1.0
    critical_service_spot_concentration: Share = 0.0
    stateful_pod_fraction: Share = 0.0
    evictable_pod_fraction: Share = 1.0
    min_pdb_slack_if_one_node_lost: int | None = None
    min_pdb_slack_if_two_nodes_lost: int | None = None
    recovery_budget_violation_risk: Probability = 0.0
    safe_max_spot_ratio: Share = 1.0


class PricePoint(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """One price change: ``[time, spot_price]`` (array form keeps windows compact on the wire)."""

    time: AwareDatetime
    spot_price: NonNegative


class AvailabilityPoint(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """One capacity report: ``[time, available]``; the state holds until the next report."""

    time: AwareDatetime
    available: bool


class MarketSeries(msgspec.Struct, frozen=True, kw_only=True):
    """The recent market of one (instance type, zone) the pool runs or may run on.

    The ``*_1h`` counters summarise the last hour; the history lists (``availability``, ``*_times``) carry the
    longer window the risk model reads (``spotvortex.contracts.risk_window.HISTORY``), oldest first.
    ``availability`` starts with the last report before that window, so the state at its start is known.
    ``observed_since`` is when the sender began watching this market: before it, the history says nothing.
    """

    instance_type: Name
    zone: Name
    on_demand_price: NonNegative
    spot_price: NonNegative
    prices: list[PricePoint] = []
    spot_available: bool = True
    placement_score: int | None = None
    interruptions_1h: Count = 0
    rebalances_1h: Count = 0
    capacity_losses_1h: Count = 0
    advisor_band: int | None = None
    availability: list[AvailabilityPoint] = []
    interruption_times: list[AwareDatetime] = []
    rebalance_times: list[AwareDatetime] = []
    observed_since: AwareDatetime | None = None


class DisruptionBudget(msgspec.Struct, frozen=True, kw_only=True):
    """One Karpenter NodePool disruption budget as written in ``spec.disruption.budgets``."""

    nodes: str = "10%"
    schedule: str | None = None
    duration: str | None = None
    reasons: list[str] | None = None


class NodePoolInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A provisioner object behind the pool (a Karpenter NodePool), as the gates and the router need it."""

    name: Name
    capacity_types: list[str] = []
    weight: int | None = None
    nodes: Count = 0
    budgets: list[DisruptionBudget] = []


class PoolFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The facts of a snapshot that travel with a proposal, so the gates judge it without a second lookup.

    ``cluster_nodes``/``cluster_draining`` size the cluster-wide drain budget; ``draining`` counts the
    pool's nodes already cordoned or marked for deletion.
    """

    telemetry_time: AwareDatetime
    provisioner: Provisioner
    nodes: NodeCounts
    nodepools: list[NodePoolInfo] = []
    cluster_nodes: Count = 0
    cluster_draining: Count = 0
    instance_types: list[str] = []
    spot_price: NonNegative = 0.0
    on_demand_price: NonNegative = 0.0
    """Hourly price of one node of the pool's dominant instance type (spot: the mean over the pool's zones);
    0 when the market does not cover it. What a move saves or costs per node-hour."""
    pods_per_node: NonNegative = 0.0
    pod_startup_seconds: NonNegative = 0.0
    noticed_nodes: list[Name] = []


class PoolTelemetry(Event, frozen=True, kw_only=True):
    """A snapshot of one pool, published on a fixed cadence and at once on an interruption notice."""

    cluster: Name
    pool: Name
    time: AwareDatetime
    provisioner: Provisioner
    trigger: Literal["cadence", "interruption", "startup"] = "cadence"
    nodes: NodeCounts
    current_spot_ratio: Share
    instance_types: list[str] = []
    zones: list[str] = []
    dominant_instance_type: str | None = None
    utilisation: Utilisation = Utilisation()
    workload: WorkloadProfile = WorkloadProfile()
    safety: PoolSafety = PoolSafety()
    market: list[MarketSeries] = []
    window_seconds: Count = 3600
    nodepools: list[NodePoolInfo] = []
    cluster_nodes: Count = 0
    cluster_draining: Count = 0
    noticed_nodes: list[Name] = []
    """Nodes with an interruption or rebalance notice (``nodes.interruption_pending`` counts them)."""

    @property
    def facts(self) -> PoolFacts:
        return PoolFacts(
            telemetry_time=self.time,
            provisioner=self.provisioner,
            nodes=self.nodes,
            nodepools=self.nodepools,
            cluster_nodes=self.cluster_nodes,
            cluster_draining=self.cluster_draining,
            instance_types=self.instance_types,
            spot_price=self.node_price(spot=True),
            on_demand_price=self.node_price(spot=False),
            pods_per_node=self.workload.workload_pods / self.nodes.total if self.nodes.total else 0.0,
            pod_startup_seconds=self.workload.pod_startup_p95_seconds,
            noticed_nodes=self.noticed_nodes,
        )

    def node_price(self, *, spot: bool) -> float:
        """One node's hourly price for the dominant instance type: spot averaged over the pool's zones (all
        zones the market covers when the pool's are not among them), on-demand as listed."""
        series = [s for s in self.market if s.instance_type == self.dominant_instance_type]
        local = [s for s in series if s.zone in self.zones] or series
        if not local:
            return 0.0
        if not spot:
            return max(s.on_demand_price for s in local)
        return sum(s.spot_price for s in local) / len(local)

    @property
    def telemetry_id(self) -> str:
        return f"{self.cluster}/{self.pool}/{self.time.isoformat()}"

    def fact_id(self) -> str:
        return f"telemetry:{self.telemetry_id}:{self.trigger}"
