"""Clocks that cores and services receive instead of reading time themselves (DESIGN §2.2).

``WallClock`` serves production, ``ScaledClock`` runs demos faster than real time, and ``VirtualClock`` lets
the simulator and tests move time by hand: sleepers wake exactly when virtual time passes their deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale of this clock (for durations and deadlines)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time that runs ``factor`` times faster than the wall clock since the wall-clock instant ``origin``.

    ``origin`` is an anchor shared in wall time, not the start of this object: two processes built with the
    same origin and factor tell the same time, whenever each of them started (the local stack relies on it).
    """

    def __init__(self, factor: float, origin: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("a scaled clock needs a positive factor")
        self.factor = factor
        self._origin = origin or datetime.now(UTC)
        already = max(0.0, time.time() - self._origin.timestamp())
        self._start = time.monotonic() - already

    def monotonic(self) -> float:
        return (time.monotonic() - self._start) * self.factor

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.factor)


class VirtualClock:
    """Time that only moves when :meth:`advance` is called; sleepers wake in deadline order."""

    def __init__(self, origin: datetime) -> None:
        if origin.tzinfo is None:
            raise ValueError("a virtual clock needs a timezone-aware origin")
        self._origin = origin
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._seq), future))
        await future

    @property
    def next_deadline(self) -> float | None:
        """The elapsed time at which the earliest sleeper wakes, if any."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def advance(self, seconds: float) -> int:
        """Move time forward deadline by deadline, letting each woken task run at its own wake-up time.

        Returns how many sleepers woke. A woken task that sleeps again within the window is woken too.
        """
        if seconds < 0:
            raise ValueError("virtual time cannot go backwards")
        target = self._elapsed + seconds
        woke = 0
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._elapsed = max(self._elapsed, deadline)
            future.set_result(None)
            woke += 1
            for _ in range(3):  # let the woken task run (and perhaps sleep again) before time moves on
                await asyncio.sleep(0)
        self._elapsed = target
        return woke


async def sleep_or_stop(clock: Clock, seconds: float, stop: asyncio.Event) -> bool:
    """Sleep ``seconds`` of ``clock`` time unless ``stop`` is set first; returns whether it was stopped."""
    if stop.is_set():
        return True
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopper):
            task.cancel()
    return stop.is_set()
