"""Which NATS subjects each SpotVortex identity may publish and subscribe to, derived from the contracts.

The server enforces these lists (``nats_auth`` renders them as a nats-server ``authorization`` block), so a
compromised or buggy service can only emit the event families it owns: only the gates issue verdicts, only the
router plans drains, inference cannot publish past ``risk``/``action``. The lists are built from the same
subject, stream, consumer and bucket definitions the services use, so renaming one of those cannot leave the
server config behind (a test compares the shipped configs with :func:`render` output).

What every service needs besides its own events, and why:

- Provisioning: every service creates or updates the market stream, the cluster's streams and its KV buckets
  at start-up (``spotvortex.runtime.provision``), so each may ``INFO``/``CREATE``/``UPDATE`` exactly those
  streams, never ``DELETE`` or ``PURGE`` them.
- Its durable pull consumers: create/update and info of each durable by name, ``MSG.NEXT`` to fetch, and
  ``$JS.ACK`` on that durable to ack, nak or terminate.
- Its dead-letter subject ``spotvortex.<cluster>.dlq.<service>``.
- KV buckets it uses: writes go to ``$KV.<bucket>.<key>``, reads through the stream's direct-get API; the
  lease holders may read and write only their own lease key.
- Replies: JetStream answers requests on ``_INBOX.>``, the only subject a service subscribes to (pull consumers
  deliver into inboxes too).
"""

from __future__ import annotations

from typing import Final

import msgspec

from spotvortex.contracts import jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.contracts.tokens import encode_token, validate_cluster_name

JS_API: Final = "$JS.API"
INBOX: Final = "_INBOX.>"

SERVICES: Final = ("collector", "inference", "gates", "router", "drainer")

PRODUCES: Final[dict[str, tuple[PoolKind, ...]]] = {
    "collector": (PoolKind.TELEMETRY,),
    "inference": (PoolKind.RISK, PoolKind.ACTION),
    "gates": (PoolKind.APPROVED, PoolKind.REJECTED),
    "router": (PoolKind.STEER, PoolKind.DRAIN),
    "drainer": (PoolKind.DRAINED,),
}
"""The event families each service publishes (DESIGN §1); nobody else may publish them."""

LEASE_HOLDERS: Final = ("collector", "router", "drainer")
"""Services that hold the per-cluster single-writer lease in the leases bucket."""

FEED: Final = "feed"
OPERATOR: Final = "operator"


class Permissions(msgspec.Struct, frozen=True, kw_only=True):
    """One NATS user's allow-lists (everything else is denied by the server)."""

    user: str
    description: str
    publish: list[str]
    subscribe: list[str]


def state_buckets(cluster: str) -> dict[str, list[str]]:
    """KV buckets each service reads and writes whole (leases are separate: one key per holder)."""
    return {
        "gates": [jetstream.pool_state_bucket(cluster)],
        "drainer": [jetstream.jobs_bucket(cluster)],
    }


def watched_buckets(cluster: str) -> dict[str, list[str]]:
    """Buckets a service watches (an ordered consumer with flow control on the bucket's stream)."""
    return {"drainer": [jetstream.jobs_bucket(cluster)]}


def lease_key(cluster: str, service: str) -> str:
    """The encoded KV key of a service's lease, as ``spotvortex.runtime.service`` names it."""
    return encode_token(f"{cluster}/{service}")


def provisioning(cluster: str) -> list[str]:
    """Create-or-update (and info) of every stream and bucket a service provisions at start-up."""
    streams = [s.name for s in jetstream.all_stream_specs(cluster)]
    streams += [f"KV_{b.bucket}" for b in jetstream.kv_specs(cluster)]
    return [f"{JS_API}.STREAM.{verb}.{name}" for name in streams for verb in ("INFO", "CREATE", "UPDATE")]


def durable_consumer(spec: jetstream.ConsumerSpec) -> list[str]:
    """Create/update, info, fetch and acknowledge on one durable pull consumer."""
    stream, durable = spec.stream, spec.durable
    return [
        f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}",
        f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}.>",
        f"{JS_API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"{JS_API}.CONSUMER.INFO.{stream}.{durable}",
        f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def kv_access(bucket: str, key: str = ">") -> list[str]:
    """Read (direct get or message get) and write (put, create, update, delete) of ``key`` in ``bucket``."""
    stream = f"KV_{bucket}"
    return [
        f"$KV.{bucket}.{key}",
        f"{JS_API}.DIRECT.GET.{stream}.$KV.{bucket}.{key}",
        f"{JS_API}.STREAM.MSG.GET.{stream}",
    ]


def kv_watch(bucket: str) -> list[str]:
    """An ordered (ephemeral) consumer on the bucket's stream, its flow-control replies, and its cleanup."""
    stream = f"KV_{bucket}"
    return [
        f"{JS_API}.CONSUMER.CREATE.{stream}",
        f"{JS_API}.CONSUMER.CREATE.{stream}.>",
        f"{JS_API}.CONSUMER.DELETE.{stream}.>",
        f"{JS_API}.CONSUMER.INFO.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


def service_permissions(service: str, cluster: str, region: str) -> Permissions:
    """The allow-lists of one service in one cluster (``region``: the market its collector reads)."""
    validate_cluster_name(cluster)
    publish = [subjects.pool_all(cluster, kind) for kind in PRODUCES[service]]
    publish.append(subjects.dlq(cluster, service))
    publish += provisioning(cluster)
    for spec in jetstream.consumer_specs(cluster, region)[service]:
        publish += durable_consumer(spec)
    for bucket in state_buckets(cluster).get(service, []):
        publish += kv_access(bucket)
    for bucket in watched_buckets(cluster).get(service, []):
        publish += kv_watch(bucket)
    if service in LEASE_HOLDERS:
        publish += kv_access(jetstream.leases_bucket(cluster), lease_key(cluster, service))
    owned = ", ".join(k.value for k in PRODUCES[service])
    return Permissions(
        user=service,
        description=f"the {service} service: publishes {owned}",
        publish=_unique(publish),
        subscribe=[INBOX],
    )


def feed_permissions(region: str) -> Permissions:
    """The market feed (replayed traces, the simulated cluster, an AWS bridge): market events of one region."""
    return Permissions(
        user=FEED,
        description=f"market feeds: publish market events of {region}",
        publish=[
            subjects.market_all(region).removesuffix(">") + "*",
            *(f"{JS_API}.STREAM.{v}.{jetstream.MARKET_STREAM}" for v in ("INFO", "CREATE", "UPDATE")),
        ],
        subscribe=[INBOX],
    )


def operator_permissions(cluster: str, region: str) -> Permissions:
    """People and tools: read every event and stream of the cluster, inject market events by hand.

    Reading a stream needs an ephemeral consumer (``nats stream view``, ``nats sub --stream``), so the
    operator may create, fetch from and delete consumers on the cluster's streams; it may not publish any
    cluster event, nor change or delete a stream.
    """
    validate_cluster_name(cluster)
    streams = [s.name for s in jetstream.all_stream_specs(cluster)]
    streams += [f"KV_{b.bucket}" for b in jetstream.kv_specs(cluster)]
    publish = [
        subjects.market_all(region).removesuffix(">") + "*",
        f"{JS_API}.INFO",
        f"{JS_API}.STREAM.NAMES",
        f"{JS_API}.STREAM.LIST",
    ]
    for name in streams:
        publish += [
            f"{JS_API}.STREAM.INFO.{name}",
            f"{JS_API}.STREAM.MSG.GET.{name}",
            f"{JS_API}.DIRECT.GET.{name}",
            f"{JS_API}.DIRECT.GET.{name}.>",
            f"{JS_API}.CONSUMER.NAMES.{name}",
            f"{JS_API}.CONSUMER.LIST.{name}",
            f"{JS_API}.CONSUMER.INFO.{name}.>",
            f"{JS_API}.CONSUMER.CREATE.{name}",
            f"{JS_API}.CONSUMER.CREATE.{name}.>",
            f"{JS_API}.CONSUMER.MSG.NEXT.{name}.>",
            f"{JS_API}.CONSUMER.DELETE.{name}.>",
            f"$JS.ACK.{name}.>",
            f"$JS.FC.{name}.>",
        ]
    return Permissions(
        user=OPERATOR,
        description="people and tools: read everything of the cluster, inject market events",
        publish=_unique(publish),
        subscribe=[f"{subjects.ROOT}.{cluster}.>", subjects.market_all(), INBOX],
    )


def all_permissions(cluster: str, region: str) -> list[Permissions]:
    """Every identity of one cluster's bus, services first."""
    return [
        *(service_permissions(s, cluster, region) for s in SERVICES),
        feed_permissions(region),
        operator_permissions(cluster, region),
    ]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
