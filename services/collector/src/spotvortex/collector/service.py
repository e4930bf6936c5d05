"""The collector's adapter: Kubernetes watches and market feeds in, pool telemetry out on NATS.

One replica per cluster does the work (it holds the cluster lease): the market durable is shared, so two
active replicas would each see half of the market, and both would publish snapshots of the same pools.

Publishing: every pool with nodes once the first lists are in (``startup``), then every
``cadence_seconds`` (``cadence``), and a pool at once when an interruption notice names one of its nodes
(``interruption``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from spotvortex.collector import labels as L
from spotvortex.collector.aws import AwsFeed
from spotvortex.collector.config import CollectorSettings
from spotvortex.collector.core import Collector, MarketEvent
from spotvortex.collector.ingest import decode_market, kind_of
from spotvortex.collector.kubewatch import ResourceWatcher, WatchTiming
from spotvortex.collector.metrics import CollectorMetrics
from spotvortex.collector.publishing import TelemetryPublisher
from spotvortex.collector.resources import resolvers
from spotvortex.collector.waiting import pause, until_stopped
from spotvortex.contracts import DeadLetter, jetstream, subjects
from spotvortex.contracts.codec import ContractError
from spotvortex.runtime.clock import sleep_or_stop
from spotvortex.runtime.consumer import Delivery, Subscription
from spotvortex.runtime.kube import api_client
from spotvortex.runtime.service import BackgroundTask, ServiceContext, Workers

SERVICE = "collector"


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(CollectorSettings, ctx.settings)
    collector = Collector(settings.cluster, settings.collector)
    metrics = CollectorMetrics.of(ctx.metrics.registry)
    telemetry = TelemetryPublisher(ctx, collector, metrics)
    synced = asyncio.Event()

    async def on_event(event: MarketEvent, key: str | None, source: str) -> None:
        pool = collector.ingest(event, ctx.clock.now(), key)
        metrics.market_events.labels(kind_of(event), source).inc()
        if pool is not None and synced.is_set():
            await telemetry.pool(pool, "interruption")

    async def on_market(event: MarketEvent, delivery: Delivery) -> None:
        # a message without a time of its own is known by its stream position when it is delivered again
        await on_event(event, None if event.time is not None else f"seq:{delivery.stream_sequence}", "nats")

    async def watch_cluster(_: ServiceContext, stop: asyncio.Event) -> None:
        kube = settings.kube
        timing = WatchTiming(
            request_timeout_seconds=kube.request_timeout_seconds,
            watch_timeout_seconds=kube.watch_timeout_seconds,
        )
        api = await api_client(kube)
        watchers = [
            ResourceWatcher(kind, resolve, collector, metrics, timing)
            for kind, resolve in resolvers(api).items()
        ]
        tasks = [asyncio.create_task(w.run(), name=f"watch-{w.kind}") for w in watchers]
        try:
            finished, _synced = await until_stopped(
                asyncio.gather(*(w.synced.wait() for w in watchers)), stop
            )
            if finished:
                synced.set()
                held = collector.index.counts()
                ctx.log.info(
                    "cluster listed: %d nodes, %d pods, %d PDBs, %d NodePools in %d pools",
                    *(held[kind] for kind in L.KINDS),
                    len(collector.pools()),
                    extra={"cluster": settings.cluster},
                )
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await api.close()

    async def publish_rounds(_: ServiceContext, stop: asyncio.Event) -> None:
        finished, _listed = await until_stopped(synced.wait(), stop)
        if not finished:
            return
        await market_caught_up(ctx, stop)
        await telemetry.round("startup")
        while not await sleep_or_stop(ctx.clock, settings.collector.cadence_seconds, stop):
            await telemetry.round("cadence")

    async def on_malformed(queue: str, message_id: str, body: bytes, err: ContractError) -> None:
        letter = DeadLetter(
            cluster=settings.cluster,
            service=SERVICE,
            time=ctx.clock.now(),
            subject=queue,
            reason="undecodable" if err.kind == "undecodable" else "invalid",
            error=str(err),
            field=err.field,
            payload=body,
        )
        await ctx.publisher.publish(
            subjects.dlq(settings.cluster, SERVICE), letter, msg_id=f"dlq:{SERVICE}:sqs:{message_id}"
        )
        ctx.log.warning("dead-lettered interruption queue message %s: %s", message_id, err)

    background: list[BackgroundTask] = [watch_cluster, publish_rounds]
    if settings.aws.enabled:
        feed = AwsFeed(
            settings.aws,
            settings.region,
            collector,
            ctx.clock,
            metrics,
            lambda event, key: on_event(event, key, "aws"),
            on_malformed,
        )

        async def poll_prices(_: ServiceContext, stop: asyncio.Event) -> None:
            await feed.poll_prices(stop)

        async def poll_queue(_: ServiceContext, stop: asyncio.Event) -> None:
            await feed.poll_queue(stop)

        background += [poll_prices, poll_queue]

    market = jetstream.consumer_specs(settings.cluster, settings.region)[SERVICE][0]
    return Workers(
        subscriptions=[Subscription(consumer=market, decoder=decode_market, handler=on_market)],
        background=background,
    )


async def market_caught_up(ctx: ServiceContext, stop: asyncio.Event, limit_seconds: float = 10.0) -> None:
    """Before the first snapshots, let the market backlog in (bounded): a snapshot without prices makes
    inference hold with ``missing_market_data``, a wasted first decision after every start."""
    spec = jetstream.consumer_specs(ctx.settings.cluster, ctx.settings.region)["collector"][0]
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while not stop.is_set() and asyncio.get_running_loop().time() < deadline:
        try:
            info = await ctx.bus.js.consumer_info(spec.stream, spec.durable)
        except Exception:  # the consumer may not exist yet; the limit bounds the wait
            info = None
        if info is not None and not info.num_pending and not info.num_ack_pending:
            return
        if await pause(0.05, stop):
            return
