"""Waiting in the drainer's own time: every wait ends early when the drainer stops or the drain is aborted.

Waits take the injected clock, so a scaled or virtual clock drives back-off and deadlines like the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from spotvortex.runtime.clock import Clock


async def sleep_unless(clock: Clock, seconds: float, *events: asyncio.Event) -> bool:
    """Sleep ``seconds`` unless one of ``events`` is set first; returns whether one was."""
    if any(e.is_set() for e in events):
        return True
    waits = [asyncio.ensure_future(clock.sleep(seconds)), *(asyncio.ensure_future(e.wait()) for e in events)]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    return any(e.is_set() for e in events)


def seconds_until(clock: Clock, moment: datetime) -> float:
    return (moment - clock.now()).total_seconds()


class NodeLocks:
    """One drain at a time per node within this replica (two jobs naming one node take turns)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, node: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(node, (asyncio.Lock(), 0))
        self._locks[node] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[node]
            if users == 1:
                del self._locks[node]  # nobody holds or waits: forget the node
            else:
                self._locks[node] = (lock, users - 1)
