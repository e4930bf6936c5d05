"""Two runners contend for one per-cluster lease: exactly one works; when it dies the other takes over."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import msgspec
from tests.runtime.support import consumer, one_subscription, settings

from spotvortex.contracts import ProposedAction, jetstream
from spotvortex.contracts.tokens import encode_token
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.lease import LeaseRecord
from spotvortex.runtime.service import ServiceContext, ServiceRunner, ServiceSpec, Workers

TTL = 1.5


async def _noop(_e: ProposedAction, _d: Delivery, _c: ServiceContext) -> None:
    return None


def _runner(url: str, cluster: str, instance: str) -> ServiceRunner:
    spec = one_subscription(
        "router",
        consumer(cluster, "approved", "leased"),
        decoder_for(ProposedAction),
        _noop,
        needs_lease=True,
    )
    return ServiceRunner(spec, settings(url, cluster, instance=instance, lease_ttl_seconds=TTL))


async def _holder_and_standby(url: str, cluster: str) -> tuple[ServiceRunner, ServiceRunner]:
    """Start ``a``, wait until it works (so it holds the lease), then start ``b``."""
    a, b = _runner(url, cluster, "a"), _runner(url, cluster, "b")
    await a.start()
    await asyncio.wait_for(a.working.wait(), 5)
    await b.start()
    return a, b


async def _crash(runner: ServiceRunner) -> None:
    """Die without releasing anything: tasks cancelled, connection dropped."""
    tasks = [t for t in (runner._supervisor, runner._lease_task, *runner._tasks) if t is not None]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert runner.context is not None
    await runner.context.bus.nc.close()
    assert runner.http is not None
    await runner.http.stop()


async def test_exactly_one_holder_and_takeover_within_ttl(nats_url: str, cluster: str) -> None:
    a, b = await _holder_and_standby(nats_url, cluster)
    try:
        assert b.lease is not None
        assert a.lease is not None
        record = await b.lease.current()
        assert record is not None
        assert record.holder == "a"
        assert not b.working.is_set()
        assert not b.lease.held

        loop = asyncio.get_running_loop()
        died = loop.time()
        await _crash(a)
        await asyncio.wait_for(b.working.wait(), TTL + 2)
        took = loop.time() - died
        assert took <= TTL + 0.3, f"takeover took {took:.2f}s with a {TTL}s TTL"
        record = await b.lease.current()
        assert record is not None
        assert record.holder == "b"
        assert record.transitions == 2
    finally:
        await b.stop()


async def test_holder_that_loses_the_lease_stops_working(nats_url: str, cluster: str) -> None:
    a = _runner(nats_url, cluster, "a")
    await a.start()
    try:
        await asyncio.wait_for(a.working.wait(), 5)
        assert a.context is not None
        assert a.lease is not None
        kv = a.context.buckets[jetstream.leases_bucket(cluster)]
        # another replica took the lease over (say, after a partition that outlived the TTL)
        now = datetime.now(UTC)
        usurper = LeaseRecord(
            holder="z", acquired_at=now, renewed_at=now + timedelta(hours=1), ttl_seconds=60
        )
        await kv.put(encode_token(a.lease.name), msgspec.json.encode(usurper))
        await asyncio.wait_for(a.lease.lost.wait(), TTL + 1)
        await asyncio.wait_for(a.idle.wait(), 5)
        assert not a.working.is_set()
        assert not a.lease.held
        assert a._tasks == []
        assert all(loop.stats.in_flight == 0 for loop in a.loops)
    finally:
        await a.stop()


async def test_clean_stop_releases_the_lease_at_once(nats_url: str, cluster: str) -> None:
    a, b = await _holder_and_standby(nats_url, cluster)
    try:
        loop = asyncio.get_running_loop()
        stopped = loop.time()
        await a.stop()
        await asyncio.wait_for(b.working.wait(), TTL + 2)
        assert loop.time() - stopped < TTL
    finally:
        await b.stop()


async def test_a_service_whose_workers_cannot_be_built_stops_and_says_why(
    nats_url: str, cluster: str
) -> None:
    async def build(_: ServiceContext) -> Workers:
        raise ValueError("model files do not match the manifest")

    runner = ServiceRunner(ServiceSpec(name="broken", build=build), settings(nats_url, cluster))
    await asyncio.wait_for(runner.run_until_signalled(), 10)
    assert isinstance(runner.failure, ValueError)
    assert not runner.working.is_set()


async def test_a_worker_that_dies_stops_the_service(nats_url: str, cluster: str) -> None:
    async def doomed(_: ServiceContext, stop: asyncio.Event) -> None:
        raise RuntimeError("watch loop broke")

    async def build(_: ServiceContext) -> Workers:
        return Workers(background=[doomed])

    runner = ServiceRunner(ServiceSpec(name="fragile", build=build), settings(nats_url, cluster))
    await asyncio.wait_for(runner.run_until_signalled(), 10)
    assert isinstance(runner.failure, RuntimeError)


async def test_a_stop_during_start_up_is_not_held_up_by_an_unreachable_nats(cluster: str) -> None:
    async def build(_: ServiceContext) -> Workers:
        return Workers()

    runner = ServiceRunner(ServiceSpec(name="patient", build=build), settings("nats://127.0.0.1:1", cluster))
    running = asyncio.create_task(runner.run_until_signalled())
    await asyncio.sleep(0.3)  # let it start retrying the connection
    runner.request_stop()
    await asyncio.wait_for(running, 5)
    assert not runner.working.is_set()
