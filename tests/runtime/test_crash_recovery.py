"""A SIGKILLed server loses consumer ack state and redelivers; effects must still happen exactly once.

The handler's effect is a publish whose ``Nats-Msg-Id`` derives from the fact it handles (DESIGN §2.4), so a
redelivered message re-publishes the same id and JetStream stores it once. The test counts stored effects,
not deliveries.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tests.helpers import eventually
from tests.runtime.support import consumer, one_subscription, proposal, settings

from spotvortex.contracts import Action, GateVerdict, Mode, ProposedAction, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.runtime.consumer import Delivery, decoder_for
from spotvortex.runtime.natsserver import NatsServerProcess
from spotvortex.runtime.service import ServiceContext, ServiceRunner

N = 300


@pytest.mark.fault
async def test_effects_happen_exactly_once_across_a_sigkill(
    nats_process: NatsServerProcess, cluster: str
) -> None:
    deliveries = 0
    halfway = asyncio.Event()

    async def judge(event: ProposedAction, _d: Delivery, ctx: ServiceContext) -> None:
        nonlocal deliveries
        deliveries += 1
        if deliveries == N // 2:
            halfway.set()
        verdict = GateVerdict(
            cluster=event.cluster,
            pool=event.pool,
            decision_id=event.decision_id,
            time=datetime(2026, 3, 2, tzinfo=UTC),
            mode=Mode.ENFORCE,
            approved=True,
            proposed=event.action,
            action=Action.HOLD,
            current_spot_ratio=event.current_spot_ratio,
            target_spot_ratio=event.target_spot_ratio,
        )
        await ctx.publisher.publish(subjects.pool(event.cluster, PoolKind.APPROVED, event.pool), verdict)

    spec = consumer(cluster, "action", "judge", ack_wait_seconds=2.0, max_deliver=20)
    runner = ServiceRunner(
        one_subscription("gates", spec, decoder_for(ProposedAction), judge),
        settings(nats_process.url, cluster),
    )
    await runner.start()
    ctx = runner.context
    assert ctx is not None
    try:
        for i in range(N):
            await ctx.publisher.publish(
                subjects.pool(cluster, PoolKind.ACTION, f"pool-{i}"), proposal(cluster, i)
            )
        await asyncio.wait_for(halfway.wait(), 20)
        await nats_process.kill()
        await nats_process.start()

        async def approved_count() -> int:
            info = await ctx.bus.js.stream_info(
                jetstream.decisions_stream(cluster),
                subjects_filter=subjects.pool_all(cluster, PoolKind.APPROVED),
            )
            return sum((info.state.subjects or {}).values())

        async def settled() -> bool:
            if not ctx.bus.connected:
                return False
            try:
                info = await ctx.bus.js.consumer_info(spec.stream, spec.durable)
                return info.num_pending == 0 and info.num_ack_pending == 0 and await approved_count() >= N
            except Exception:
                return False

        await eventually(settled, timeout=60, interval=0.2)
        assert await approved_count() == N, "every proposal judged exactly once"
        assert deliveries >= N
    finally:
        await runner.stop()
