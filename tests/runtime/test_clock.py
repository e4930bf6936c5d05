from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from spotvortex.runtime.clock import ScaledClock, VirtualClock, WallClock, sleep_or_stop

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_virtual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = VirtualClock(T0)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in [("c", 30), ("a", 10), ("b", 20)]]
    await asyncio.sleep(0)
    assert clock.next_deadline == 10
    assert await clock.advance(15) == 1
    assert [n for n, _ in woke] == ["a"]
    assert woke[0][1] == T0 + timedelta(seconds=10)
    await clock.advance(100)
    await asyncio.gather(*tasks)
    assert woke == [
        ("a", T0 + timedelta(seconds=10)),
        ("b", T0 + timedelta(seconds=20)),
        ("c", T0 + timedelta(seconds=30)),
    ]
    assert clock.now() == T0 + timedelta(seconds=115)


def test_virtual_clock_rejects_naive_origin_and_going_back() -> None:
    with pytest.raises(ValueError, match="timezone"):
        VirtualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="backwards"):
        asyncio.run(VirtualClock(T0).advance(-1))


async def test_scaled_clock_runs_faster() -> None:
    clock = ScaledClock(600.0, origin=T0)
    start = clock.monotonic()
    await clock.sleep(60)  # 0.1 s of wall time
    elapsed = clock.monotonic() - start
    assert 60 <= elapsed < 600
    assert clock.now() >= T0 + timedelta(seconds=60)


async def test_sleep_or_stop_returns_early_when_stopped() -> None:
    stop = asyncio.Event()
    clock = VirtualClock(T0)
    task = asyncio.create_task(sleep_or_stop(clock, 3600, stop))
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(task, 1) is True
    assert await sleep_or_stop(WallClock(), 0.001, asyncio.Event()) is False


async def test_scaled_clocks_with_one_origin_agree_whenever_they_start() -> None:
    """The local stack starts its processes seconds apart; a shared origin keeps them on one time line."""
    origin = datetime.now(UTC) - timedelta(seconds=2)
    first = ScaledClock(60.0, origin)
    await asyncio.sleep(0.05)
    second = ScaledClock(60.0, origin)
    gap = abs((second.now() - first.now()).total_seconds())
    assert gap < 60 * 0.05  # less than the wall time between the two reads, scaled
    assert (first.now() - origin).total_seconds() >= 60 * 2
