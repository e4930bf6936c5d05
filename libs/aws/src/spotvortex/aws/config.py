"""Settings every service that talks to Auto Scaling shares: where the API is, and how a pool's groups are
tagged. The router and the drainer must find the same groups, so both carry these very structs."""

from __future__ import annotations

import msgspec


class AsgConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a pool's Auto Scaling groups are found: tagged ``<pool_tag>=<pool>``, and for twin groups also
    ``<capacity_type_tag>=spot|on-demand`` (or EKS's ``eks.amazonaws.com/capacityType=SPOT|ON_DEMAND``)."""

    pool_tag: str = "spotvortex.io/pool"
    capacity_type_tag: str = "spotvortex.io/capacity-type"


class AwsEndpoint(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the Auto Scaling API is; ``region`` defaults to the service's. Credentials come from the usual
    AWS chain (IRSA in a cluster)."""

    region: str | None = None
    endpoint_url: str | None = None
