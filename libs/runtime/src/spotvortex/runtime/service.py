"""The service runner: everything a SpotVortex service does besides its own logic.

A service declares a :class:`ServiceSpec` (its name, whether it needs the cluster lease, and a factory that
builds its subscriptions and background tasks from a :class:`ServiceContext`). The runner connects to NATS,
provisions streams/consumers/buckets, serves health and metrics, holds the lease when asked to, runs the
consumer loops, and on SIGTERM stops fetching, finishes in-flight messages, flushes and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.js.kv import KeyValue
from opentelemetry import trace

from spotvortex.contracts import jetstream
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.clock import Clock, ScaledClock, WallClock
from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.consumer import ConsumerLoop, Subscription
from spotvortex.runtime.health import Check, HealthServer
from spotvortex.runtime.lease import Lease
from spotvortex.runtime.logs import configure_logging
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.provision import ensure_all, ensure_consumer, with_replicas
from spotvortex.runtime.publisher import Publisher
from spotvortex.runtime.tracing import default_tracer

BackgroundTask = Callable[["ServiceContext", asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceContext:
    """What a service's own code receives: settings, bus, publisher, KV buckets, clock, metrics, tracer."""

    name: str
    identity: str
    settings: ServiceSettings
    bus: Bus
    publisher: Publisher
    buckets: dict[str, KeyValue]
    clock: Clock
    metrics: RuntimeMetrics
    tracer: trace.Tracer
    log: logging.Logger


@dataclass
class Workers:
    subscriptions: list[Subscription[Any]] = field(default_factory=list)
    background: list[BackgroundTask] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    """``preflight`` checks what settings point at (model files, certificates) before a process starts:
    it raises :class:`~spotvortex.runtime.errors.ConfigError`, and ``spotvortex run`` exits 2 with that line.
    Settings themselves stay plain values, so building them never reads a file."""

    name: str
    build: Callable[[ServiceContext], Awaitable[Workers]]
    needs_lease: bool = False
    preflight: Callable[[Any], None] | None = None


def clock_from(settings: ServiceSettings) -> Clock:
    if settings.clock.kind == "scaled":
        return ScaledClock(settings.clock.factor, settings.clock.origin)
    return WallClock()


class ServiceRunner:
    def __init__(
        self,
        spec: ServiceSpec,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        tracer: trace.Tracer | None = None,
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.clock = clock or clock_from(settings)
        self.tracer = tracer or default_tracer(spec.name)
        self.metrics = metrics or RuntimeMetrics(spec.name)
        self.identity = settings.instance or f"{socket.gethostname()}-{os.getpid()}"
        self.log = logging.getLogger(f"spotvortex.{spec.name}")
        self.context: ServiceContext | None = None
        self.lease: Lease | None = None
        self.loops: list[ConsumerLoop[Any]] = []
        self.http: HealthServer | None = None
        self._stop = asyncio.Event()
        self._worker_stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._lease_task: asyncio.Task[None] | None = None
        self._streams: list[str] = []
        self.failure: BaseException | None = None  # why the workers could not be built, if they could not
        self.working = asyncio.Event()
        self.idle = asyncio.Event()  # set while no worker runs: before start, on standby, after stop
        self.idle.set()

    async def start(self) -> None:
        """Connect, provision, serve health, and start working (or stand by for the lease)."""
        s = self.settings
        bus = await Bus.connect(s.nats, f"spotvortex-{self.spec.name}-{self.identity}", self.metrics)
        streams, kv = with_replicas(
            jetstream.all_stream_specs(s.cluster), jetstream.kv_specs(s.cluster), s.nats.stream_replicas
        )
        buckets = await ensure_all(bus.js, streams, [], kv)
        publisher = Publisher(bus.js, self.metrics, self.tracer)
        self.context = ServiceContext(
            name=self.spec.name,
            identity=self.identity,
            settings=s,
            bus=bus,
            publisher=publisher,
            buckets=buckets,
            clock=self.clock,
            metrics=self.metrics,
            tracer=self.tracer,
            log=self.log,
        )
        self.http = HealthServer(self.spec.name, self.metrics.registry, self._readiness_checks())
        await self.http.start(s.http.host, s.http.port)
        if self.spec.needs_lease:
            self.lease = Lease(
                buckets[jetstream.leases_bucket(s.cluster)],
                f"{s.cluster}/{self.spec.name}",
                self.identity,
                ttl_seconds=s.lease_ttl_seconds,
                clock=self.clock,
                metrics=self.metrics,
            )
            self._lease_task = asyncio.create_task(self.lease.keep(self._stop))
        self._supervisor = asyncio.create_task(self._supervise())
        self.log.info("started", extra={"cluster": s.cluster})

    async def _supervise(self) -> None:
        """Run the workers; with a lease, only while it is held, stopping them the moment it is lost."""
        while not self._stop.is_set():
            if self.lease is not None and not await self._wait_for(self.lease.acquired):
                return
            self._worker_stop = asyncio.Event()
            try:
                await self._start_workers()
            except Exception as err:  # a service that cannot build its workers must not linger half-started
                self.log.error("could not start: %s", err, exc_info=err)
                self.failure = err
                self._stop.set()
                return
            waiters = [self._stop] + ([self.lease.lost] if self.lease is not None else [])
            await self._wait_any(waiters)
            await self._stop_workers()
            if self.lease is None:
                return

    async def _start_workers(self) -> None:
        assert self.context is not None
        workers = await self.spec.build(self.context)
        for sub in workers.subscriptions:
            await ensure_consumer(self.context.bus.js, sub.consumer)
        self._streams = sorted({sub.consumer.stream for sub in workers.subscriptions})
        self.loops = [
            ConsumerLoop(
                self.context.bus.js,
                sub,
                cluster=self.settings.cluster,
                publisher=self.context.publisher,
                metrics=self.metrics,
                tracer=self.tracer,
                clock=self.clock,
                default_batch=self.settings.fetch_batch,
            )
            for sub in workers.subscriptions
        ]
        self._tasks = [asyncio.create_task(loop.run(self._worker_stop)) for loop in self.loops]
        self._tasks += [
            asyncio.create_task(task(self.context, self._worker_stop)) for task in workers.background
        ]
        for task in self._tasks:
            task.add_done_callback(self._report_crash)
        self.idle.clear()
        self.working.set()

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        """A worker that dies while the service runs stops the service with exit code 1 (its supervisor —
        Kubernetes, ``spotvortex up`` — restarts or reports it) instead of leaving it half alive."""
        if task.cancelled() or self._worker_stop.is_set():
            return
        if (err := task.exception()) is not None:
            self.log.error("a worker stopped with an error; stopping the service", exc_info=err)
            self.failure = err
            self._stop.set()

    async def _stop_workers(self) -> None:
        self._worker_stop.set()
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=self.settings.shutdown_timeout_seconds)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    self.log.error("worker ended with an error", exc_info=task.exception())
            self._tasks = []
        self.working.clear()  # only once nothing can still act on the cluster
        self.idle.set()

    async def _wait_for(self, event: asyncio.Event) -> bool:
        await self._wait_any([event, self._stop])
        return not self._stop.is_set()

    @staticmethod
    async def _wait_any(events: list[asyncio.Event]) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    def _readiness_checks(self) -> list[Callable[[], Awaitable[Check]]]:
        async def nats_connected() -> Check:
            ok = self.context is not None and self.context.bus.connected
            return Check(name="nats", ok=ok, detail="connected" if ok else "not connected")

        async def streams_present() -> Check:
            assert self.context is not None
            if not self.context.bus.connected:
                return Check(name="streams", ok=False, detail="NATS is not connected")
            names = self._streams or [s.name for s in jetstream.cluster_stream_specs(self.settings.cluster)]
            for name in names:
                await self.context.bus.js.stream_info(name)
            return Check(name="streams", ok=True, detail=", ".join(names))

        async def lease_state() -> Check:
            if self.lease is None:
                return Check(name="lease", ok=True, detail="not needed")
            return Check(name="lease", ok=True, detail="held" if self.lease.held else "standby")

        return [nats_connected, streams_present, lease_state]

    def request_stop(self) -> None:
        self._stop.set()

    async def stop(self) -> None:
        """Stop fetching, let in-flight handlers finish, release the lease, flush and close."""
        self._stop.set()
        if self._supervisor is not None:
            await self._supervisor
        if self._lease_task is not None:
            await self._lease_task
        if self.context is not None:
            await self.context.bus.close()
        if self.http is not None:
            await self.http.stop()
        self.log.info("stopped")

    async def run_until_signalled(self) -> None:
        """Start, run until SIGTERM/SIGINT, stop. A signal during start-up (NATS still unreachable, say)
        abandons the start at once instead of waiting for it."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        starting = asyncio.ensure_future(self.start())
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            self.log.info("stopped during start-up")
            return
        starting.result()
        await stopping
        await self.stop()


def run_service(spec: ServiceSpec, settings: ServiceSettings) -> int:
    """Entry point of a service process: JSON logs, run until SIGTERM/SIGINT; exit code 1 if it could not
    start its workers (the reason is logged)."""
    configure_logging(spec.name, settings.log_level)
    runner = ServiceRunner(spec, settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.run_until_signalled())
    return 1 if runner.failure is not None else 0
