"""The replay as a long-lived process: connect, make sure the market stream exists, replay, close.

A command-line wrapper only has to build the events (``plan.market_events`` or ``scripted.scripted_events``),
turn SIGINT/SIGTERM into the ``stop`` event and call :func:`run_replay`; connection handling (credentials,
TLS, reconnects) is the runtime :class:`~spotvortex.runtime.bus.Bus`'s, provisioning the runtime's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

import msgspec
from opentelemetry import trace

from spotvortex.contracts.jetstream import market_stream_spec
from spotvortex.contracts.market import MarketEvent
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.clock import Clock, WallClock
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.provision import ensure_stream
from spotvortex.runtime.publisher import Publisher
from spotvortex.runtime.tracing import default_tracer
from spotvortex.sim.feed.replay import MarketReplay, Progress, ReplayStats

SERVICE = "market-replay"


async def run_replay(
    nats_url: str,
    region: str,
    events: Iterable[MarketEvent],
    speed: float | None,
    *,
    clock: Clock | None = None,
    restamp: bool = False,
    stop: asyncio.Event | None = None,
    sim_start: datetime | None = None,
    progress: Progress | None = None,
    progress_every: int = 1000,
    nats: NatsSettings | None = None,
    metrics: RuntimeMetrics | None = None,
    tracer: trace.Tracer | None = None,
) -> ReplayStats:
    """Replay ``events`` onto ``spotvortex.market.<region>.<kind>`` at ``nats_url``; returns the final stats.

    ``nats`` carries credentials and TLS when the server needs them (its ``servers`` are replaced by
    ``nats_url``); ``clock`` defaults to the wall clock. See :class:`MarketReplay` for the other arguments.
    """
    settings = msgspec.structs.replace(nats or NatsSettings(), servers=[nats_url])
    metrics = metrics or RuntimeMetrics(SERVICE)
    bus = await Bus.connect(settings, f"spotvortex-{SERVICE}", metrics)
    try:
        await ensure_stream(bus.js, market_stream_spec())
        publisher = Publisher(bus.js, metrics, tracer or default_tracer(SERVICE))
        replay = MarketReplay(
            publisher,
            region,
            clock or WallClock(),
            speed=speed,
            restamp=restamp,
            progress=progress,
            progress_every=progress_every,
        )
        return await replay.run(events, stop=stop, sim_start=sim_start)
    finally:
        await bus.close()
