"""Auto Scaling over the Query protocol, read back by botocore exactly as the router will read AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotvortex.sim.aws import AwsEmulator

from .backend import FakeAutoScaling
from .conftest import CLIENT_CONFIG


def _names(response: dict[str, Any]) -> list[str]:
    return [g["AutoScalingGroupName"] for g in response["AutoScalingGroups"]]


async def test_botocore_parses_every_field_the_backend_provides(asg: Any) -> None:
    response = await asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-spot"])
    (group,) = response["AutoScalingGroups"]

    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 10, 2)
    assert group["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert isinstance(group["CreatedTime"], datetime)
    assert group["CapacityRebalance"] is True
    assert group["AutoScalingGroupARN"].endswith(":autoScalingGroupName/web-spot")
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == {
        "spotvortex.io/pool": "web",
        "spotvortex.io/capacity": "spot",
        "team": "payments",
    }
    assert all(t["ResourceId"] == "web-spot" and t["PropagateAtLaunch"] is True for t in group["Tags"])
    policy = group["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"]["OnDemandBaseCapacity"] == 0
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"
    assert policy["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateName"] == "nodes"
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == [
        "m5.large",
        "m5a.large",
        "m6i.large",
    ]
    assert "LaunchTemplate" not in group  # a mixed policy carries the template, as in AWS
    assert [
        (i["InstanceId"], i["AvailabilityZone"], i["InstanceType"], i["LifecycleState"])
        for i in group["Instances"]
    ] == [
        ("i-0000000000000000a", "us-east-1a", "m5.large", "InService"),
        ("i-0000000000000000b", "us-east-1b", "m5a.large", "InService"),
    ]
    assert group["Instances"][0]["HealthStatus"] == "Healthy"
    assert group["Instances"][0]["ProtectedFromScaleIn"] is False
    assert group["Instances"][0]["LaunchTemplate"]["LaunchTemplateName"] == "nodes"

    plain = (await asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-ondemand"]))[
        "AutoScalingGroups"
    ][0]
    assert "MixedInstancesPolicy" not in plain
    assert plain["LaunchTemplate"]["LaunchTemplateName"] == "nodes"


async def test_tag_filters_select_the_right_twin(asg: Any) -> None:
    spot_web = await asg.describe_auto_scaling_groups(
        Filters=[
            {"Name": "tag:spotvortex.io/pool", "Values": ["web"]},
            {"Name": "tag:spotvortex.io/capacity", "Values": ["spot"]},
        ]
    )
    assert _names(spot_web) == ["web-spot"]

    both_web = await asg.describe_auto_scaling_groups(
        Filters=[{"Name": "tag:spotvortex.io/pool", "Values": ["web"]}]
    )
    assert _names(both_web) == ["web-ondemand", "web-spot"]

    any_spot = await asg.describe_auto_scaling_groups(Filters=[{"Name": "tag-value", "Values": ["spot"]}])
    assert _names(any_spot) == ["batch-spot", "web-spot"]

    keyed = await asg.describe_auto_scaling_groups(
        Filters=[{"Name": "tag-key", "Values": ["team", "purpose"]}]
    )
    assert _names(keyed)[:2] == ["filler-00", "filler-01"]
    assert "web-spot" in _names(keyed)
    assert "web-ondemand" not in _names(keyed)

    named = await asg.describe_auto_scaling_groups(
        AutoScalingGroupNames=["web-spot", "batch-spot", "missing"],
        Filters=[{"Name": "tag:spotvortex.io/pool", "Values": ["batch", "web"]}],
    )
    assert _names(named) == ["batch-spot", "web-spot"]

    with pytest.raises(ClientError) as bad:
        await asg.describe_auto_scaling_groups(Filters=[{"Name": "instance-type", "Values": ["m5.large"]}])
    assert bad.value.response["Error"]["Code"] == "ValidationError"


async def test_pagination_returns_every_group_once(asg: Any) -> None:
    paginator = asg.get_paginator("describe_auto_scaling_groups")
    pages = [page async for page in paginator.paginate(PaginationConfig={"PageSize": 3})]
    names = [name for page in pages for name in _names(page)]

    assert len(pages) == 4
    assert names == sorted(names)
    assert len(names) == len(set(names)) == 10
    assert "NextToken" not in pages[-1]

    with pytest.raises(ClientError) as bad:
        await asg.describe_auto_scaling_groups(NextToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidNextToken"


async def test_set_desired_capacity_enforces_bounds_with_aws_wording(
    asg: Any, backend: FakeAutoScaling
) -> None:
    await asg.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=7)
    assert backend.group("web-spot").desired_capacity == 7

    with pytest.raises(ClientError) as above:
        await asg.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=11)
    assert above.value.response["Error"]["Code"] == "ValidationError"
    assert above.value.response["Error"]["Message"] == (
        "New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup."
    )
    assert above.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    with pytest.raises(ClientError) as below:
        await asg.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=0)
    assert below.value.response["Error"]["Message"] == (
        "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup."
    )

    with pytest.raises(ClientError) as missing:
        await asg.set_desired_capacity(AutoScalingGroupName="nope", DesiredCapacity=1)
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    assert missing.value.response["Error"]["Message"].startswith("AutoScalingGroup name not found")
    assert backend.group("web-spot").desired_capacity == 7


async def test_update_group_changes_bounds_and_purchase_mix(asg: Any, backend: FakeAutoScaling) -> None:
    await asg.update_auto_scaling_group(
        AutoScalingGroupName="web-spot",
        MaxSize=20,
        DesiredCapacity=12,
        MixedInstancesPolicy={
            "InstancesDistribution": {"OnDemandBaseCapacity": 2, "OnDemandPercentageAboveBaseCapacity": 25}
        },
    )
    group = (await asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-spot"]))["AutoScalingGroups"][
        0
    ]
    distribution = group["MixedInstancesPolicy"]["InstancesDistribution"]
    assert (group["MaxSize"], group["DesiredCapacity"]) == (20, 12)
    assert (distribution["OnDemandBaseCapacity"], distribution["OnDemandPercentageAboveBaseCapacity"]) == (
        2,
        25,
    )

    await asg.update_auto_scaling_group(AutoScalingGroupName="web-ondemand", MinSize=3)
    assert backend.group("web-ondemand").desired_capacity == 3  # AWS raises desired to a new minimum

    with pytest.raises(ClientError) as outside:
        await asg.update_auto_scaling_group(AutoScalingGroupName="web-spot", MaxSize=5, DesiredCapacity=6)
    assert outside.value.response["Error"]["Message"] == (
        "Desired capacity:6 must be between the specified min size:1 and max size:5"
    )

    with pytest.raises(ClientError) as unsupported:
        await asg.update_auto_scaling_group(AutoScalingGroupName="web-spot", HealthCheckType="ELB")
    assert "HealthCheckType" in unsupported.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as missing:
        await asg.update_auto_scaling_group(AutoScalingGroupName="nope", MinSize=0)
    assert missing.value.response["Error"]["Code"] == "ValidationError"


async def test_terminate_with_decrement_lowers_desired_and_returns_an_activity(
    asg: Any, backend: FakeAutoScaling
) -> None:
    response = await asg.terminate_instance_in_auto_scaling_group(
        InstanceId="i-0000000000000000b", ShouldDecrementDesiredCapacity=True
    )
    activity = response["Activity"]

    assert backend.group("web-spot").desired_capacity == 1
    assert activity["AutoScalingGroupName"] == "web-spot"
    assert activity["Description"] == "Terminating EC2 instance: i-0000000000000000b"
    assert "shrinking the capacity from 2 to 1" in activity["Cause"]
    assert isinstance(activity["StartTime"], datetime)
    assert (activity["StatusCode"], activity["Progress"]) == ("InProgress", 0)

    with pytest.raises(ClientError) as at_min:
        await asg.terminate_instance_in_auto_scaling_group(
            InstanceId="i-0000000000000000a", ShouldDecrementDesiredCapacity=True
        )
    assert at_min.value.response["Error"]["Message"].startswith("Currently, desiredSize equals minSize (1).")

    with pytest.raises(ClientError) as unknown:
        await asg.terminate_instance_in_auto_scaling_group(
            InstanceId="i-ffffffffffffffff0", ShouldDecrementDesiredCapacity=False
        )
    assert unknown.value.response["Error"]["Code"] == "ValidationError"


async def test_describe_instances_by_id(asg: Any) -> None:
    response = await asg.describe_auto_scaling_instances(
        InstanceIds=["i-0000000000000000c", "i-0000000000000000a"]
    )
    rows = response["AutoScalingInstances"]

    assert [(r["InstanceId"], r["AutoScalingGroupName"]) for r in rows] == [
        ("i-0000000000000000a", "web-spot"),
        ("i-0000000000000000c", "web-ondemand"),
    ]
    assert rows[0]["HealthStatus"] == "HEALTHY"
    everything = await asg.describe_auto_scaling_instances()
    assert len(everything["AutoScalingInstances"]) == 3


async def test_without_a_backend_the_account_has_no_groups(session: Any) -> None:
    async with (
        AwsEmulator() as empty,
        session.client("autoscaling", endpoint_url=empty.url, config=CLIENT_CONFIG) as client,
    ):
        assert (await client.describe_auto_scaling_groups())["AutoScalingGroups"] == []
        assert (await client.describe_auto_scaling_instances())["AutoScalingInstances"] == []
        with pytest.raises(ClientError) as missing:
            await client.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=1)
        assert missing.value.response["Error"]["Code"] == "ValidationError"
        with pytest.raises(ClientError):
            await client.terminate_instance_in_auto_scaling_group(
                InstanceId="i-0000000000000000a", ShouldDecrementDesiredCapacity=False
            )
