"""Market events: the contract users type by hand with ``nats pub spotvortex.market.<region>.<kind>``.

Plain JSON, no headers needed. ``time`` defaults to the time of receipt (the collector fills it in);
unknown extra fields are ignored; a missing required field or a wrong type is rejected with the field named.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from spotvortex.contracts.base import AwareDatetime, Event, Name, NonNegative, field_error


def _stamp(time: AwareDatetime | None) -> str:
    return time.isoformat() if time is not None else "now"


class MarketPrice(Event, frozen=True, kw_only=True):
    """A spot (and optionally on-demand) price in force for an (instance type, zone), in USD per hour."""

    instance_type: Name
    zone: Name
    spot_price: NonNegative
    on_demand_price: NonNegative | None = None
    time: AwareDatetime | None = None
    product: str = "Linux/UNIX"

    def fact_id(self) -> str:
        return f"price:{self.instance_type}:{self.zone}:{_stamp(self.time)}:{self.spot_price}"


class _InstanceRef(Event, frozen=True, kw_only=True):
    """Events about one instance name it by Kubernetes node, EC2 instance id, or both."""

    zone: Name
    node: str | None = None
    instance_id: str | None = None
    instance_type: str | None = None
    time: AwareDatetime | None = None

    def __post_init__(self) -> None:
        if not self.node and not self.instance_id:
            raise field_error("node", "one of `node` or `instance_id` is required")

    def subject_ref(self) -> str:
        return self.node or self.instance_id or ""


class MarketInterruption(_InstanceRef, frozen=True, kw_only=True):
    """A spot interruption notice: the instance will be reclaimed after ``notice_seconds``."""

    action: Literal["terminate", "stop", "hibernate"] = "terminate"
    notice_seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 120

    def fact_id(self) -> str:
        return f"interruption:{self.zone}:{self.subject_ref()}:{_stamp(self.time)}"


class MarketRebalance(_InstanceRef, frozen=True, kw_only=True):
    """A rebalance recommendation: an early and weak signal of elevated interruption risk."""

    def fact_id(self) -> str:
        return f"rebalance:{self.zone}:{self.subject_ref()}:{_stamp(self.time)}"


class MarketCapacity(Event, frozen=True, kw_only=True):
    """Whether spot capacity can be had for an (instance type, zone); placement score 1 (poor) to 10."""

    instance_type: Name
    zone: Name
    available: bool
    placement_score: Annotated[int, msgspec.Meta(ge=1, le=10)] | None = None
    time: AwareDatetime | None = None

    def fact_id(self) -> str:
        return f"capacity:{self.instance_type}:{self.zone}:{_stamp(self.time)}:{int(self.available)}"


MarketEvent = MarketPrice | MarketInterruption | MarketRebalance | MarketCapacity
