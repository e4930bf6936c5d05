"""Running a simulated world on the wall clock (optionally sped up), next to real clients.

The driver sleeps until the next due step of the world's timeline, or until something is scheduled
earlier (an HTTP client created a pod, a router patched a NodePool), then runs everything due. World time
comes from the runtime's :class:`~spotvortex.runtime.clock.ScaledClock`, so at ``factor=60`` an hour of
market passes per wall minute, and the replay feed paced by the same clock stays in step with the cluster.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from spotvortex.runtime.clock import ScaledClock

from .world.build import SimCluster


class LiveDriver:
    """Keeps a cluster's timeline caught up with a scaled wall clock."""

    def __init__(self, cluster: SimCluster, clock: ScaledClock) -> None:
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
            timeout = None
            if horizon is not None:
                timeout = max(0.0, (horizon - self.clock.now()).total_seconds() / self.clock.factor)
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
