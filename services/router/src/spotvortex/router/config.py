"""Router settings: which provisioner path steers a pool, how each path names and weighs its objects, and
how drain jobs are shaped. The Auto Scaling tag settings (:class:`AsgConfig`) are shared with the drainer,
which must find the same twin groups."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from spotvortex.aws.config import AsgConfig, AwsEndpoint
from spotvortex.contracts.enums import Provisioner
from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.kube import KubeSettings

Priority = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]


class ProvisionerPath(StrEnum):
    """How the router steers a pool. ``auto`` follows the autoscaler the collector detected on the pool's
    nodes (the verdict's facts): Karpenter → ``karpenter``, Cluster Autoscaler → ``cluster-autoscaler``,
    EKS managed node group → ``asg``."""

    KARPENTER = "karpenter"
    CLUSTER_AUTOSCALER = "cluster-autoscaler"
    ASG = "asg"
    AUTO = "auto"


_DETECTED = {
    Provisioner.KARPENTER: ProvisionerPath.KARPENTER,
    Provisioner.CLUSTER_AUTOSCALER: ProvisionerPath.CLUSTER_AUTOSCALER,
    Provisioner.MANAGED_NODEGROUP: ProvisionerPath.ASG,
}


class ExpanderConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cluster Autoscaler's priority expander ConfigMap and the node-group regexes of a pool.

    A pool's regexes are ``pattern`` with ``{group}`` replaced by ``<pool><suffix>`` (dots escaped), so
    pool ``web`` has ``.*web-spot.*`` and ``.*web-od.*`` by default. The favoured regex goes to
    ``favoured_priority`` and the other to ``other_priority``; the expander picks the highest priority a node
    group matches, so ``favoured_priority`` must be above any operator entry that also matches the pool's
    groups.
    """

    namespace: str = "kube-system"
    name: str = "cluster-autoscaler-priority-expander"
    spot_suffix: str = "-spot"
    on_demand_suffix: str = "-od"
    pattern: str = ".*{group}.*"
    favoured_priority: Priority = 100
    other_priority: Priority = 10
    conflict_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5

    def __post_init__(self) -> None:
        if "{group}" not in self.pattern:
            raise ValueError("field `pattern`: must contain `{group}`")
        if self.favoured_priority <= self.other_priority:
            raise ValueError("field `favoured_priority`: must be above `other_priority`")
        if self.spot_suffix == self.on_demand_suffix:
            raise ValueError("field `on_demand_suffix`: must differ from `spot_suffix`")


class RouterConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``favoured_weight``/``other_weight`` are the NodePool weights of the preferred and the other twin;
    Karpenter tries the higher weight first, so the favoured capacity type gets new nodes.

    ``provisioner`` is the path for every pool, ``pools`` overrides it per pool name.
    """

    spot_suffix: str = "-spot"
    on_demand_suffix: str = "-od"
    favoured_weight: Annotated[int, msgspec.Meta(ge=1, le=100)] = 100
    other_weight: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    drain_deadline_seconds: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    grace_period_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60
    provisioner: ProvisionerPath = ProvisionerPath.KARPENTER
    pools: dict[str, ProvisionerPath] = {}
    expander: ExpanderConfig = ExpanderConfig()
    asg: AsgConfig = AsgConfig()

    def path_for(self, pool: str, detected: Provisioner | None = None) -> ProvisionerPath:
        """The concrete path for ``pool``; ``auto`` without a detected autoscaler means Karpenter."""
        path = self.pools.get(pool, self.provisioner)
        if path is not ProvisionerPath.AUTO:
            return path
        return ProvisionerPath.KARPENTER if detected is None else _DETECTED[detected]


class AwsSettings(AwsEndpoint, frozen=True, kw_only=True):
    """Where the Auto Scaling API is (``region`` defaults to the service's). Only the ``asg`` path calls AWS."""


class RouterSettings(ServiceSettings, frozen=True, kw_only=True):
    router: RouterConfig = RouterConfig()
    kube: KubeSettings = KubeSettings()
    aws: AwsSettings = AwsSettings()
