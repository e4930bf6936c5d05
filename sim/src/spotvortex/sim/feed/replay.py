"""Playing market events onto NATS at a chosen pace, so the swarm sees a recorded market as if it were live.

Pacing is by absolute deadline: the event of simulated time ``t`` goes out when the injected clock reaches
``wall_start + (t - sim_start) / speed``, where ``wall_start`` is the clock when :meth:`MarketReplay.run`
began and ``sim_start`` the first event's time unless given. A slow publish therefore never shifts later
events, and a :class:`~spotvortex.runtime.clock.VirtualClock` drives the whole replay in tests. ``speed`` is
simulated seconds per clock second (60 ⇒ one simulated hour per minute); ``None`` or infinity publishes as
fast as JetStream acknowledges. Events without a time, or already due, go out at once.

Publishing goes through the runtime :class:`~spotvortex.runtime.publisher.Publisher`, whose ``Nats-Msg-Id`` is
the event's fact id: replaying the same events again (within the stream's duplicate window) stores nothing
new, and :attr:`ReplayStats.duplicates` says so. With ``restamp=True`` each event's time becomes the clock's
current time instead (a live demo whose collector rejects stale data); restamped facts are new facts, so they
are not de-duplicated across runs. A :class:`~spotvortex.runtime.publisher.PublishError` ends the replay.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import msgspec
from nats.js.api import PubAck

from spotvortex.contracts import subjects
from spotvortex.contracts.base import Event
from spotvortex.contracts.market import MarketEvent
from spotvortex.contracts.subjects import MarketKind
from spotvortex.runtime.clock import Clock, sleep_or_stop
from spotvortex.sim.feed.kinds import kind_of

log = logging.getLogger("spotvortex.sim.feed")


class EventPublisher(Protocol):
    """What the replay needs of :class:`~spotvortex.runtime.publisher.Publisher`."""

    async def publish(self, subject: str, event: Event) -> PubAck: ...


@dataclass
class ReplayStats:
    """Progress of one replay, updated as it goes."""

    published: dict[MarketKind, int] = field(default_factory=lambda: dict.fromkeys(MarketKind, 0))
    duplicates: int = 0  # publishes JetStream reported as already stored (same Nats-Msg-Id)
    sim_time: datetime | None = None  # recorded time of the last published event (before any restamp)
    stopped: bool = False  # ended by the stop event rather than by running out of events

    @property
    def total(self) -> int:
        return sum(self.published.values())


Progress = Callable[[ReplayStats], None]


def _log_progress(stats: ReplayStats) -> None:
    when = stats.sim_time.isoformat() if stats.sim_time else "-"
    log.info("replayed %d market events; simulated time %s", stats.total, when)


class MarketReplay:
    def __init__(
        self,
        publisher: EventPublisher,
        region: str,
        clock: Clock,
        *,
        speed: float | None = None,
        restamp: bool = False,
        progress: Progress | None = None,
        progress_every: int = 1000,
    ) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive (or None for as fast as possible), not {speed}")
        if progress_every < 1:
            raise ValueError("progress_every must be at least 1")
        self._publisher = publisher
        self._subjects = {kind: subjects.market(region, kind) for kind in MarketKind}
        self._clock = clock
        self._speed = None if speed is None or math.isinf(speed) else speed
        self._restamp = restamp
        self._progress = progress or _log_progress
        self._every = progress_every
        self.stats = ReplayStats()

    async def run(
        self,
        events: Iterable[MarketEvent],
        *,
        stop: asyncio.Event | None = None,
        sim_start: datetime | None = None,
    ) -> ReplayStats:
        """Publish ``events`` (in time order) at the configured pace until they run out or ``stop`` is set."""
        stop = stop or asyncio.Event()
        self.stats = stats = ReplayStats()
        wall_start = self._clock.monotonic()
        origin = sim_start
        for event in events:
            if stop.is_set():
                stats.stopped = True
                break
            if event.time is not None and self._speed is not None:
                origin = origin or event.time
                due = wall_start + (event.time - origin).total_seconds() / self._speed
                delay = due - self._clock.monotonic()
                if delay > 0 and await sleep_or_stop(self._clock, delay, stop):
                    stats.stopped = True
                    break
            await self._publish(event, stats)
        log.info(
            "market replay %s after %d events (%d duplicates)",
            "stopped" if stats.stopped else "finished",
            stats.total,
            stats.duplicates,
        )
        return stats

    async def _publish(self, event: MarketEvent, stats: ReplayStats) -> None:
        kind = kind_of(event)
        sent = msgspec.structs.replace(event, time=self._clock.now()) if self._restamp else event
        ack = await self._publisher.publish(self._subjects[kind], sent)
        stats.published[kind] += 1
        stats.duplicates += bool(ack.duplicate)
        stats.sim_time = event.time or stats.sim_time
        if stats.total % self._every == 0:
            self._progress(stats)
