"""Builders for runtime tests: settings pointing at the test server, and one-subscription services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from spotvortex.contracts import Action, PolicySource, ProposedAction, jetstream
from spotvortex.contracts.base import Event
from spotvortex.contracts.jetstream import ConsumerSpec
from spotvortex.runtime.config import HttpSettings, NatsSettings, ServiceSettings
from spotvortex.runtime.consumer import Decoder, Delivery, Subscription
from spotvortex.runtime.service import ServiceContext, ServiceSpec, Workers


def settings(url: str, cluster: str, **overrides: Any) -> ServiceSettings:
    return ServiceSettings(
        cluster=cluster,
        nats=NatsSettings(servers=[url], reconnect_wait_seconds=0.1, connect_timeout_seconds=2),
        http=HttpSettings(host="127.0.0.1", port=0),
        **overrides,
    )


def consumer(cluster: str, family: str, durable: str, **overrides: Any) -> ConsumerSpec:
    """A consumer on one event family of ``cluster`` with test-sized timings."""
    from spotvortex.contracts import subjects

    stream = {
        "action": jetstream.decisions_stream(cluster),
        "approved": jetstream.decisions_stream(cluster),
        "telemetry": jetstream.telemetry_stream(cluster),
        "drain": jetstream.actuation_stream(cluster),
    }[family]
    defaults: dict[str, Any] = {
        "stream": stream,
        "durable": durable,
        "filter_subjects": [subjects.pool_all(cluster, family)],
        "description": "test consumer",
        "ack_wait_seconds": 2.0,
        "max_deliver": 5,
        "backoff_seconds": [0.2, 0.4, 0.4, 0.4, 0.4],
    }
    defaults.update(overrides)
    return ConsumerSpec(**defaults)


Handler = Callable[[Any, Delivery, ServiceContext], Awaitable[None]]


def one_subscription(
    name: str, spec: ConsumerSpec, decoder: Decoder[Event], handler: Handler, *, needs_lease: bool = False
) -> ServiceSpec:
    async def build(ctx: ServiceContext) -> Workers:
        async def handle(event: Event, delivery: Delivery) -> None:
            await handler(event, delivery, ctx)

        return Workers(subscriptions=[Subscription(consumer=spec, decoder=decoder, handler=handle)])

    return ServiceSpec(name=name, build=build, needs_lease=needs_lease)


def proposal(cluster: str, i: int) -> ProposedAction:
    """A HOLD proposal for ``pool-<i>`` whose fact id is ``action:d-<i>``."""
    return ProposedAction(
        cluster=cluster,
        pool=f"pool-{i}",
        decision_id=f"d-{i}",
        telemetry_id=f"t-{i}",
        time=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        action=Action.HOLD,
        reason="hold_no_edge",
        policy=PolicySource.DETERMINISTIC,
        confidence=1.0,
        capacity_score=0.1,
        runtime_score=0.1,
        current_spot_ratio=0.5,
        target_spot_ratio=0.5,
    )
