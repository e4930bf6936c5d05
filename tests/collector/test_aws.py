"""The AWS inputs against the project's AWS emulator: spot price history and the interruption queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spotvortex.collector import AwsSettings
from spotvortex.sim.aws import AwsEmulator, SpotPrice, SqsQueues, events
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .support import Tap, collector_settings, populate, running, web

QUEUE = "spot-interruptions"


class RecentPrices:
    """Spot price changes every ten minutes over the last two hours, per (type, zone); calls are recorded."""

    def __init__(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.latest = now - timedelta(minutes=1)
        self.calls: list[datetime | None] = []
        self.points = [
            SpotPrice(
                self.latest - timedelta(minutes=10 * k), itype, zone, "Linux/UNIX", 0.030 + 0.001 * k + bump
            )
            for k in range(12)
            for itype in ("m5.large", "c5.large")
            for zone, bump in (("us-east-1a", 0.0), ("us-east-1b", 0.005), ("us-east-1c", 0.01))
        ]

    def history(
        self,
        instance_types: Sequence[str],
        zones: Sequence[str],
        products: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> Sequence[SpotPrice]:
        self.calls.append(start)
        return self.points


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(bookmark_interval=0.2) as emulator:
        populate(emulator)
        yield emulator


@pytest.fixture
def prices() -> RecentPrices:
    return RecentPrices()


@pytest.fixture
async def aws(prices: RecentPrices, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AwsEmulator]:
    # any credentials do (the emulator checks no signature); none may come from this machine's AWS config
    for var, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(var, value)
    async with AwsEmulator(spot_prices=prices, queues=SqsQueues()) as emulator:
        emulator.queues.create(QUEUE)
        yield emulator


def aws_settings(aws: AwsEmulator, **overrides: Any) -> AwsSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "endpoint_url": aws.url,
        "queue_name": QUEUE,
        "queue_wait_seconds": 1,
        "price_poll_seconds": 0.3,
        "error_backoff_seconds": 0.2,
    }
    values.update(overrides)
    return AwsSettings(**values)


def queue_empty(aws: AwsEmulator) -> bool:
    counts = aws.queues.attributes(QUEUE)
    return (
        counts["ApproximateNumberOfMessages"] == "0"
        and counts["ApproximateNumberOfMessagesNotVisible"] == "0"
    )


async def test_spot_price_history_fills_the_window(
    nats_url: str, cluster: str, kube: KubeEmulator, aws: AwsEmulator, prices: RecentPrices
) -> None:
    settings = collector_settings(nats_url, cluster, kube.url, aws=aws_settings(aws))
    async with Tap.on(nats_url, cluster) as tap, running(settings):
        priced = await tap.until(lambda t: web(t) and len(t.market) == 3)
        await eventually(lambda: len(prices.calls) >= 2)

    by_zone = {s.zone: s for s in priced.market}
    assert sorted(by_zone) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert {s.instance_type for s in priced.market} == {"m5.large"}  # the pool's type only
    a = by_zone["us-east-1a"]
    assert a.spot_price == pytest.approx(0.030)
    assert a.prices[-1].time == prices.latest
    # every change of the risk window (all two hours of them: the window is six)
    assert len(a.prices) == 12
    assert a.prices[0].time == prices.latest - timedelta(minutes=110)
    assert by_zone["us-east-1c"].spot_price == pytest.approx(0.040)
    first, second = prices.calls[0], prices.calls[1]
    assert first is not None
    assert second is not None
    assert second > first  # later polls ask only for what changed since the last one


async def test_queue_interruption_takes_the_fast_path_and_is_deleted(
    nats_url: str, cluster: str, kube: KubeEmulator, aws: AwsEmulator
) -> None:
    settings = collector_settings(nats_url, cluster, kube.url, cadence=3600, aws=aws_settings(aws))
    async with Tap.on(nats_url, cluster) as tap, running(settings):
        await tap.until(lambda t: web(t) and t.trigger == "startup")
        warning = events.spot_interruption_warning(
            "i-0000000000000aaa1", region="us-east-1", account=aws.account_id, time=datetime.now(UTC)
        )
        aws.queues.send(QUEUE, events.message_body(warning))
        hit = await tap.until(lambda t: t.trigger == "interruption")
        await eventually(lambda: queue_empty(aws))
    assert hit.pool == "web"
    assert hit.nodes.interruption_pending == 1
    assert [(s.zone, s.interruptions_1h) for s in hit.market if s.interruptions_1h] == [("us-east-1a", 1)]


async def test_malformed_queue_messages_are_dead_lettered_and_deleted(
    nats_url: str, cluster: str, kube: KubeEmulator, aws: AwsEmulator
) -> None:
    settings = collector_settings(nats_url, cluster, kube.url, aws=aws_settings(aws))
    async with Tap.on(nats_url, cluster) as tap, running(settings):
        await tap.until(web)
        aws.queues.send(QUEUE, '{"detail-type": "EC2 Spot Instance Interruption Warning", "detail": {}}')
        change = events.instance_state_change(
            "i-1", "running", region="us-east-1", account="1", time=datetime.now(UTC)
        )
        aws.queues.send(QUEUE, events.message_body(change))  # not an error: simply of no interest
        letter = await tap.letter()
        await eventually(lambda: queue_empty(aws))
    assert letter.reason == "invalid"
    assert letter.field == "detail.instance-id"
    assert letter.subject.endswith(f"/{QUEUE}")
    assert b"Interruption Warning" in letter.payload
    assert tap.letters.empty()
