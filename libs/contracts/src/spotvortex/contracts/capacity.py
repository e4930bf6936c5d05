"""How node labels name a capacity type (upstream-spec §6.1), read one way by every service.

The collector counts a node as spot and the router picks it to drain by the same rule: the first non-empty
label among Karpenter's, SpotVortex's own, EKS's and the older ``lifecycle`` label, with the spellings the
ecosystem uses normalised. Reserved capacity (capacity blocks) is not spot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

SPOT: Final = "spot"
ON_DEMAND: Final = "on-demand"
RESERVED: Final = "reserved"

CAPACITY_TYPE_LABELS: Final = (
    "karpenter.sh/capacity-type",
    "spotvortex.io/capacity-type",
    "eks.amazonaws.com/capacityType",
    "node.kubernetes.io/lifecycle",
)

_ALIASES: Final = {
    "spot": SPOT,
    "ec2spot": SPOT,
    "on-demand": ON_DEMAND,
    "ondemand": ON_DEMAND,
    "ec2ondemand": ON_DEMAND,
    "ec2-on-demand": ON_DEMAND,
    "normal": ON_DEMAND,
    "reserved": RESERVED,
    "capacity-block": RESERVED,
    "capacityblock": RESERVED,
}


def capacity_type(labels: Mapping[str, str]) -> str | None:
    """The first non-empty capacity label in precedence order, normalised; unknown values pass through."""
    for key in CAPACITY_TYPE_LABELS:
        raw = labels.get(key)
        if raw and raw.strip():
            norm = raw.strip().lower().replace("_", "-").replace(" ", "-")
            return _ALIASES.get(norm, norm)
    return None


def is_spot(labels: Mapping[str, str]) -> bool:
    return capacity_type(labels) == SPOT
