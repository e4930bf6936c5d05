"""Pacing rules of the replay that need no server: deadlines are absolute, late and timeless events go at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from nats.js.api import PubAck

from spotvortex.contracts.base import Event
from spotvortex.contracts.market import MarketPrice
from spotvortex.contracts.tokens import TokenError
from spotvortex.runtime.clock import VirtualClock
from spotvortex.sim.feed import MarketReplay
from tests.helpers import eventually

T0 = datetime(2021, 3, 2, tzinfo=UTC)


class Recorder:
    """Stands in for the runtime Publisher; notes the clock time of every publish."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, str, Event]] = []

    async def publish(self, subject: str, event: Event) -> PubAck:
        self.sent.append((self.clock.monotonic(), subject, event))
        return PubAck(stream="S", seq=len(self.sent))


def price(minutes: float | None, spot: float = 0.1) -> MarketPrice:
    when = None if minutes is None else T0 + timedelta(minutes=minutes)
    return MarketPrice(instance_type="m5.large", zone="us-east-1a", spot_price=spot, time=when)


async def test_sim_start_sets_the_origin_and_late_or_timeless_events_go_at_once() -> None:
    clock = VirtualClock(T0)
    sink = Recorder(clock)
    events = [price(10), price(None, 0.2), price(5, 0.3), price(20, 0.4)]
    task = asyncio.create_task(
        MarketReplay(sink, "us-east-1", clock, speed=60).run(events, sim_start=T0)  # 1 minute per second
    )
    await eventually(lambda: clock.next_deadline == 10.0)
    await clock.advance(10.0)
    await eventually(lambda: clock.next_deadline == 20.0)
    assert [(at, e.spot_price) for at, _, e in sink.sent] == [(10.0, 0.1), (10.0, 0.2), (10.0, 0.3)]  # type: ignore[attr-defined]
    await clock.advance(10.0)
    stats = await asyncio.wait_for(task, timeout=2)
    assert [at for at, _, _ in sink.sent] == [10.0, 10.0, 10.0, 20.0]
    assert {subject for _, subject, _ in sink.sent} == {"spotvortex.market.us-east-1.price"}
    assert (stats.total, stats.sim_time) == (4, T0 + timedelta(minutes=20))


@pytest.mark.parametrize("speed", [0, -1.0, float("nan")])
def test_speed_must_be_positive(speed: float) -> None:
    clock = VirtualClock(T0)
    with pytest.raises(ValueError, match="speed must be positive"):
        MarketReplay(Recorder(clock), "us-east-1", clock, speed=speed)


def test_region_must_be_one_subject_token() -> None:
    clock = VirtualClock(T0)
    with pytest.raises(TokenError):
        MarketReplay(Recorder(clock), "us.east", clock)
