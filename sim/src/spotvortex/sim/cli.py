"""``spotvortex sim``: the simulated cluster and market, live on the wall clock or fast in virtual time.

Live (default): the Kubernetes API emulator and the AWS emulator serve the scenario's world over HTTP,
world time runs at ``--speed`` × wall time, and with ``--nats`` the market (prices, interruption notices,
rebalance recommendations) is published on ``spotvortex.market.<region>.*``.
Virtual (``--virtual 30d``): the same world runs as fast as it can and prints its costs as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from spotvortex.runtime.clock import ScaledClock
from spotvortex.runtime.config import NatsSettings

from .live import LiveDriver
from .scenario import ScenarioError, load_scenario, scenario_names
from .scenario.durations import seconds
from .world.build import SimCluster, build


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "sim",
        help="run the simulated cluster and market (Kubernetes API, AWS API, replayed market)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        help=f"a shipped scenario ({', '.join(scenario_names())}) or a YAML path",
    )
    parser.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    parser.add_argument("--speed", type=float, default=1.0, help="world seconds per wall second (live mode)")
    parser.add_argument("--kube-port", type=int, default=0, help="Kubernetes API port (0: a free one)")
    parser.add_argument("--aws-port", type=int, default=0, help="AWS API port (0: a free one)")
    parser.add_argument("--nats", default=None, help="NATS URL to publish the market on (live mode)")
    parser.add_argument(
        "--origin",
        type=datetime.fromisoformat,
        default=None,
        help="wall-clock instant world time is anchored to (live mode; default: now). Processes that share "
        "the origin and --speed tell the same time",
    )
    parser.add_argument(
        "--virtual", default=None, metavar="DURATION", help="run DURATION (e.g. 30d) in virtual time"
    )
    parser.add_argument(
        "--journal", type=Path, default=None, help="write the event journal (JSON lines) here"
    )
    parser.set_defaults(handler=run)


def summary(cluster: SimCluster, wall_seconds: float) -> dict[str, Any]:
    costs = cluster.ledger.costs()
    return {
        "scenario": cluster.scenario.name,
        "seed": cluster.world.seed,
        "simulated_days": (cluster.world.now - cluster.ledger.opened).total_seconds() / 86400
        if cluster.ledger.opened
        else 0,
        "wall_seconds": round(wall_seconds, 3),
        "nodes_running": len(cluster.fleet.machines),
        "instances_launched": len(cluster.fleet.history),
        "costs": asdict(costs) | {"net_cost": costs.net_cost, "spot_residency": costs.spot_residency},
        "journal_entries": len(cluster.world.journal.entries),
        "journal_digest": cluster.world.journal.digest(),
        "counts": dict(sorted(cluster.world.journal.counts.items())),
    }


def _virtual(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    length = timedelta(seconds=seconds(args.virtual))
    started = time.perf_counter()
    cluster = build(scenario, seed=args.seed, duration=length)
    cluster.run_until(cluster.world.now + length)
    print(json.dumps(summary(cluster, time.perf_counter() - started), indent=2))
    if args.journal:
        cluster.world.journal.write(args.journal)
    return 0


async def _live(args: argparse.Namespace) -> int:
    from spotvortex.runtime.bus import Bus
    from spotvortex.runtime.metrics import RuntimeMetrics
    from spotvortex.runtime.publisher import Publisher
    from spotvortex.runtime.tracing import default_tracer

    from .announce_nats import NatsAnnouncer
    from .aws import AwsEmulator, SqsQueues
    from .feed.cluster_feed import cluster_market_events
    from .feed.replay import MarketReplay
    from .world.aws_prices import MarketPriceSource
    from .world.outbox import INTERRUPTION_QUEUE, SqsAnnouncer

    scenario = load_scenario(args.scenario)
    if args.speed <= 0:
        raise ValueError("--speed must be positive")
    origin = args.origin or datetime.now(UTC).replace(microsecond=0)
    if origin.tzinfo is None:
        raise ValueError("--origin needs a time zone, e.g. 2026-01-01T00:00:00+00:00")
    clock = ScaledClock(args.speed, origin)
    cluster = build(
        scenario, seed=args.seed, world_start=clock.now(), now=clock.now, kube_port=args.kube_port
    )
    world = cluster.world
    queues = SqsQueues(region=scenario.region)
    world.on_announcement(SqsAnnouncer(queues))
    aws = AwsEmulator(
        autoscaling=cluster.autoscaling,
        spot_prices=MarketPriceSource(world.market, clock.now),
        queues=queues,
        region=scenario.region,
        port=args.aws_port,
        now=clock.now,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[Any]] = []
    bus = None
    async with cluster.emulator, aws:
        print(f"Kubernetes API: {cluster.emulator.url}", flush=True)
        print(f"AWS API: {aws.url}  (SQS queue {aws.queue_url(INTERRUPTION_QUEUE)})", flush=True)
        print(
            f"Scenario: {scenario.name}  nodes: {len(cluster.fleet.machines)}  pods: {len(world.state.pods)}  "
            f"speed: {args.speed:g}x  market time: {world.market.market_time(world.now).isoformat()}",
            flush=True,
        )
        if args.nats:
            metrics = RuntimeMetrics("sim")
            bus = await Bus.connect(NatsSettings(servers=[args.nats]), "spotvortex-sim", metrics)
            from spotvortex.contracts.jetstream import market_stream_spec
            from spotvortex.runtime.provision import ensure_stream

            await ensure_stream(bus.js, market_stream_spec())
            publisher = Publisher(bus.js, metrics, default_tracer("spotvortex-sim"))
            announcer = NatsAnnouncer(publisher, scenario.region)
            world.on_announcement(announcer)
            tasks.append(asyncio.create_task(announcer.run()))
            m_start = world.market.market_time(world.now)
            feed = cluster_market_events(cluster, m_start + timedelta(days=60))
            # The clock already runs at --speed, so the replay follows it one to one.
            replay = MarketReplay(publisher, scenario.region, clock, speed=1.0, restamp=True)
            tasks.append(asyncio.create_task(replay.run(feed, stop=stop, sim_start=m_start)))
            print(f"Market: publishing on spotvortex.market.{scenario.region}.* at {args.nats}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            await LiveDriver(cluster, clock).run(stop)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if bus is not None:
                await bus.close()
    if args.journal:
        world.journal.write(args.journal)
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        if args.virtual:
            return _virtual(args)
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(_live(args))
        return 130
    except (ScenarioError, ValueError) as exc:
        print(f"spotvortex sim: {exc}", file=sys.stderr)
        return 2
