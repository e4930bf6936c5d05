"""The scenario file format, strictly typed: an unknown key or a wrong type is an error naming its path.

Defaults here are the simulator's defaults; docs/simulation.md lists each with its source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Duration = str | int | float
Count = Annotated[int, msgspec.Meta(ge=0)]
Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=40)]


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class InstanceTypeDecl(Strict, frozen=True, kw_only=True):
    name: str
    vcpu: Annotated[int, msgspec.Meta(ge=1)]
    memory: str
    arch: Literal["amd64", "arm64"] = "amd64"


class Hazard(Strict, frozen=True, kw_only=True):
    zone_share: float = 0.4
    mean_outage_minutes: float = 40.0
    rebalance_before_loss: float = 0.5
    spurious_rebalance_ratio: float = 0.5
    rate_multiplier: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    """Scales every pool's advisor-calibrated loss rate (stress scenarios)."""


class Market(Strict, frozen=True, kw_only=True):
    data: Literal["auto", "real", "fixture"] = "auto"
    """``auto``: the real data set when present beside the checkout, else the shipped fixtures."""
    capacity: Literal["hazard", "traces", "none"] = "hazard"
    hazard: Hazard = msgspec.field(default_factory=Hazard)
    scripted: str | None = None
    """A scripted fake-price file (upstream §7.4 format); replaces the spot price series when set."""


class Karpenter(Strict, frozen=True, kw_only=True):
    launch: Duration = "60s"
    batch_idle: Duration = "1s"
    ice_ttl: Duration = "3m"
    interruption_handling: bool = True
    consolidation: bool = True
    consolidation_interval: Duration = "60s"


class Asg(Strict, frozen=True, kw_only=True):
    launch: Duration = "90s"
    retry: Duration = "5m"
    """After a failed spot launch the group retries this much later (scaling activity backoff)."""


class Budget(Strict, frozen=True, kw_only=True):
    nodes: str | int = "10%"
    schedule: str | None = None
    duration: str | None = None
    reasons: list[str] | None = None


class Pool(Strict, frozen=True, kw_only=True):
    name: Name
    autoscaler: Literal["karpenter", "asg"] = "karpenter"
    instance_types: list[str]
    zones: list[str] | None = None
    copies: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    # Karpenter twin NodePools
    spot_weight: int = 100
    on_demand_weight: int = 10
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized", "Never"] = (
        "WhenEmptyOrUnderutilized"
    )
    consolidate_after: Duration = "5m"
    budgets: list[Budget] | None = None
    cpu_limit: str | int | None = None
    # ASG twin groups
    min_size: Count = 0
    max_size: Count = 100
    spot_desired: Count = 0
    on_demand_desired: Count = 0


class PdbDecl(Strict, frozen=True, kw_only=True):
    min_available: int | str | None = None
    max_unavailable: int | str | None = None


class Workload(Strict, frozen=True, kw_only=True):
    name: Name
    pool: str
    replicas: Annotated[int, msgspec.Meta(ge=1)]
    cpu: str | int | float
    memory: str
    kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    namespace: str = "default"
    """May contain ``{pool}``: each copy of a pool then gets its own namespace."""
    startup: Duration = "30s"
    priority: int = 0
    capacity_types: list[Literal["spot", "on-demand"]] | None = None
    pdb: PdbDecl | None = None
    floor: int | None = None
    penalty_per_hour: Annotated[float, msgspec.Meta(ge=0)] = 0.0


class Scenario(Strict, frozen=True, kw_only=True):
    name: str
    description: str = ""
    region: str = "us-east-1"
    zones: list[str]
    start: datetime
    """Market time at which a run starts (the data set's clock)."""
    duration: Duration = "30d"
    seed: int = 1
    market: Market = msgspec.field(default_factory=Market)
    karpenter: Karpenter = msgspec.field(default_factory=Karpenter)
    asg: Asg = msgspec.field(default_factory=Asg)
    instance_types: list[InstanceTypeDecl] = msgspec.field(default_factory=list)
    pools: list[Pool]
    workloads: list[Workload]
