"""Graceful shutdown: stop fetching, finish the message in hand (and ack it), then close."""

from __future__ import annotations

import asyncio

import nats
from tests.runtime.support import consumer, one_subscription, proposal, settings

from spotvortex.contracts import ProposedAction, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.service import ServiceContext, ServiceRunner


async def test_stop_finishes_in_flight_work_and_acks_it(nats_url: str, cluster: str) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(event: ProposedAction, _d: Delivery, _c: ServiceContext) -> None:
        started.set()
        await release.wait()
        finished.append(event.decision_id)

    spec = consumer(cluster, "action", "slow", ack_wait_seconds=30)
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), slow), settings(nats_url, cluster)
    )
    await runner.start()
    assert runner.context is not None
    await runner.context.publisher.publish(subjects.pool(cluster, PoolKind.ACTION, "p"), proposal(cluster, 1))
    await asyncio.wait_for(started.wait(), 10)

    stopping = asyncio.create_task(runner.stop())
    await asyncio.wait_for(runner._worker_stop.wait(), 5)  # the workers were told to stop ...
    await asyncio.sleep(0)
    assert not stopping.done(), "... and stop still waits for the handler in flight"
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == ["d-1"]

    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(spec.stream, spec.durable)
        assert info.num_ack_pending == 0
        assert info.num_pending == 0
        assert info.delivered.consumer_seq == 1
    finally:
        await nc.close()
