"""The inference service on a real NATS: events per snapshot, replicas sharing a durable, dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from spotvortex.contracts import (
    Action,
    DeadLetter,
    PolicySource,
    PoolTelemetry,
    ProposedAction,
    RiskAssessment,
    decode,
    encode,
    jetstream,
    subjects,
)
from spotvortex.contracts.subjects import PoolKind
from spotvortex.inference import SPEC, InferenceSettings, decision_id, load_models
from spotvortex.runtime.clock import VirtualClock
from spotvortex.runtime.provision import ensure_all
from spotvortex.runtime.service import ServiceRunner
from tests.helpers import eventually
from tests.runtime.support import settings

from .builders import NOW, series, telemetry

TIMEOUT = 10.0


def inference_settings(url: str, cluster: str, **overrides: Any) -> InferenceSettings:
    base = settings(url, cluster, **overrides)
    return InferenceSettings(**{f: getattr(base, f) for f in base.__struct_fields__})


def snapshot(cluster: str, pool: str, **overrides: Any) -> PoolTelemetry:
    return telemetry(pool=pool, cluster=cluster, **overrides)


class Bus:
    """A test client: publishes telemetry, collects what inference publishes."""

    def __init__(self, nc: NATS, js: JetStreamContext, cluster: str) -> None:
        self.nc, self.js, self.cluster = nc, js, cluster
        self.risks: asyncio.Queue[RiskAssessment] = asyncio.Queue()
        self.actions: asyncio.Queue[ProposedAction] = asyncio.Queue()
        self.dead: asyncio.Queue[DeadLetter] = asyncio.Queue()

    async def listen(self) -> None:
        async def on_risk(msg: Any) -> None:
            await self.risks.put(decode(msg.data, RiskAssessment))

        async def on_action(msg: Any) -> None:
            await self.actions.put(decode(msg.data, ProposedAction))

        async def on_dead(msg: Any) -> None:
            await self.dead.put(decode(msg.data, DeadLetter))

        await self.nc.subscribe(subjects.pool_all(self.cluster, PoolKind.RISK), cb=on_risk)
        await self.nc.subscribe(subjects.pool_all(self.cluster, PoolKind.ACTION), cb=on_action)
        await self.nc.subscribe(subjects.dlq(self.cluster, "inference"), cb=on_dead)
        await self.nc.flush()

    async def send(self, t: PoolTelemetry, msg_id: str | None = None) -> None:
        subject = subjects.pool(self.cluster, PoolKind.TELEMETRY, t.pool)
        await self.js.publish(subject, encode(t), headers={"Nats-Msg-Id": msg_id or t.fact_id()})

    async def take(self, queue: asyncio.Queue[Any], count: int) -> list[Any]:
        return [await asyncio.wait_for(queue.get(), TIMEOUT) for _ in range(count)]

    async def drained(self) -> bool:
        (spec,) = jetstream.consumer_specs(self.cluster, "us-east-1")["inference"]
        info = await self.js.consumer_info(spec.stream, spec.durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    async def stored_per_subject(self) -> dict[str, int]:
        info = await self.js.stream_info(jetstream.decisions_stream(self.cluster), subjects_filter=">")
        return dict(info.state.subjects or {})


@asynccontextmanager
async def bus(url: str, cluster: str) -> AsyncIterator[Bus]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    client = Bus(nc, js, cluster)
    await client.listen()
    try:
        yield client
    finally:
        await nc.close()


@asynccontextmanager
async def replica(config: InferenceSettings) -> AsyncIterator[ServiceRunner]:
    runner = ServiceRunner(SPEC, config, clock=VirtualClock(NOW))
    await runner.start()
    await asyncio.wait_for(runner.working.wait(), TIMEOUT)
    try:
        yield runner
    finally:
        await runner.stop()


async def test_each_snapshot_yields_a_risk_and_an_action(nats_url: str, cluster: str) -> None:
    models = load_models()
    pools = {
        "web": snapshot(cluster, "web"),
        "no-market": snapshot(cluster, "no-market", market=[]),
        "gpu": snapshot(
            cluster,
            "gpu",
            instance_types=["p4d.24xlarge"],
            dominant_instance_type="p4d.24xlarge",
            market=[series("p4d.24xlarge", od=32.77, spot=9.8)],
        ),
        "dry": snapshot(cluster, "dry", market=[series(spot_available=False)]),
    }
    async with bus(nats_url, cluster) as client, replica(inference_settings(nats_url, cluster)) as runner:
        for t in pools.values():
            await client.send(t)
        risks = {r.pool: r for r in await client.take(client.risks, len(pools))}
        actions = {a.pool: a for a in await client.take(client.actions, len(pools))}
        metrics = runner.metrics.registry
    assert set(risks) == set(actions) == set(pools)
    for pool, t in pools.items():
        action = actions[pool]
        assert action.decision_id == decision_id(t)
        assert action.telemetry_id == risks[pool].telemetry_id == t.telemetry_id
        assert action.facts == t.facts
        assert action.time == NOW
        assert risks[pool].model_version == models.risk.version
    assert (actions["web"].action, actions["web"].policy) == (Action.INCREASE_30, PolicySource.DETERMINISTIC)
    assert actions["web"].shadow_action is not None
    assert (actions["no-market"].action, actions["no-market"].reason) == (Action.HOLD, "missing_market_data")
    assert actions["no-market"].confidence == 0.0
    assert (actions["gpu"].action, actions["gpu"].reason) == (
        Action.EMERGENCY_EXIT,
        "unsupported_instance_family",
    )
    assert risks["gpu"].family_supported is False
    assert (actions["dry"].action, actions["dry"].reason) == (Action.EMERGENCY_EXIT, "emergency_risk")
    assert metrics.get_sample_value("spotvortex_unsupported_instance_family_total", {"family": "p4d"}) == 1
    web = actions["web"]
    label = "same" if web.shadow_action is web.action else "different"
    assert (
        metrics.get_sample_value("spotvortex_shadow_action_agreement_total", {"agreement": label}) or 0
    ) >= 1


async def test_replicas_share_the_work_and_each_fact_is_stored_once(nats_url: str, cluster: str) -> None:
    config = msgspec.structs.replace(inference_settings(nats_url, cluster), fetch_batch=4)
    first_wave = [snapshot(cluster, f"pool-{i}") for i in range(40)]
    second_wave = [snapshot(cluster, f"late-{i}") for i in range(12)]
    async with bus(nats_url, cluster) as client, replica(config) as a:
        async with replica(config) as b:
            for t in first_wave:
                await client.send(t)
            # the same snapshots again under other message ids: stored and decided again, but the decisions
            # carry the same fact ids, so JetStream keeps one of each
            for t in first_wave[:10]:
                await client.send(t, msg_id=f"replay-{t.pool}")
            await eventually(client.drained, timeout=TIMEOUT)
            handled = [sum(loop.stats.handled for loop in r.loops) for r in (a, b)]
        # b stopped: a keeps deciding
        for t in second_wave:
            await client.send(t)
        await eventually(client.drained, timeout=TIMEOUT)
        stored = await client.stored_per_subject()
    assert sum(handled) == 50
    assert min(handled) > 0, f"both replicas should serve: {handled}"
    every = [*first_wave, *second_wave]
    for t in every:
        assert stored[subjects.pool(cluster, PoolKind.ACTION, t.pool)] == 1
        assert stored[subjects.pool(cluster, PoolKind.RISK, t.pool)] == 1
    assert len(stored) == 2 * len(every)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{not json", "undecodable"), (b'{"schema_version": 1, "cluster": "x"}', "invalid")],
)
async def test_a_bad_telemetry_goes_to_the_dead_letters(
    nats_url: str, cluster: str, body: bytes, reason: str
) -> None:
    async with bus(nats_url, cluster) as client, replica(inference_settings(nats_url, cluster)):
        subject = subjects.pool(cluster, PoolKind.TELEMETRY, "broken")
        await client.js.publish(subject, body)
        await client.send(snapshot(cluster, "fine"))
        (letter,) = await client.take(client.dead, 1)
        (action,) = await client.take(client.actions, 1)
    assert (letter.service, letter.reason, letter.subject, letter.payload) == (
        "inference",
        reason,
        subject,
        body,
    )
    assert action.pool == "fine"
