"""The gates service on a real NATS: verdicts on the right subjects, state that survives a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import msgspec
import nats

from spotvortex.contracts import Action, GateVerdict, Mode, decode, encode, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.gates import SPEC, GatesSettings
from spotvortex.runtime.clock import VirtualClock
from spotvortex.runtime.provision import ensure_all
from spotvortex.runtime.service import ServiceRunner
from tests.runtime.support import settings

from .builders import NOW, facts, proposal


def gates_settings(url: str, cluster: str) -> GatesSettings:
    base = settings(url, cluster, mode=Mode.ENFORCE)
    return GatesSettings(**{f: getattr(base, f) for f in base.__struct_fields__})


async def _verdicts(nc: nats.NATS, cluster: str) -> asyncio.Queue[tuple[str, GateVerdict]]:
    queue: asyncio.Queue[tuple[str, GateVerdict]] = asyncio.Queue()

    async def on_msg(msg: nats.aio.msg.Msg) -> None:
        await queue.put((subjects.parse(msg.subject).family, decode(msg.data, GateVerdict)))

    await nc.subscribe(f"spotvortex.{cluster}.approved.*", cb=on_msg)
    await nc.subscribe(f"spotvortex.{cluster}.rejected.*", cb=on_msg)
    await nc.flush()
    return queue


async def test_restarted_gates_keep_the_cooldown(nats_url: str, cluster: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    verdicts = await _verdicts(nc, cluster)
    config = gates_settings(nats_url, cluster)

    async def send(decision: str, at_seconds: float) -> None:
        at = NOW + timedelta(seconds=at_seconds)
        p = proposal(
            Action.DECREASE_10,
            decision=decision,
            cluster=cluster,
            pool_facts=facts(telemetry_time=at - timedelta(seconds=5)),
        )
        await js.publish(subjects.pool(cluster, PoolKind.ACTION, "web"), encode(p))

    first = ServiceRunner(SPEC, config, clock=VirtualClock(NOW))
    await first.start()
    await send("d1", 0)
    family, verdict = await asyncio.wait_for(verdicts.get(), 10)
    assert family == "approved"
    assert verdict.decision_id == "d1"
    assert verdict.drain_allowance == 1
    await first.stop()

    second = ServiceRunner(SPEC, config, clock=VirtualClock(NOW + timedelta(seconds=120)))
    await second.start()
    try:
        await send("d2", 120)
        family, verdict = await asyncio.wait_for(verdicts.get(), 10)
        assert family == "rejected"
        assert verdict.decision_id == "d2"
        cooldown = next(r for r in verdict.rules if r.rule == "cooldown")
        assert cooldown.outcome == "fail"
        assert cooldown.value == 120
    finally:
        await second.stop()
        await nc.close()


async def test_a_redelivered_proposal_is_not_judged_twice(nats_url: str, cluster: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    verdicts = await _verdicts(nc, cluster)
    runner = ServiceRunner(SPEC, gates_settings(nats_url, cluster), clock=VirtualClock(NOW))
    await runner.start()
    try:
        p = proposal(Action.DECREASE_10, decision="d1", cluster=cluster)
        subject = subjects.pool(cluster, PoolKind.ACTION, "web")
        await js.publish(subject, encode(p))
        first = await asyncio.wait_for(verdicts.get(), 10)
        # the same proposal again under another message id: JetStream stores it, the gates must not re-judge
        await js.publish(subject, encode(p), headers={"Nats-Msg-Id": "replay-1"})
        second = await asyncio.wait_for(verdicts.get(), 10)
        assert first == second
        assert first[0] == "approved"
    finally:
        await runner.stop()
        await nc.close()


async def test_the_cluster_hourly_budget_is_shared_by_every_pool_through_kv(
    nats_url: str, cluster: str
) -> None:
    """Forty nodes at 10 % an hour: four drains, whichever pools ask; the fifth pool is held back."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    verdicts = await _verdicts(nc, cluster)
    base = gates_settings(nats_url, cluster)
    config = msgspec.structs.replace(
        base, gates=msgspec.structs.replace(base.gates, cluster_drains_per_hour_fraction=0.1)
    )
    runner = ServiceRunner(SPEC, config, clock=VirtualClock(NOW))
    await runner.start()
    try:
        results = []
        for i in range(5):  # one move of one node per pool, pools of ten nodes, one after another
            pool = f"pool-{i}"
            p = proposal(Action.DECREASE_10, decision=f"d{i}", cluster=cluster, pool=pool, pool_facts=facts())
            await js.publish(subjects.pool(cluster, PoolKind.ACTION, pool), encode(p))
            results.append(await asyncio.wait_for(verdicts.get(), 10))
    finally:
        await runner.stop()
        await nc.close()
    assert [family for family, _ in results] == ["approved"] * 4 + ["rejected"]
    held = next(r for r in results[4][1].rules if r.rule == "cluster_hourly_budget")
    assert held.outcome == "fail"
