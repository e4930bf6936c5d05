"""A running ``AwsEmulator`` over a fake Auto Scaling backend, a virtual clock, and aioboto3 clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import pytest
from botocore.config import Config

from spotvortex.sim.aws import AwsEmulator, SpotPrice, SqsQueues

from .backend import FakeAutoScaling, twin_groups

# One attempt: an emulator bug must fail the test now, not after botocore's retry back-off.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
T0 = datetime(2025, 3, 1, tzinfo=UTC)


class Clock:
    """A monotonic clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Prices:
    """Hourly changes for two types in two zones over a day, cheaper in zone a."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.points = [
            SpotPrice(T0 + timedelta(hours=h), itype, zone, "Linux/UNIX", base + 0.001 * h + bump)
            for h in range(24)
            for itype, base in (("m5.large", 0.03), ("c5.xlarge", 0.06))
            for zone, bump in (("us-east-1a", 0.0), ("us-east-1b", 0.01))
        ]

    def history(
        self,
        instance_types: Any,
        zones: Any,
        products: Any,
        start: datetime | None,
        end: datetime | None,
    ) -> list[SpotPrice]:
        self.calls.append((tuple(instance_types), tuple(zones), tuple(products), start, end))
        return list(self.points)  # deliberately unfiltered: the wire layer must narrow


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend() -> FakeAutoScaling:
    return FakeAutoScaling(twin_groups())


@pytest.fixture
def prices() -> Prices:
    return Prices()


@pytest.fixture
def queues(clock: Clock) -> SqsQueues:
    return SqsQueues(now=clock, epoch=1_740_787_200.0, seed=3)


@pytest.fixture
async def aws(backend: FakeAutoScaling, prices: Prices, queues: SqsQueues) -> AsyncIterator[AwsEmulator]:
    async with AwsEmulator(autoscaling=backend, spot_prices=prices, queues=queues) as emulator:
        yield emulator


@pytest.fixture
def session() -> aioboto3.Session:
    return aioboto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")


@pytest.fixture
async def asg(session: aioboto3.Session, aws: AwsEmulator) -> AsyncIterator[Any]:
    async with session.client("autoscaling", endpoint_url=aws.url, config=CLIENT_CONFIG) as client:
        yield client


@pytest.fixture
async def sqs(session: aioboto3.Session, aws: AwsEmulator) -> AsyncIterator[Any]:
    async with session.client("sqs", endpoint_url=aws.url, config=CLIENT_CONFIG) as client:
        yield client


@pytest.fixture
async def ec2(session: aioboto3.Session, aws: AwsEmulator) -> AsyncIterator[Any]:
    async with session.client("ec2", endpoint_url=aws.url, config=CLIENT_CONFIG) as client:
        yield client
