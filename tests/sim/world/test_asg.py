"""Twin Auto Scaling groups, steered through the AWS emulator's Auto Scaling API with aioboto3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aioboto3
import pytest
from botocore.exceptions import ClientError

from spotvortex.sim.aws import AwsEmulator
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster
from tests.sim.world.support import ZONE_A, journal, make_cluster, scenario, set_capacity


def asg_cluster(spot: int = 2, on_demand: int = 1) -> SimCluster:
    pool = {
        "name": "batch",
        "autoscaler": "asg",
        "instance_types": ["m5.large"],
        "zones": [ZONE_A],
        "max_size": 10,
        "spot_desired": spot,
        "on_demand_desired": on_demand,
    }
    return make_cluster(scenario(pools=[pool], market={"data": "fixture", "capacity": "none"}))


def nodes(sim: SimCluster) -> dict[str, dict[str, str]]:
    return {n["metadata"]["name"]: n["metadata"]["labels"] for n in sim.world.store.list("nodes")}


async def _client(emulator: AwsEmulator) -> Any:
    session = aioboto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
    return session.client("autoscaling", endpoint_url=emulator.url)


def test_twin_groups_start_at_desired_with_eks_labels() -> None:
    sim = asg_cluster(spot=2, on_demand=1)
    labels = list(nodes(sim).values())
    assert sorted(lab[L.EKS_CAPACITY_TYPE] for lab in labels) == ["ON_DEMAND", "SPOT", "SPOT"]
    assert {lab[L.EKS_NODEGROUP] for lab in labels} == {"batch-spot-asg", "batch-od-asg"}
    assert all(lab[L.POOL] == "batch" and lab[L.INSTANCE_TYPE] == "m5.large" for lab in labels)
    assert all(L.CAPACITY_TYPE not in lab for lab in labels)


async def test_desired_capacity_and_terminate_through_the_api() -> None:
    sim = asg_cluster(spot=1, on_demand=1)
    async with (
        AwsEmulator(autoscaling=sim.autoscaling, now=lambda: sim.world.now) as aws,
        await _client(aws) as client,
    ):
        found = await client.describe_auto_scaling_groups(
            Filters=[{"Name": "tag:spotvortex.io/pool", "Values": ["batch"]}]
        )
        groups = {g["AutoScalingGroupName"]: g for g in found["AutoScalingGroups"]}
        assert set(groups) == {"batch-spot-asg", "batch-od-asg"}
        tags = {t["Key"]: t["Value"] for t in groups["batch-od-asg"]["Tags"]}
        assert tags["spotvortex.io/capacity-type"] == "on-demand"

        await client.set_desired_capacity(AutoScalingGroupName="batch-od-asg", DesiredCapacity=3)
        sim.run_for(timedelta(seconds=89))
        assert sum(v[L.EKS_CAPACITY_TYPE] == "ON_DEMAND" for v in nodes(sim).values()) == 1
        sim.run_for(timedelta(seconds=1))  # the default launch latency is 90 s
        assert sum(v[L.EKS_CAPACITY_TYPE] == "ON_DEMAND" for v in nodes(sim).values()) == 3

        with pytest.raises(ClientError) as refused:
            await client.set_desired_capacity(AutoScalingGroupName="batch-od-asg", DesiredCapacity=11)
        assert refused.value.response["Error"]["Code"] == "ValidationError"

        spot = sim.autoscaling.groups_by_name["batch-spot-asg"]
        (instance,) = spot.instances
        reply = await client.terminate_instance_in_auto_scaling_group(
            InstanceId=instance, ShouldDecrementDesiredCapacity=True
        )
        assert reply["Activity"]["AutoScalingGroupName"] == "batch-spot-asg"
        sim.run_for(timedelta(minutes=5))
        assert spot.desired == 0
        assert not spot.instances
        assert not any(v[L.EKS_CAPACITY_TYPE] == "SPOT" for v in nodes(sim).values())
        assert aws.audit.count_mutations() == 3


def test_reclaimed_spot_instance_is_replaced_when_capacity_returns() -> None:
    sim = asg_cluster(spot=1, on_demand=0)
    start = sim.world.now
    set_capacity(
        sim, outages=[("m5.large", ZONE_A, start + timedelta(minutes=1), start + timedelta(minutes=20))]
    )
    sim.run_for(timedelta(minutes=10))
    assert journal(sim, "interruption-notice")
    assert journal(sim, "asg-launch-failed")
    assert not nodes(sim)
    sim.run_for(timedelta(minutes=30))
    (labels,) = nodes(sim).values()
    assert labels[L.EKS_CAPACITY_TYPE] == "SPOT"


def test_mixed_policy_splits_in_favour_of_on_demand() -> None:
    sim = asg_cluster(spot=0, on_demand=0)
    group = sim.autoscaling.groups_by_name["batch-spot-asg"]
    group.capacity_type = None
    sim.autoscaling.update_group(
        "batch-spot-asg", min_size=None, max_size=None, desired=5, on_demand_base=1, on_demand_percentage=25
    )
    sim.run_for(timedelta(minutes=2))
    kinds = sorted(m.capacity_type for m in group.instances.values())
    # 1 base + ceil(4 × 25 %) = 2 on-demand, 3 spot.
    assert kinds == ["on-demand", "on-demand", "spot", "spot", "spot"]
