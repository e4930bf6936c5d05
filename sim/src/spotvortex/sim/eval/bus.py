"""``--via-bus``: the same run through the real swarm — nats-server, the five services, the Kubernetes API
emulator over HTTP — on a scaled clock, instead of calling the cores in-process.

It exists to show the two transports decide alike: the services, the simulator and the replay share one
clock object, the collector publishes on the evaluation's cadence, and every approved verdict is recorded
from the bus. Slower than in-process (wall time = window / speed), so meant for short windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from spotvortex.contracts import Mode, jetstream
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.clock import ScaledClock
from spotvortex.runtime.config import NatsSettings, load_settings
from spotvortex.runtime.local_env import local_service_env
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerProcess
from spotvortex.runtime.provision import ensure_all
from spotvortex.runtime.publisher import Publisher
from spotvortex.runtime.service import ServiceRunner
from spotvortex.runtime.tracing import default_tracer
from spotvortex.sim.announce_nats import NatsAnnouncer
from spotvortex.sim.feed.cluster_feed import cluster_market_events
from spotvortex.sim.feed.replay import MarketReplay
from spotvortex.sim.live import LiveDriver
from spotvortex.sim.world.build import SimCluster

from .record import LoopRecord

SERVICES = ("collector", "inference", "gates", "router", "drainer")
CLUSTER = "eval"


async def drive_via_bus(cluster: SimCluster, clock: ScaledClock, cadence: float) -> LoopRecord:
    """Run ``cluster`` to its end with the swarm attached over NATS; returns what the gates decided."""
    record = LoopRecord()
    scenario = cluster.scenario
    server = NatsServerProcess()
    await server.start()
    runners: list[ServiceRunner] = []
    tasks: list[asyncio.Task[Any]] = []
    stop = asyncio.Event()
    try:
        metrics = RuntimeMetrics("eval")
        bus = await Bus.connect(NatsSettings(servers=[server.url]), "spotvortex-eval", metrics)
        await ensure_all(bus.js, jetstream.all_stream_specs(CLUSTER), [], jetstream.kv_specs(CLUSTER))
        publisher = Publisher(bus.js, metrics, default_tracer("spotvortex-eval"))

        async def on_verdict(msg: Any) -> None:
            body = json.loads(msg.data)
            when = datetime.fromisoformat(body["time"])
            record.verdict(
                when, body["pool"], body["action"], body["target_spot_ratio"], approved=body["approved"]
            )

        async def on_drained(msg: Any) -> None:
            record.node_done(json.loads(msg.data)["outcome"])

        await bus.nc.subscribe(f"spotvortex.{CLUSTER}.drained.*", cb=on_drained)
        await bus.nc.subscribe(f"spotvortex.{CLUSTER}.approved.*", cb=on_verdict)
        await bus.nc.subscribe(f"spotvortex.{CLUSTER}.rejected.*", cb=on_verdict)
        announcer = NatsAnnouncer(publisher, scenario.region)
        cluster.world.on_announcement(announcer)
        tasks.append(asyncio.create_task(announcer.run()))
        view = cluster.world.market
        m_start = view.market_time(cluster.world.now)
        feed = cluster_market_events(cluster, view.market_time(cluster.end) + timedelta(hours=1))
        replay = MarketReplay(publisher, scenario.region, clock, speed=1.0, restamp=True)
        async with cluster.emulator:
            tasks.append(asyncio.create_task(replay.run(feed, stop=stop, sim_start=m_start)))
            for name in SERVICES:
                module = importlib.import_module(f"spotvortex.{name}")
                env = local_service_env(
                    nats_url=server.url,
                    cluster=CLUSTER,
                    region=scenario.region,
                    mode=Mode.ENFORCE,
                    instance=name,
                    kube_url=cluster.emulator.url,
                    clock_factor=clock.factor,
                ) | {
                    "SPOTVORTEX_COLLECTOR__CADENCE_SECONDS": f"{cadence:g}",
                    "SPOTVORTEX_LOG_LEVEL": "warning",
                }
                settings = load_settings(module.SETTINGS, env=env)
                runner = ServiceRunner(module.SPEC, settings, clock=clock)
                await runner.start()
                runners.append(runner)
            await LiveDriver(cluster, clock).run(stop, until=cluster.end)
            stop.set()
            for runner in runners:
                await runner.stop()
            runners.clear()
        await bus.close()
    finally:
        stop.set()
        for runner in runners:
            with contextlib.suppress(Exception):
                await runner.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await server.close()
    record.approved.sort()
    return record


def live_clock(speed: float) -> ScaledClock:
    return ScaledClock(speed, datetime.now(UTC))
