"""Auto Scaling groups for router tests: a backend the AWS emulator serves, where a test decides when new
instances come into service, and the emulator running with test credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import aioboto3
import pytest

from spotvortex.sim.aws import AsgGroup, AsgInstance, AwsEmulator, ScalingActivity, termination_activity
from spotvortex.sim.aws import autoscaling_rules as rules
from tests.sim.aws.backend import FakeAutoScaling

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ZONES = ("us-east-1a", "us-east-1b")


class Groups(FakeAutoScaling):
    """Groups keep their instances at ``desired``: a scale-up adds ``Pending`` instances that ``boot`` brings
    into service, a terminated instance leaves at once."""

    def __init__(self, groups: Sequence[AsgGroup]) -> None:
        super().__init__(groups)
        self._launched = 0

    def boot(self, name: str) -> list[str]:
        """Every pending instance of the group comes into service; returns their ids."""
        group = self._groups[name]
        booted = [i.instance_id for i in group.instances if i.lifecycle_state == "Pending"]
        instances = tuple(
            replace(i, lifecycle_state="InService") if i.lifecycle_state == "Pending" else i
            for i in group.instances
        )
        self._groups[name] = replace(group, instances=instances)
        return booted

    def _resize(self, group: AsgGroup, desired: int) -> AsgGroup:
        instances = list(group.instances)
        while len(instances) < desired:
            self._launched += 1
            zone = ZONES[len(instances) % len(ZONES)]
            instances.append(AsgInstance(f"i-{self._launched:017x}", group.name, zone, "m5.large", "Pending"))
        return replace(group, desired_capacity=desired, instances=tuple(instances[:desired]))

    def set_desired_capacity(self, group: str, desired: int) -> None:
        super().set_desired_capacity(group, desired)
        self._groups[group] = self._resize(self._groups[group], desired)

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
        super().update_group(
            group,
            min_size=min_size,
            max_size=max_size,
            desired=desired,
            on_demand_base=on_demand_base,
            on_demand_percentage=on_demand_percentage,
        )
        updated = self._groups[group]
        self._groups[group] = self._resize(updated, updated.desired_capacity)

    def terminate_instance(self, instance_id: str, decrement_desired: bool) -> ScalingActivity:
        group, instance = rules.find_instance(self.groups(), instance_id)
        rules.check_terminate(group, decrement_desired)
        self._activities += 1
        activity = termination_activity(
            group,
            instance,
            decrement=decrement_desired,
            at=CREATED,
            activity_id=f"00000000-0000-4000-8000-{self._activities:012d}",
        )
        rest = replace(group, instances=tuple(i for i in group.instances if i.instance_id != instance_id))
        desired = group.desired_capacity - 1 if decrement_desired else group.desired_capacity
        self._groups[group.name] = self._resize(replace(rest, desired_capacity=desired), desired)
        return activity


def group(
    name: str,
    tags: Mapping[str, str],
    *,
    desired: int = 2,
    max_size: int = 10,
    min_size: int = 0,
    mixed_percentage: int | None = None,
    first_instance: int = 0,
) -> AsgGroup:
    """A group of ``desired`` instances in service (ids from ``first_instance`` up, in hex)."""
    instances = tuple(
        AsgInstance(f"i-{0xA000 + first_instance + n:017x}", name, ZONES[n % 2], "m5.large", "InService")
        for n in range(desired)
    )
    return AsgGroup(
        name=name,
        min_size=min_size,
        max_size=max_size,
        desired_capacity=desired,
        availability_zones=ZONES,
        instances=instances,
        tags=dict(tags),
        created_time=CREATED,
        on_demand_base_capacity=0 if mixed_percentage is not None else None,
        on_demand_percentage_above_base=mixed_percentage,
        instance_types=("m5.large", "m5a.large") if mixed_percentage is not None else (),
    )


def twins(pool: str = "web", *, spot: int = 3, on_demand: int = 1, max_size: int = 10) -> list[AsgGroup]:
    return [
        group(
            f"{pool}-spot-asg",
            {"spotvortex.io/pool": pool, "spotvortex.io/capacity-type": "spot"},
            desired=spot,
            max_size=max_size,
        ),
        group(
            f"{pool}-od-asg",
            {"spotvortex.io/pool": pool, "spotvortex.io/capacity-type": "on-demand"},
            desired=on_demand,
            max_size=max_size,
            first_instance=0x100,
        ),
    ]


def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any credentials do (the emulator checks no signature); none may come from this machine."""
    for var, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(var, value)


def session() -> aioboto3.Session:
    return aioboto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")


@asynccontextmanager
async def emulator(backend: Groups) -> AsyncIterator[AwsEmulator]:
    async with AwsEmulator(autoscaling=backend) as aws:
        yield aws
