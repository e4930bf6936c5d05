"""Every stream, durable consumer and KV bucket, defined in one place.

Per cluster there are four streams split by how long their messages matter (telemetry is worthless after
minutes, decisions are an audit trail, drain results matter for a month), plus one market stream shared by
all clusters on the bus. Names never overlap: the market stream owns ``spotvortex.market.>`` and a cluster
may not be called ``market`` (see :func:`~spotvortex.contracts.tokens.validate_cluster_name`).

These are plain data; ``spotvortex.runtime.provision`` turns them into server objects idempotently.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from spotvortex.contracts import subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.contracts.tokens import validate_cluster_name

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


class StreamSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    subjects: list[str]
    description: str
    max_age_seconds: float
    duplicate_window_seconds: float = 2 * MINUTE
    max_msgs_per_subject: int = -1
    storage: Literal["file", "memory"] = "file"
    replicas: int = 1


class ConsumerSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A durable pull consumer. ``backoff_seconds`` spaces redeliveries of messages that are not acked."""

    stream: str
    durable: str
    filter_subjects: list[str]
    description: str
    ack_wait_seconds: float = 30.0
    max_deliver: int = 8
    backoff_seconds: list[float] = msgspec.field(default_factory=lambda: [1.0, 2.0, 5.0, 10.0, 30.0])
    max_ack_pending: int = 1000


class KVSpec(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str
    description: str
    history: int = 1
    ttl_seconds: float | None = None
    replicas: int = 1


MARKET_STREAM = "SPOTVORTEX_MARKET"


def _stream_name(cluster: str, family: str) -> str:
    return f"SPOTVORTEX_{validate_cluster_name(cluster).upper()}_{family}"


def telemetry_stream(cluster: str) -> str:
    return _stream_name(cluster, "TELEMETRY")


def decisions_stream(cluster: str) -> str:
    return _stream_name(cluster, "DECISIONS")


def actuation_stream(cluster: str) -> str:
    return _stream_name(cluster, "ACTUATION")


def dlq_stream(cluster: str) -> str:
    return _stream_name(cluster, "DLQ")


def market_stream_spec() -> StreamSpec:
    return StreamSpec(
        name=MARKET_STREAM,
        subjects=[subjects.market_all()],
        description="Market events of every region: prices, interruption notices, rebalances, capacity",
        max_age_seconds=DAY,
    )


def cluster_stream_specs(cluster: str) -> list[StreamSpec]:
    def fam(*kinds: PoolKind) -> list[str]:
        return [subjects.pool_all(cluster, k) for k in kinds]

    return [
        StreamSpec(
            name=telemetry_stream(cluster),
            subjects=fam(PoolKind.TELEMETRY),
            description="Pool snapshots; only recent ones matter",
            max_age_seconds=HOUR,
            max_msgs_per_subject=100,
        ),
        StreamSpec(
            name=decisions_stream(cluster),
            subjects=fam(PoolKind.RISK, PoolKind.ACTION, PoolKind.APPROVED, PoolKind.REJECTED),
            description="Risk, proposals and gate verdicts: the decision audit trail",
            max_age_seconds=7 * DAY,
        ),
        StreamSpec(
            name=actuation_stream(cluster),
            subjects=fam(PoolKind.STEER, PoolKind.DRAIN, PoolKind.DRAINED),
            description="Steering changes, drain jobs and per-node drain results",
            max_age_seconds=30 * DAY,
        ),
        StreamSpec(
            name=dlq_stream(cluster),
            subjects=[subjects.dlq_all(cluster)],
            description="Messages a service could not decode or handle, with the reason",
            max_age_seconds=14 * DAY,
        ),
    ]


def all_stream_specs(cluster: str) -> list[StreamSpec]:
    return [market_stream_spec(), *cluster_stream_specs(cluster)]


def consumer_specs(cluster: str, region: str) -> dict[str, list[ConsumerSpec]]:
    """The durable consumers of each service. Replicas of a service share its durables."""
    validate_cluster_name(cluster)
    return {
        "collector": [
            ConsumerSpec(
                stream=MARKET_STREAM,
                durable=f"collector-{cluster}",
                filter_subjects=[subjects.market_all(region)],
                description="Market events for this cluster's region",
                ack_wait_seconds=10.0,
            )
        ],
        "inference": [
            ConsumerSpec(
                stream=telemetry_stream(cluster),
                durable="inference",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.TELEMETRY)],
                description="Pool telemetry, shared by all inference replicas",
                ack_wait_seconds=10.0,
            )
        ],
        "gates": [
            ConsumerSpec(
                stream=decisions_stream(cluster),
                durable="gates",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.ACTION)],
                description="Proposed actions to judge",
            ),
            ConsumerSpec(
                stream=actuation_stream(cluster),
                durable="gates-drained",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.DRAINED)],
                description="Drain results that release drain budget",
            ),
        ],
        "router": [
            ConsumerSpec(
                stream=decisions_stream(cluster),
                durable="router",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.APPROVED)],
                description="Approved actions to steer and plan drains for",
            ),
            ConsumerSpec(
                stream=actuation_stream(cluster),
                durable="router-drained",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.DRAINED)],
                description="Drain results that complete or undo a plan",
            ),
        ],
        "drainer": [
            ConsumerSpec(
                stream=actuation_stream(cluster),
                durable="drainer",
                filter_subjects=[subjects.pool_all(cluster, PoolKind.DRAIN)],
                description="Drain jobs to execute",
                ack_wait_seconds=60.0,
                max_deliver=5,
            )
        ],
    }


def kv_specs(cluster: str) -> list[KVSpec]:
    validate_cluster_name(cluster)
    return [
        KVSpec(
            bucket=f"spotvortex-{cluster}-pool-state",
            description="Per-pool decision state: target share, cooldowns, hysteresis, last migration",
            history=5,
        ),
        KVSpec(
            bucket=f"spotvortex-{cluster}-leases",
            description="Single-writer leases of the workers that mutate the cluster",
            history=1,
        ),
        KVSpec(
            bucket=f"spotvortex-{cluster}-jobs",
            description="Drain job state machines, keyed by job id",
            history=10,
            ttl_seconds=30 * DAY,
        ),
    ]


def pool_state_bucket(cluster: str) -> str:
    return f"spotvortex-{validate_cluster_name(cluster)}-pool-state"


def leases_bucket(cluster: str) -> str:
    return f"spotvortex-{validate_cluster_name(cluster)}-leases"


def jobs_bucket(cluster: str) -> str:
    return f"spotvortex-{validate_cluster_name(cluster)}-jobs"
