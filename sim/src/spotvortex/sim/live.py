"""Running a simulated world on the wall clock (optionally sped up), next to real clients.

The driver sleeps until the next due step of the world's timeline, or until something is scheduled
earlier (an HTTP client created a pod, a router patched a NodePool), then runs everything due. World time
is ``start + speed × elapsed wall time``, so at ``speed=60`` an hour of market passes per minute.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from .world.build import SimCluster


class SpeedClock:
    """World time from the wall clock: ``origin + speed × (monotonic elapsed)``."""

    def __init__(self, speed: float = 1.0, origin: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.origin = origin or datetime.now(UTC)
        self._mono = time.monotonic()

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self._mono) * self.speed)

    def wall_seconds(self, world_seconds: float) -> float:
        return max(0.0, world_seconds / self.speed)


class LiveDriver:
    """Keeps a cluster's timeline caught up with a :class:`SpeedClock`."""

    def __init__(self, cluster: SimCluster, clock: SpeedClock) -> None:
        self.cluster = cluster
        self.clock = clock
        self._wake = asyncio.Event()
        cluster.world.timeline.wake = self._wake.set
        self.steps = 0

    async def run(self, stop: asyncio.Event, until: datetime | None = None) -> None:
        timeline = self.cluster.world.timeline
        while not stop.is_set():
            now = self.clock.now()
            if until is not None and now >= until:
                self.steps += timeline.run_until(until)
                return
            self._wake.clear()
            self.steps += timeline.run_until(now)
            due = timeline.next_due()
            horizon = until if due is None else (min(due, until) if until else due)
            timeout = (
                None
                if horizon is None
                else self.clock.wall_seconds((horizon - self.clock.now()).total_seconds())
            )
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
