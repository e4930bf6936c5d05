"""``spotvortex inject``: publish a market event by hand — the same plain JSON a user would send with
``nats pub spotvortex.market.<region>.<kind> '{…}'`` (DESIGN §1), checked against the contract first.

The command prints the ``nats pub`` equivalent of what it sent, so it doubles as documentation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from typing import Any

from spotvortex.contracts import (
    ContractError,
    MarketCapacity,
    MarketInterruption,
    MarketPrice,
    MarketRebalance,
    decode,
    subjects,
)
from spotvortex.contracts.subjects import MarketKind

TYPES: dict[str, type[Any]] = {
    "price": MarketPrice,
    "interruption": MarketInterruption,
    "rebalance": MarketRebalance,
    "capacity": MarketCapacity,
}


def _bool(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "inject",
        help="publish a market event (price, interruption, rebalance, capacity)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--nats",
        default=os.environ.get("SPOTVORTEX_NATS_URL", "nats://127.0.0.1:4222"),
        help="NATS URL (default: $SPOTVORTEX_NATS_URL or nats://127.0.0.1:4222)",
    )
    common.add_argument("--region", default="us-east-1")
    common.add_argument("--time", help="RFC 3339 time (default: when the collector receives it)")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")

    price = kinds.add_parser("price", parents=[common], help="a spot (and optionally on-demand) price, USD/h")
    price.add_argument("--instance-type", required=True)
    price.add_argument("--zone", required=True)
    price.add_argument("--spot-price", type=float, required=True)
    price.add_argument("--on-demand-price", type=float)

    for name, text in (
        ("interruption", "a 2-minute interruption notice"),
        ("rebalance", "a rebalance recommendation"),
    ):
        p = kinds.add_parser(name, parents=[common], help=text)
        p.add_argument("--zone", required=True)
        p.add_argument("--node", help="Kubernetes node name")
        p.add_argument("--instance-id", help="EC2 instance id")
        p.add_argument("--instance-type")
        if name == "interruption":
            p.add_argument("--action", choices=["terminate", "stop", "hibernate"])
            p.add_argument("--notice-seconds", type=int)

    capacity = kinds.add_parser("capacity", parents=[common], help="whether spot capacity is available")
    capacity.add_argument("--instance-type", required=True)
    capacity.add_argument("--zone", required=True)
    capacity.add_argument("--available", type=_bool, required=True)
    capacity.add_argument("--placement-score", type=int)

    parser.set_defaults(handler=run)


FIELDS = (
    "instance_type", "zone", "spot_price", "on_demand_price", "node", "instance_id",
    "action", "notice_seconds", "available", "placement_score", "time",
)  # fmt: skip


def body(args: argparse.Namespace) -> dict[str, Any]:
    """The event as a user would type it: only the fields given."""
    return {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}


def run(args: argparse.Namespace) -> int:
    payload = json.dumps(body(args), separators=(",", ":")).encode()
    try:
        decode(payload, TYPES[args.kind])
    except ContractError as err:
        print(f"spotvortex inject: {err}", file=sys.stderr)
        return 2
    subject = subjects.market(args.region, MarketKind(args.kind))
    try:
        asyncio.run(_publish(args.nats, subject, payload))
    except Exception as err:
        print(f"spotvortex inject: could not publish to {args.nats}: {err!r}", file=sys.stderr)
        return 1
    print(f"published on {subject}: {payload.decode()}")
    print(f"same as: nats --server {args.nats} pub {subject} {shlex.quote(payload.decode())}")
    return 0


async def _publish(url: str, subject: str, payload: bytes) -> None:
    import nats

    async def quiet(_: Exception) -> None:
        return None

    nc = await asyncio.wait_for(
        nats.connect(url, connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=1, error_cb=quiet),
        10,
    )
    try:
        await nc.jetstream().publish(subject, payload, timeout=5)
    finally:
        await nc.close()
