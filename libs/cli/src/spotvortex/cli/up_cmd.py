"""``spotvortex up``: the embedded local stack, started and stopped as one unit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from typing import Any

from spotvortex.contracts import jetstream
from spotvortex.runtime.bus import Bus
from spotvortex.runtime.config import NatsSettings
from spotvortex.runtime.metrics import RuntimeMetrics
from spotvortex.runtime.natsserver import NatsServerError, NatsServerProcess
from spotvortex.runtime.provision import ensure_all

NOT_YET = "collector, inference, gates, router, drainer"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "up", help="start the local stack (NATS with JetStream, and what is built so far)"
    )
    parser.add_argument("--cluster", default="local", help="cluster name used for subjects and streams")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--nats-port", type=int, default=4222, help="preferred port (a free one if taken)")
    parser.set_defaults(handler=run)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _up(args: argparse.Namespace) -> int:
    port = args.nats_port if _port_free(args.nats_port) else None
    server = NatsServerProcess(port=port)
    try:
        await server.start()
    except NatsServerError as err:
        print(f"spotvortex up: {err}", file=sys.stderr)
        return 1
    try:
        bus = await Bus.connect(NatsSettings(servers=[server.url]), "spotvortex-up", RuntimeMetrics("up"))
        await ensure_all(
            bus.js, jetstream.all_stream_specs(args.cluster), [], jetstream.kv_specs(args.cluster)
        )
        await bus.close()
        print(f"NATS: {server.url}", flush=True)
        print(f"NATS monitor: {server.monitor_url}", flush=True)
        print(f"Cluster: {args.cluster}  Region: {args.region}", flush=True)
        print(f"Not part of the local stack yet: {NOT_YET}.", flush=True)
        print(f"Simulated cluster and market beside it: spotvortex sim --nats {server.url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("stopping", flush=True)
    finally:
        await server.close()
    return 0


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_up(args))
    return 130
