"""DescribeSpotPriceHistory in EC2's XML dialect, narrowed and paged by the emulator, parsed by botocore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import T0, Prices


async def test_filters_by_type_zone_and_window_with_the_price_in_force_at_start(
    ec2: Any, prices: Prices
) -> None:
    response = await ec2.describe_spot_price_history(
        InstanceTypes=["m5.large"],
        AvailabilityZone="us-east-1b",
        ProductDescriptions=["Linux/UNIX"],
        StartTime=T0 + timedelta(hours=2, minutes=30),
        EndTime=T0 + timedelta(hours=5),
    )
    rows = response["SpotPriceHistory"]

    assert [r["Timestamp"] for r in rows] == [T0 + timedelta(hours=h) for h in (5, 4, 3, 2)]  # newest first
    assert {(r["InstanceType"], r["AvailabilityZone"], r["ProductDescription"]) for r in rows} == {
        ("m5.large", "us-east-1b", "Linux/UNIX")
    }
    assert [float(r["SpotPrice"]) for r in rows] == pytest.approx([0.045, 0.044, 0.043, 0.042])
    assert rows[0]["SpotPrice"] == "0.045000"
    assert prices.calls[-1][:3] == (("m5.large",), ("us-east-1b",), ("Linux/UNIX",))


async def test_ec2_filters_accept_wildcards(ec2: Any) -> None:
    response = await ec2.describe_spot_price_history(
        Filters=[
            {"Name": "instance-type", "Values": ["c5.*"]},
            {"Name": "availability-zone", "Values": ["*-1a"]},
        ],
        StartTime=T0 + timedelta(hours=23),
    )
    assert {(r["InstanceType"], r["AvailabilityZone"]) for r in response["SpotPriceHistory"]} == {
        ("c5.xlarge", "us-east-1a")
    }

    with pytest.raises(ClientError) as bad:
        await ec2.describe_spot_price_history(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValue"


async def test_pagination_returns_the_whole_history(ec2: Any) -> None:
    paginator = ec2.get_paginator("describe_spot_price_history")
    pages = [
        page
        async for page in paginator.paginate(InstanceTypes=["c5.xlarge"], PaginationConfig={"PageSize": 10})
    ]
    rows = [r for page in pages for r in page["SpotPriceHistory"]]

    assert len(pages) == 5
    assert len(rows) == 48
    assert len({(r["Timestamp"], r["AvailabilityZone"]) for r in rows}) == 48

    with pytest.raises(ClientError) as small:
        await ec2.describe_spot_price_history(MaxResults=2)
    assert small.value.response["Error"]["Code"] == "InvalidParameterValue"


async def test_other_ec2_actions_are_refused_in_ec2_shape(ec2: Any) -> None:
    with pytest.raises(ClientError) as refused:
        await ec2.describe_instances()
    assert refused.value.response["Error"]["Code"] == "InvalidAction"
