"""``spotvortex up``: the whole local stack — NATS, the simulated cluster and market, the five services — as
one unit, with a live view of what it decides and does.

Start-up order: nats-server (streams and buckets provisioned), the simulated cluster (its Kubernetes API URL
is read from its output), then the services, each awaited on its ``/readyz``. Ctrl-C or SIGTERM stops the
services, then the simulator, then NATS; children also die with this process if it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spotvortex.cli.live.model import LiveModel
from spotvortex.cli.live.render import plain, table
from spotvortex.cli.stack.children import Child
from spotvortex.cli.stack.plan import StackOptions, service_plans, sim_plan
from spotvortex.cli.stack.readiness import wait_ready
from spotvortex.contracts import jetstream
from spotvortex.contracts.enums import Mode
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerError, NatsServerProcess
from spotvortex.runtime.provision import ensure_all


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "up",
        help="start the local stack: NATS, the simulated cluster and market, and the five services",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", default="demo", help="a shipped scenario name or a scenario YAML file")
    parser.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        default=Mode.ENFORCE.value,
        help="enforce (default: the cluster is simulated), shadow (plan, zero mutations) or observe",
    )
    parser.add_argument(
        "--speed", type=float, default=30.0, help="world seconds per wall second (default 30)"
    )
    parser.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    parser.add_argument("--cluster", default="local", help="cluster name used for subjects and streams")
    parser.add_argument("--nats-port", type=int, default=4222, help="preferred port (a free one if taken)")
    parser.add_argument("--kube-port", type=int, default=0, help="Kubernetes API port (0: a free one)")
    parser.add_argument("--inference-replicas", type=int, default=2)
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="where service logs go (default: a temp dir)"
    )
    parser.add_argument("--plain", action="store_true", help="plain log lines even on a terminal")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for each part")
    parser.set_defaults(handler=run)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _scenario_region(scenario: str) -> str:
    """The region the simulated market is published for: the collector must ingest that one."""
    from spotvortex.sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(scenario).region
    except ScenarioError as err:
        raise RuntimeError(str(err)) from None


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.log_dir: Path = args.log_dir or Path(tempfile.mkdtemp(prefix="spotvortex-up-"))
        self.server: NatsServerProcess | None = None
        self.children: list[Child] = []
        self.stop = asyncio.Event()
        self.failure: str | None = None

    async def start(self) -> tuple[StackOptions, str]:
        args = self.args
        started = time.monotonic()
        port = args.nats_port if _port_free(args.nats_port) else None
        self.server = NatsServerProcess(port=port)
        await self.server.start()
        bus = await Bus.connect(
            NatsSettings(servers=[self.server.url]), "spotvortex-up", RuntimeMetrics("up")
        )
        await ensure_all(
            bus.js, jetstream.all_stream_specs(args.cluster), [], jetstream.kv_specs(args.cluster)
        )
        await bus.close()
        print(f"NATS: {self.server.url}", flush=True)
        options = StackOptions(
            scenario=args.scenario,
            mode=Mode(args.mode),
            speed=args.speed,
            cluster=args.cluster,
            region=_scenario_region(args.scenario),
            nats_url=self.server.url,
            origin=datetime.now(UTC).replace(microsecond=0),
            kube_port=args.kube_port,
            inference_replicas=args.inference_replicas,
            seed=args.seed,
        )
        env = dict(os.environ)
        sim = sim_plan(options, env)
        sim_child = Child(sim.name, sim.argv, sim.env, self.log_dir / "sim.log")
        self.children.append(sim_child)
        await sim_child.start()
        kube_url = (await sim_child.wait_for_line(r"Kubernetes API: (\S+)", args.ready_timeout)).group(1)
        await sim_child.wait_for_line(r"Press Ctrl-C", args.ready_timeout)
        print(f"Kubernetes API: {kube_url}", flush=True)
        plans = service_plans(options, kube_url, _free_ports(4 + args.inference_replicas), env)
        services = [Child(p.name, p.argv, p.env, self.log_dir / f"{p.name}.log") for p in plans]
        self.children += services
        for child in services:
            await child.start()
        await asyncio.gather(
            *(
                wait_ready(c, p.health_port or 0, args.ready_timeout)
                for c, p in zip(services, plans, strict=True)
            )
        )
        print(f"Mode: {options.mode.value}", flush=True)
        print(
            f"Ready in {time.monotonic() - started:.1f}s: {', '.join(c.name for c in services)} "
            f"(scenario {args.scenario}, {args.speed:g}x world time)",
            flush=True,
        )
        print(f"Logs: {self.log_dir}", flush=True)
        return options, kube_url

    async def watch_children(self) -> None:
        """A part of the stack that exits on its own stops the whole stack, saying which and why."""
        waits = {asyncio.ensure_future(c.process.wait()): c for c in self.children if c.process}
        stopped = asyncio.ensure_future(self.stop.wait())
        done, _ = await asyncio.wait([*waits, stopped], return_when=asyncio.FIRST_COMPLETED)
        for task in [*waits, stopped]:
            if task not in done:
                task.cancel()
        for task in done:
            if task in waits:
                child = waits[task]
                self.failure = f"{child.name} exited ({child.process.returncode if child.process else '?'}): {child.tail()}"
        self.stop.set()

    async def close(self) -> None:
        for child in reversed(self.children):  # services first, then the simulated cluster
            await child.stop()
        if self.server is not None:
            await self.server.close()


async def live_view(stack: Stack, options: StackOptions, kube_url: str, plain_output: bool) -> None:
    import nats

    model = LiveModel(options.cluster)
    nc = await nats.connect(options.nats_url)

    async def on_msg(msg: Any) -> None:
        line = model.apply(msg.subject, msg.data)
        if plain_output and line is not None:
            print(plain(line), flush=True)

    await nc.subscribe(f"spotvortex.{options.cluster}.>", cb=on_msg)
    header = (
        f"SpotVortex local stack — mode {options.mode.value}, {options.speed:g}x — "
        f"NATS {options.nats_url} — Kubernetes API {kube_url}   (Ctrl-C stops)"
    )
    try:
        if plain_output:
            await stack.stop.wait()
            return
        from rich.live import Live

        with Live(table(model, header), refresh_per_second=2, screen=False) as live:
            while not stack.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stack.stop.wait(), 0.5)
                live.update(table(model, header))
    finally:
        await nc.close()


async def _up(args: argparse.Namespace) -> int:
    stack = Stack(args)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stack.stop.set)
    try:
        starting = asyncio.ensure_future(stack.start())
        interrupted = asyncio.ensure_future(stack.stop.wait())
        await asyncio.wait([starting, interrupted], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
            print("spotvortex up: interrupted during start-up", file=sys.stderr)
            return 130
        interrupted.cancel()
        options, kube_url = starting.result()
        print("Press Ctrl-C to stop.", flush=True)
        watcher = asyncio.ensure_future(stack.watch_children())
        await live_view(stack, options, kube_url, args.plain or not sys.stdout.isatty())
        await watcher
    except (NatsServerError, RuntimeError, TimeoutError) as err:
        print(f"spotvortex up: {err or type(err).__name__}; logs in {stack.log_dir}", file=sys.stderr)
        return 1
    finally:
        print("stopping", flush=True)
        await stack.close()
    if stack.failure:
        print(f"spotvortex up: {stack.failure}; logs in {stack.log_dir}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_up(args))
    return 130
