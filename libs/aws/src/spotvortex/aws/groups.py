"""Auto Scaling groups behind a pool (Cluster Autoscaler node groups, EKS managed node groups), as values.

A pool is backed either by twin groups, one per capacity type, found by tags (``spotvortex.io/pool=<pool>``
and ``spotvortex.io/capacity-type=spot|on-demand``, or EKS's ``eks.amazonaws.com/capacityType=SPOT|
ON_DEMAND``), or by one untagged group with a MixedInstancesPolicy whose on-demand percentage sets the split.
Ambiguity (two spot twins, a lone twin) is an error that names the groups, never a guess: the earlier
implementation took the last match.

The router steers with these views and the drainer shifts capacity between twins with them, so both find
the same groups the same way. Parsing reads the shapes botocore returns, so these functions run on recorded
API answers as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spotvortex.aws.config import AsgConfig
from spotvortex.contracts.capacity import ON_DEMAND, SPOT, capacity_type
from spotvortex.runtime.errors import PermanentError

EKS_CAPACITY_TAG = "eks.amazonaws.com/capacityType"
NODE_TEMPLATE_CAPACITY_TAG = "k8s.io/cluster-autoscaler/node-template/label/" + EKS_CAPACITY_TAG
"""The tag operators add so Cluster Autoscaler can scale a node group from zero; it names the same label."""


class AsgError(PermanentError):
    """The pool's groups cannot be steered or shifted as tagged; an operator has to fix the tags or the groups."""


@dataclass(frozen=True)
class AsgInstanceView:
    instance_id: str
    lifecycle_state: str
    health_status: str
    zone: str | None = None

    @property
    def in_service(self) -> bool:
        return self.lifecycle_state == "InService" and self.health_status == "Healthy"

    @property
    def leaving(self) -> bool:
        return self.lifecycle_state.startswith(("Terminat", "Detach", "Standby", "Warmed"))


@dataclass(frozen=True)
class AsgGroupView:
    name: str
    min_size: int
    max_size: int
    desired: int
    tags: Mapping[str, str] = field(default_factory=dict)
    instances: tuple[AsgInstanceView, ...] = ()
    mixed: bool = False
    on_demand_base: int | None = None
    on_demand_percentage: int | None = None

    def capacity_type(self, config: AsgConfig) -> str | None:
        """``spot``/``on-demand`` from the group's capacity tag (ours first, then EKS's label as a tag or as
        Cluster Autoscaler's node-template tag), spelled as node labels are (``SPOT``, ``ON_DEMAND``,
        ``ondemand``, …); ``None`` for no tag or another value."""
        for key in (config.capacity_type_tag, EKS_CAPACITY_TAG, NODE_TEMPLATE_CAPACITY_TAG):
            value = self.tags.get(key, "").strip()
            if value:
                found = capacity_type({EKS_CAPACITY_TAG: value})  # the one normalisation rule
                return found if found in (SPOT, ON_DEMAND) else None
        return None


def parse_instance(obj: Mapping[str, Any]) -> AsgInstanceView:
    return AsgInstanceView(
        instance_id=str(obj["InstanceId"]),
        lifecycle_state=str(obj.get("LifecycleState", "")),
        health_status=str(obj.get("HealthStatus", "")),
        zone=obj.get("AvailabilityZone"),
    )


def parse_group(obj: Mapping[str, Any]) -> AsgGroupView:
    """A group from DescribeAutoScalingGroups."""
    policy = obj.get("MixedInstancesPolicy")
    distribution = (policy or {}).get("InstancesDistribution") or {}
    return AsgGroupView(
        name=str(obj["AutoScalingGroupName"]),
        min_size=int(obj["MinSize"]),
        max_size=int(obj["MaxSize"]),
        desired=int(obj["DesiredCapacity"]),
        tags={str(t["Key"]): str(t.get("Value", "")) for t in obj.get("Tags") or []},
        instances=tuple(parse_instance(i) for i in obj.get("Instances") or []),
        mixed=policy is not None,
        on_demand_base=distribution.get("OnDemandBaseCapacity"),
        on_demand_percentage=distribution.get("OnDemandPercentageAboveBaseCapacity"),
    )


@dataclass(frozen=True)
class PoolGroups:
    """Either both twins or one mixed group."""

    pool: str
    spot: AsgGroupView | None = None
    on_demand: AsgGroupView | None = None
    mixed: AsgGroupView | None = None

    def twin(self, capacity: str) -> AsgGroupView:
        group = self.spot if capacity == SPOT else self.on_demand if capacity == ON_DEMAND else None
        if group is None:
            raise AsgError(
                f"pool {self.pool}: no {capacity} twin group"
                + (f" (it has one mixed group, {self.mixed.name})" if self.mixed else "")
            )
        return group


def classify(pool: str, groups: list[AsgGroupView], config: AsgConfig) -> PoolGroups:
    """The pool's twins, or its one mixed group; an error that names the groups when neither is clear.

    Twins win over untagged groups, so a mixed group kept beside twins (for diversification) is left alone.
    """
    by_type: dict[str, list[AsgGroupView]] = {SPOT: [], ON_DEMAND: [], "": []}
    for group in groups:
        by_type.setdefault(group.capacity_type(config) or "", []).append(group)
    spots, on_demands, untagged = by_type[SPOT], by_type[ON_DEMAND], by_type[""]
    for kind, found in ((SPOT, spots), (ON_DEMAND, on_demands)):
        if len(found) > 1:
            raise AsgError(f"pool {pool}: several {kind} groups ({_names(found)}); tag one per capacity type")
    if spots and on_demands:
        return PoolGroups(pool, spot=spots[0], on_demand=on_demands[0])
    if spots or on_demands:
        lone = (spots or on_demands)[0]
        raise AsgError(
            f"pool {pool}: group {lone.name} has no twin of the other capacity type "
            f"(tag it {config.pool_tag}={pool} and {config.capacity_type_tag}=spot|on-demand)"
        )
    mixed = [g for g in untagged if g.mixed]
    if len(mixed) == 1:
        return PoolGroups(pool, mixed=mixed[0])
    if not groups:
        raise AsgError(f"pool {pool}: no Auto Scaling group tagged {config.pool_tag}={pool}")
    raise AsgError(
        f"pool {pool}: groups {_names(groups)} are neither twins ({config.capacity_type_tag}=spot|on-demand) "
        "nor one group with a MixedInstancesPolicy"
    )


def _names(groups: list[AsgGroupView]) -> str:
    return ", ".join(sorted(g.name for g in groups))


def instance_id(provider_id: str | None) -> str | None:
    """``aws:///us-east-1a/i-0abc`` → ``i-0abc``: the EC2 instance behind a Kubernetes node."""
    if not provider_id or not provider_id.startswith("aws://"):
        return None
    last = [part for part in provider_id.split("/") if part]
    return last[-1] if last and last[-1].startswith("i-") else None
