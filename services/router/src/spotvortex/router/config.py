"""Router settings: how twin NodePools are named and weighted, and how drain jobs are shaped."""

from __future__ import annotations

from typing import Annotated

import msgspec

from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.kube import KubeSettings


class RouterConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``favoured_weight``/``other_weight`` are the NodePool weights of the preferred and the other twin;
    Karpenter tries the higher weight first, so the favoured capacity type gets new nodes."""

    spot_suffix: str = "-spot"
    on_demand_suffix: str = "-od"
    favoured_weight: Annotated[int, msgspec.Meta(ge=1, le=100)] = 100
    other_weight: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    drain_deadline_seconds: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    grace_period_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60


class RouterSettings(ServiceSettings, frozen=True, kw_only=True):
    router: RouterConfig = RouterConfig()
    kube: KubeSettings = KubeSettings()
