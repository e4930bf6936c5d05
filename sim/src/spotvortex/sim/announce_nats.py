"""Publishing the world's interruption notices and rebalance recommendations onto NATS.

The world announces synchronously from inside its timeline; a queue hands each event to one task that
publishes it on ``spotvortex.market.<region>.<kind>`` with its fact id, so a slow or reconnecting server
never stalls the simulation and nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging

from spotvortex.contracts import subjects
from spotvortex.contracts.market import MarketEvent, MarketInterruption
from spotvortex.runtime.publisher import Publisher

log = logging.getLogger("spotvortex.sim.announce")


class NatsAnnouncer:
    """Queue announcements now, publish them in order from :meth:`run`."""

    def __init__(self, publisher: Publisher, region: str) -> None:
        self.publisher = publisher
        self.region = region
        self.queue: asyncio.Queue[MarketEvent] = asyncio.Queue()
        self.published = 0

    def __call__(self, event: MarketEvent) -> None:
        self.queue.put_nowait(event)

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            kind = (
                subjects.MarketKind.INTERRUPTION
                if isinstance(event, MarketInterruption)
                else subjects.MarketKind.REBALANCE
            )
            await self.publisher.publish(subjects.market(self.region, kind), event)
            self.published += 1
            log.info("announced %s for %s", kind.value, getattr(event, "node", None))
