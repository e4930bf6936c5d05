"""Collector settings: how pools are recognised, how often they are published, and where AWS is.

``CollectorConfig`` is all the pure core needs; the AWS section and the Kubernetes section only concern
the adapter. Every key has the default an operator gets without a config file.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from spotvortex.contracts.enums import Provisioner
from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.kube import KubeSettings

Seconds = Annotated[float, msgspec.Meta(gt=0)]
Price = Annotated[float, msgspec.Meta(ge=0)]


class CollectorConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the core needs to turn cluster objects and market events into pool snapshots.

    ``pool_suffixes`` are stripped from a Karpenter NodePool or EKS node group name to find the pool of a
    node without a ``spotvortex.io/pool`` label, so twins ``web-spot``/``web-od`` form one pool ``web``.
    ``fallback_provisioner`` adopts nodes that carry a pool label but no autoscaler label (Cluster
    Autoscaler nodes look like that); left unset, such nodes belong to no pool, as unknown nodes do.
    ``on_demand_prices`` (USD/h by instance type) fills in the on-demand price where no market event
    carried one, since spot price history never does.
    """

    cadence_seconds: Seconds = 30.0
    window_seconds: Annotated[int, msgspec.Meta(ge=60, le=86400)] = 3600
    pool_suffixes: list[str] = msgspec.field(default_factory=lambda: ["-spot", "-od"])
    fallback_provisioner: Provisioner | None = None
    on_demand_prices: dict[str, Price] = {}


class AwsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Optional AWS inputs: spot price history and the EventBridge interruption queue.

    ``region`` defaults to the service's ``region``; ``queue_url`` wins over ``queue_name``; with
    neither, only prices are polled.
    """

    enabled: bool = False
    region: str | None = None
    endpoint_url: str | None = None
    queue_name: str | None = None
    queue_url: str | None = None
    price_poll_seconds: Seconds = 300.0
    queue_wait_seconds: Annotated[int, msgspec.Meta(ge=0, le=20)] = 20
    error_backoff_seconds: Seconds = 5.0
    product_description: str = "Linux/UNIX"


class CollectorSettings(ServiceSettings, frozen=True, kw_only=True):
    collector: CollectorConfig = CollectorConfig()
    kube: KubeSettings = KubeSettings()
    aws: AwsSettings = AwsSettings()
