"""The AWS side of the simulated world as plain data, and the seams a simulator plugs into.

Backends see frozen snapshots and keyword arguments, never HTTP: the wire modules own parsing, filtering,
pagination and AWS's error wording, so a backend only has to model capacity and prices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


def wall_now() -> datetime:
    return datetime.now(UTC)


class AwsError(Exception):
    """An error as AWS reports it; the wire layer renders it in the calling protocol's shape.

    ``code`` is what botocore shows as ``Error.Code``. ``json_type`` is the ``__type`` of a JSON-protocol
    service when it differs from the code (SQS kept its Query-era codes behind new shape names).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        sender_fault: bool = True,
        json_type: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.json_type = json_type


@dataclass(frozen=True)
class AsgInstance:
    instance_id: str
    group: str
    zone: str
    instance_type: str
    lifecycle_state: str  # "Pending" | "InService" | "Terminating" | ... as AWS spells them
    health_status: str = "Healthy"
    protected_from_scale_in: bool = False
    launch_template: str | None = None


@dataclass(frozen=True)
class AsgGroup:
    """One Auto Scaling group; a mixed instances policy is rendered when any of its fields is set."""

    name: str
    min_size: int
    max_size: int
    desired_capacity: int
    availability_zones: tuple[str, ...]
    instances: tuple[AsgInstance, ...]
    tags: Mapping[str, str]
    created_time: datetime
    on_demand_base_capacity: int | None = None
    on_demand_percentage_above_base: int | None = None
    instance_types: tuple[str, ...] = ()
    spot_allocation_strategy: str | None = None
    launch_template: str | None = None
    capacity_rebalance: bool = False

    @property
    def has_mixed_instances_policy(self) -> bool:
        return (
            self.on_demand_base_capacity is not None
            or self.on_demand_percentage_above_base is not None
            or bool(self.instance_types)
            or self.spot_allocation_strategy is not None
        )


@dataclass(frozen=True)
class ScalingActivity:
    activity_id: str
    group: str
    description: str
    cause: str
    start_time: datetime
    status_code: str  # "InProgress" | "Successful" | ... as AWS spells them
    progress: int
    details: str = "{}"
    end_time: datetime | None = None


@dataclass(frozen=True)
class SpotPrice:
    time: datetime
    instance_type: str
    zone: str
    product: str  # "Linux/UNIX", "Windows", ... as AWS spells them
    price: float


class AutoScalingBackend(Protocol):
    """What the Auto Scaling wire layer needs from a simulator.

    The wire layer has already checked names, min/max bounds and AWS's implicit desired-capacity clamping
    against ``groups()`` before a mutating call arrives; a backend raises ``AwsError`` only for rules of
    its own.
    """

    def groups(self) -> Sequence[AsgGroup]: ...

    def set_desired_capacity(self, group: str, desired: int) -> None: ...

    def update_group(
        self,
        group: str,
        *,
        min_size: int | None,
        max_size: int | None,
        desired: int | None,
        on_demand_base: int | None,
        on_demand_percentage: int | None,
    ) -> None: ...

    def terminate_instance(self, instance_id: str, decrement_desired: bool) -> ScalingActivity: ...


class SpotPriceSource(Protocol):
    """Spot price changes; the arguments are hints for narrowing, the wire layer filters exactly.

    Empty sequences mean "any". To honour AWS's rule that a window also reports the price in force at its
    start, return at least the last change before ``start`` of every pool you return.
    """

    def history(
        self,
        instance_types: Sequence[str],
        zones: Sequence[str],
        products: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> Sequence[SpotPrice]: ...


class NoAutoScaling:
    """The backend of an account without groups: every lookup misses, so no mutation is ever reached."""

    def groups(self) -> Sequence[AsgGroup]:
        return ()

    def set_desired_capacity(self, group: str, desired: int) -> None:
        raise AssertionError("unreachable: the wire layer rejects unknown groups")

    def update_group(
        self,
        group: str,
        *,
        min_size: int | None,
        max_size: int | None,
        desired: int | None,
        on_demand_base: int | None,
        on_demand_percentage: int | None,
    ) -> None:
        raise AssertionError("unreachable: the wire layer rejects unknown groups")

    def terminate_instance(self, instance_id: str, decrement_desired: bool) -> ScalingActivity:
        raise AssertionError("unreachable: the wire layer rejects unknown instances")


class NoSpotPrices:
    """A price source with no history, for emulators that only serve Auto Scaling and SQS."""

    def history(
        self,
        instance_types: Sequence[str],
        zones: Sequence[str],
        products: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> Sequence[SpotPrice]:
        return ()
