"""The consumer loop against a real nats-server: raw JSON, poison messages, retries, DLQ, de-duplication."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import nats
import pytest
from tests.runtime.support import consumer, one_subscription, proposal, settings

from spotvortex.contracts import (
    DeadLetter,
    MarketInterruption,
    MarketPrice,
    ProposedAction,
    decode,
    encode,
    jetstream,
    subjects,
)
from spotvortex.contracts.subjects import MarketKind, PoolKind
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.errors import PermanentError, TransientError
from spotvortex.runtime.provision import ensure_all
from spotvortex.runtime.service import ServiceContext, ServiceRunner

REGION = "us-east-1"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def market_decoder(subject: str, data: bytes) -> MarketPrice | MarketInterruption:
    kind = subjects.parse(subject).kind
    return decode(data, MarketInterruption if kind == "interruption" else MarketPrice)


async def _dlq_subscription(nc: nats.NATS, cluster: str, service: str) -> asyncio.Queue[DeadLetter]:
    letters: asyncio.Queue[DeadLetter] = asyncio.Queue()

    async def on_letter(msg: nats.aio.msg.Msg) -> None:
        await letters.put(decode(msg.data, DeadLetter))

    await nc.subscribe(subjects.dlq(cluster, service), cb=on_letter)
    await nc.flush()
    return letters


async def test_raw_json_without_headers_is_accepted_and_poison_goes_to_dlq(
    nats_url: str, cluster: str
) -> None:
    received: asyncio.Queue[MarketPrice | MarketInterruption] = asyncio.Queue()

    async def handler(event: MarketPrice | MarketInterruption, _d: Delivery, _c: ServiceContext) -> None:
        await received.put(event)

    spec = jetstream.consumer_specs(cluster, REGION)["collector"][0]
    runner = ServiceRunner(
        one_subscription("collector", spec, market_decoder, handler), settings(nats_url, cluster)
    )
    await runner.start()
    nc = await nats.connect(nats_url)
    try:
        letters = await _dlq_subscription(nc, cluster, "collector")
        price = subjects.market(REGION, MarketKind.PRICE)
        # exactly what `nats pub` sends: a plain core publish, no headers
        await nc.publish(price, b'{"instance_type":"m5.large","zone":"us-east-1a","spot_price":0.04}')
        await nc.publish(price, b'{"instance_type":"m5.large","zone":"us-east-1a","spot_price":"cheap"}')
        await nc.publish(price, b"{oops")
        await nc.publish(
            subjects.market(REGION, MarketKind.INTERRUPTION), b'{"zone":"us-east-1a","node":"ip-10-0-0-1"}'
        )

        first = await asyncio.wait_for(received.get(), 10)
        assert isinstance(first, MarketPrice)
        assert first.spot_price == 0.04

        invalid = await asyncio.wait_for(letters.get(), 10)
        assert invalid.reason == "invalid"
        assert invalid.field == "spot_price"
        assert invalid.payload == b'{"instance_type":"m5.large","zone":"us-east-1a","spot_price":"cheap"}'
        assert invalid.subject == price
        undecodable = await asyncio.wait_for(letters.get(), 10)
        assert undecodable.reason == "undecodable"
        assert undecodable.payload == b"{oops"

        after_poison = await asyncio.wait_for(received.get(), 10)
        assert isinstance(after_poison, MarketInterruption)
        assert after_poison.node == "ip-10-0-0-1"

        info = await runner.context.bus.js.consumer_info(spec.stream, spec.durable)  # type: ignore[union-attr]
        assert info.num_pending == 0
        assert runner.loops[0].stats.dead_lettered == 2
    finally:
        await nc.close()
        await runner.stop()


async def test_transient_failure_is_retried_with_backoff(nats_url: str, cluster: str) -> None:
    deliveries: list[tuple[int, float]] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def flaky(event: ProposedAction, delivery: Delivery, _c: ServiceContext) -> None:
        deliveries.append((delivery.num_delivered, loop.time()))
        if delivery.num_delivered < 3:
            raise TransientError("dependency down")
        done.set()

    spec = consumer(cluster, "action", "flaky", backoff_seconds=[0.3, 0.6, 0.6, 0.6, 0.6])
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), flaky), settings(nats_url, cluster)
    )
    await runner.start()
    try:
        await runner.context.publisher.publish(
            subjects.pool(cluster, PoolKind.ACTION, "p"), proposal(cluster, 1)
        )  # type: ignore[union-attr]
        await asyncio.wait_for(done.wait(), 10)
        assert [n for n, _ in deliveries] == [1, 2, 3]
        gaps = [b - a for (_, a), (_, b) in itertools.pairwise(deliveries)]
        assert gaps[0] >= 0.3 * 0.9
        assert gaps[1] >= 0.6 * 0.9
        assert runner.loops[0].stats.retried == 2
        assert runner.loops[0].stats.dead_lettered == 0
    finally:
        await runner.stop()


@pytest.mark.parametrize(
    ("error", "reason", "deliveries"),
    [(PermanentError("cannot act on this"), "rejected", 1), (RuntimeError("boom"), "max-deliver", 3)],
)
async def test_handler_failures_end_in_the_dlq(
    nats_url: str, cluster: str, error: Exception, reason: str, deliveries: int
) -> None:
    seen: list[int] = []

    async def failing(_e: ProposedAction, delivery: Delivery, _c: ServiceContext) -> None:
        seen.append(delivery.num_delivered)
        raise error

    spec = consumer(cluster, "action", "failing", max_deliver=3, backoff_seconds=[0.1, 0.1, 0.1])
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), failing), settings(nats_url, cluster)
    )
    await runner.start()
    nc = await nats.connect(nats_url)
    try:
        letters = await _dlq_subscription(nc, cluster, "gates")
        await runner.context.publisher.publish(
            subjects.pool(cluster, PoolKind.ACTION, "p"), proposal(cluster, 2)
        )  # type: ignore[union-attr]
        letter = await asyncio.wait_for(letters.get(), 10)
        assert letter.reason == reason
        assert letter.num_delivered == deliveries
        assert seen == list(range(1, deliveries + 1))
        assert decode(letter.payload, ProposedAction).decision_id == "d-2"
        assert letter.headers["Nats-Msg-Id"] == "action:d-2"
    finally:
        await nc.close()
        await runner.stop()


async def test_same_msg_id_is_stored_once(nats_url: str, cluster: str) -> None:
    async def ignore(*_: object) -> None:
        return None

    spec = consumer(cluster, "action", "noop")
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), ignore), settings(nats_url, cluster)
    )
    await runner.start()
    try:
        publisher = runner.context.publisher  # type: ignore[union-attr]
        subject = subjects.pool(cluster, PoolKind.ACTION, "p")
        first = await publisher.publish(subject, proposal(cluster, 7))
        second = await publisher.publish(subject, proposal(cluster, 7))
        third = await publisher.publish(subject, proposal(cluster, 8))
        assert not first.duplicate
        assert second.duplicate
        assert second.seq == first.seq
        assert third.seq == first.seq + 1
        info = await runner.context.bus.js.stream_info(jetstream.decisions_stream(cluster))  # type: ignore[union-attr]
        assert info.state.messages == 2
    finally:
        await runner.stop()


async def test_fetch_batch_setting_bounds_messages_in_hand(nats_url: str, cluster: str) -> None:
    first, release = asyncio.Event(), asyncio.Event()

    async def blocking(_e: ProposedAction, _d: Delivery, _c: ServiceContext) -> None:
        first.set()
        await release.wait()

    spec = consumer(cluster, "action", "batched", ack_wait_seconds=30)
    nc = await nats.connect(nats_url)  # all ten are stored before the consumer's first fetch
    try:
        js = nc.jetstream()
        await ensure_all(js, jetstream.cluster_stream_specs(cluster), [], [])
        for i in range(10):
            body = encode(proposal(cluster, i))
            await js.publish(subjects.pool(cluster, PoolKind.ACTION, "p"), body)
    finally:
        await nc.close()
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), blocking),
        settings(nats_url, cluster, fetch_batch=3),
    )
    await runner.start()
    assert runner.context is not None
    try:
        await asyncio.wait_for(first.wait(), 10)
        info = await runner.context.bus.js.consumer_info(spec.stream, spec.durable)
        assert info.num_ack_pending == 3
        assert info.num_pending == 7
    finally:
        release.set()
        await runner.stop()
