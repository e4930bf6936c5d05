"""The replay on a real nats-server: paced by the injected clock, de-duplicated by JetStream, stoppable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from nats.aio.subscription import Subscription

from spotvortex.contracts import subjects
from spotvortex.contracts.codec import decode
from spotvortex.contracts.jetstream import MARKET_STREAM, market_stream_spec
from spotvortex.contracts.market import MarketCapacity, MarketEvent, MarketPrice
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.clock import VirtualClock, WallClock
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.provision import ensure_stream
from spotvortex.runtime.publisher import MSG_ID, Publisher
from spotvortex.runtime.tracing import default_tracer
from spotvortex.sim.feed import MarketReplay, ReplayStats, kind_of, run_replay
from tests.helpers import eventually

T0 = datetime(2021, 3, 2, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def region() -> str:
    """A region (and so zones and fact ids) no other test uses, so tests can share a NATS server."""
    return f"t-{uuid.uuid4().hex[:10]}"


def market(region: str) -> list[MarketEvent]:
    """Five events spread over an hour: at speed 60 they are due at 0, 0, 1, 60 and 60.5 clock seconds."""
    zone = f"{region}a"
    return [
        MarketPrice(instance_type="c5.large", zone=zone, spot_price=0.03, time=T0),
        MarketPrice(instance_type="m5.large", zone=zone, spot_price=0.04, on_demand_price=0.096, time=T0),
        MarketCapacity(instance_type="m5.large", zone=zone, available=False, time=T0 + 60 * SECOND),
        MarketPrice(instance_type="m5.large", zone=zone, spot_price=0.09, time=T0 + 3600 * SECOND),
        MarketCapacity(instance_type="m5.large", zone=zone, available=True, time=T0 + 3630 * SECOND),
    ]


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[Bus]:
    bus = await Bus.connect(NatsSettings(servers=[nats_url]), "feed-test", RuntimeMetrics("feed-test"))
    await ensure_stream(bus.js, market_stream_spec())
    yield bus
    await bus.close()


@pytest.fixture
def publisher(bus: Bus) -> Publisher:
    return Publisher(bus.js, RuntimeMetrics("feed-test"), default_tracer("feed-test"))


async def stored(bus: Bus, region: str) -> int:
    info = await bus.js.stream_info(MARKET_STREAM, subjects_filter=subjects.market_all(region))
    return sum((info.state.subjects or {}).values())


async def receive(sub: Subscription, region: str) -> MarketEvent:
    """The next message, checked to be on its kind's subject and decodable with the contract codec."""
    msg = await sub.next_msg(timeout=5)
    kind = subjects.parse(msg.subject).kind
    event: MarketEvent = (
        decode(msg.data, MarketPrice) if kind == "price" else decode(msg.data, MarketCapacity)
    )
    assert msg.subject == subjects.market(region, kind_of(event))
    return event


async def parked_until(clock: VirtualClock, deadline: float) -> None:
    """Wait for the replay to be asleep on ``clock`` until ``deadline`` (nothing signals that, so poll)."""
    await eventually(lambda: clock.next_deadline == pytest.approx(deadline), timeout=5)


async def test_events_go_out_at_their_virtual_times_in_order(
    bus: Bus, publisher: Publisher, region: str
) -> None:
    events = market(region)
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    sub = await bus.nc.subscribe(subjects.market_all(region))
    progress: list[tuple[int, datetime | None]] = []
    replay = MarketReplay(
        publisher,
        region,
        clock,
        speed=60,
        progress=lambda s: progress.append((s.total, s.sim_time)),
        progress_every=2,
    )
    task = asyncio.create_task(replay.run(events))

    assert [await receive(sub, region) for _ in range(2)] == events[:2]  # due at once
    await parked_until(clock, 1.0)  # one simulated minute = one clock second at speed 60
    assert await clock.advance(0.999) == 0
    assert replay.stats.total == 2
    await clock.advance(0.001)
    assert await receive(sub, region) == events[2]
    await parked_until(clock, 60.0)
    await clock.advance(59.0)
    assert await receive(sub, region) == events[3]
    await parked_until(clock, 60.5)
    await clock.advance(0.5)
    assert await receive(sub, region) == events[4]

    stats = await asyncio.wait_for(task, timeout=5)
    assert stats.published == {"price": 3, "interruption": 0, "rebalance": 0, "capacity": 2}
    assert (stats.total, stats.duplicates, stats.stopped, stats.sim_time) == (5, 0, False, events[4].time)
    assert progress == [(2, T0), (4, T0 + 3600 * SECOND)]
    assert sub.pending_msgs == 0
    await sub.unsubscribe()


async def test_replaying_the_same_events_is_deduplicated_by_jetstream(
    bus: Bus, publisher: Publisher, region: str
) -> None:
    events = market(region)
    first = await MarketReplay(publisher, region, WallClock(), speed=None).run(events)
    second = await MarketReplay(publisher, region, WallClock(), speed=float("inf")).run(events)
    assert (first.total, first.duplicates) == (5, 0)
    assert (second.total, second.duplicates) == (5, 5)
    assert await stored(bus, region) == 5

    ordered = await bus.js.subscribe(subjects.market_all(region), ordered_consumer=True)
    for expected in events:  # the stream holds each fact once, in time order, keyed by its fact id
        msg = await ordered.next_msg(timeout=5)
        assert (msg.headers or {}).get(MSG_ID) == expected.fact_id()
        assert msg.subject == subjects.market(region, kind_of(expected))
        assert decode(msg.data, type(expected)) == expected
    await ordered.unsubscribe()


async def test_restamped_events_carry_the_clock_time_and_are_new_facts(
    bus: Bus, publisher: Publisher, region: str
) -> None:
    events = market(region)
    await MarketReplay(publisher, region, WallClock(), speed=None).run(events)
    now = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    clock = VirtualClock(now)
    sub = await bus.nc.subscribe(subjects.market_all(region))
    task = asyncio.create_task(MarketReplay(publisher, region, clock, speed=60, restamp=True).run(events))
    assert [(await receive(sub, region)).time for _ in range(2)] == [now, now]
    await parked_until(clock, 1.0)
    await clock.advance(1.0)
    capacity = await receive(sub, region)
    assert capacity == MarketCapacity(
        instance_type="m5.large", zone=f"{region}a", available=False, time=now + SECOND
    )
    await parked_until(clock, 60.0)
    await clock.advance(60.5)
    stats = await asyncio.wait_for(task, timeout=5)
    assert (stats.total, stats.duplicates, stats.sim_time) == (5, 0, events[-1].time)
    assert await stored(bus, region) == 10
    await sub.unsubscribe()


@pytest.mark.parametrize("virtual", [True, False])
async def test_stop_ends_a_sleeping_replay_promptly(publisher: Publisher, region: str, virtual: bool) -> None:
    clock = VirtualClock(T0) if virtual else WallClock()
    events = market(region)
    replay = MarketReplay(publisher, region, clock, speed=1)  # the next event is a real minute away
    stop = asyncio.Event()
    task = asyncio.create_task(replay.run(events, stop=stop))
    await eventually(lambda: replay.stats.total == 2, timeout=5)
    stop.set()
    stats = await asyncio.wait_for(task, timeout=1)
    assert (stats.stopped, stats.total) == (True, 2)

    stopped = await MarketReplay(publisher, region, clock, speed=1).run(events, stop=stop)
    assert (stopped.stopped, stopped.total) == (True, 0)  # already stopped: publishes nothing


async def test_run_replay_provisions_the_market_stream_and_replays(nats_url: str, region: str) -> None:
    events = market(region)
    seen: list[ReplayStats] = []
    stats = await run_replay(nats_url, region, events, None, progress=seen.append, progress_every=5)
    assert (stats.total, stats.duplicates, stats.stopped) == (5, 0, False)
    assert [s.total for s in seen] == [5]
    bus = await Bus.connect(NatsSettings(servers=[nats_url]), "feed-check", RuntimeMetrics("feed-check"))
    try:
        info = await bus.js.stream_info(MARKET_STREAM)
        assert info.config.subjects == market_stream_spec().subjects
        assert await stored(bus, region) == 5
    finally:
        await bus.close()
