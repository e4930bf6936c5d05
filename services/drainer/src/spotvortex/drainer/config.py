"""Drainer settings: how hard to push on evictions, how long to wait, and which pods nobody may evict.

Every default is chosen so that a drainer started without a config file is gentle: replacement capacity
first, a few evictions at a time per node, a bounded back-off on disruption budgets, a non-zero grace period
even when a job asks for 0, and no standalone pod evicted (nothing would recreate it).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from spotvortex.aws.config import AsgConfig, AwsEndpoint
from spotvortex.contracts import DrainJob
from spotvortex.drainer.backoff import BackoffPolicy
from spotvortex.drainer.pods import PodPolicy
from spotvortex.drainer.replacement import PLACEHOLDER_IMAGE, PlaceholderPolicy
from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.kube import KubeSettings

Seconds = Annotated[float, msgspec.Meta(gt=0)]


class DrainerConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``default_grace_period_seconds`` replaces a job's ``grace_period_seconds: 0`` unless
    ``allow_zero_grace_period`` is set: an immediate kill must be a deliberate operator choice.

    ``protected_namespaces`` block a drain like ``karpenter.sh/do-not-disrupt`` does (emergencies
    override both); it is empty by default, so no namespace is special unless configured. Standalone pods
    block unless ``evict_standalone_pods`` (``kubectl drain --force``); pods with ``emptyDir`` volumes are
    evicted unless ``evict_emptydir_pods`` is false (``kubectl drain --delete-emptydir-data``).

    ``replacement_timeout_seconds`` bounds the wait for replacement capacity (never past the job's
    deadline); ``reschedule_timeout_seconds`` bounds the wait, once a node is empty, for the evicted pods'
    controllers to run their replacements elsewhere (``None``: until the deadline; 0: look once).

    ``asg`` finds a pool's twin Auto Scaling groups by the same tags as the router's ``router.asg``: set
    both alike. It is read only when ``aws.enabled``.
    """

    max_concurrent_jobs: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    evictions_per_node: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    default_grace_period_seconds: Annotated[int, msgspec.Meta(ge=1)] = 30
    allow_zero_grace_period: bool = False
    backoff_initial_seconds: Seconds = 1.0
    backoff_factor: Annotated[float, msgspec.Meta(ge=1.0)] = 2.0
    backoff_max_seconds: Seconds = 30.0
    backoff_jitter: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.2
    poll_seconds: Seconds = 1.0
    conflict_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    rollback_timeout_seconds: Seconds = 120.0
    retry_seconds: Seconds = 2.0
    protected_namespaces: list[str] = []
    evict_standalone_pods: bool = False
    evict_emptydir_pods: bool = True
    replacement_timeout_seconds: Seconds = 600.0
    replacement_namespace: Annotated[str, msgspec.Meta(min_length=1)] = "spotvortex"
    placeholder_priority_class_name: str = ""
    placeholder_image: Annotated[str, msgspec.Meta(min_length=1)] = PLACEHOLDER_IMAGE
    reschedule_timeout_seconds: Annotated[float, msgspec.Meta(ge=0)] | None = None
    asg: AsgConfig = AsgConfig()

    def grace_period_for(self, job: DrainJob) -> int:
        """The grace period sent with every eviction of ``job``: the job's own, unless it asks for 0."""
        if job.grace_period_seconds > 0 or self.allow_zero_grace_period:
            return job.grace_period_seconds
        return self.default_grace_period_seconds

    def backoff(self) -> BackoffPolicy:
        return BackoffPolicy(
            initial_seconds=self.backoff_initial_seconds,
            factor=self.backoff_factor,
            max_seconds=self.backoff_max_seconds,
            jitter=self.backoff_jitter,
        )

    def pod_policy(self) -> PodPolicy:
        return PodPolicy(
            protected_namespaces=frozenset(self.protected_namespaces),
            block_standalone=not self.evict_standalone_pods,
            block_emptydir=not self.evict_emptydir_pods,
        )

    def placeholder_policy(self) -> PlaceholderPolicy:
        return PlaceholderPolicy(
            namespace=self.replacement_namespace,
            priority_class_name=self.placeholder_priority_class_name,
            image=self.placeholder_image,
        )


class DrainerAwsSettings(AwsEndpoint, frozen=True, kw_only=True):
    """Off by default: Cluster Autoscaler and managed node group pools are then drained without waiting for
    replacement capacity. On, their twin Auto Scaling groups bring it up (``region`` defaults to the
    service's); that needs the drainer's own IAM role in ``enforce``."""

    enabled: bool = False


class DrainerSettings(ServiceSettings, frozen=True, kw_only=True):
    drainer: DrainerConfig = DrainerConfig()
    kube: KubeSettings = KubeSettings()
    aws: DrainerAwsSettings = DrainerAwsSettings()
