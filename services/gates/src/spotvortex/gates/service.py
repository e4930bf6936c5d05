"""The gates' adapter: proposals in, verdicts out, per-pool state in KV by compare-and-set.

The verdict is published only after the state it implies is stored, and a redelivered proposal finds its
own verdict in that state and republishes it unchanged (same fact id, so JetStream drops the duplicate):
a crash between the two steps neither loses a verdict nor judges a proposal twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from spotvortex.contracts import DrainResult, GateVerdict, ProposedAction, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.gates.config import GatesSettings
from spotvortex.gates.judge import judge
from spotvortex.gates.state import CLUSTER_KEY, ClusterState, PoolState, for_mode, settle
from spotvortex.runtime import kvstore
from spotvortex.runtime.consumer import Delivery, Subscription, decoder_for
from spotvortex.runtime.service import ServiceContext, Workers


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(GatesSettings, ctx.settings)
    cluster = settings.cluster
    kv = ctx.buckets[jetstream.pool_state_bucket(cluster)]
    actions, drained = jetstream.consumer_specs(cluster, settings.region)["gates"]

    async def on_proposal(proposal: ProposedAction, _: Delivery) -> None:
        now = ctx.clock.now()
        cluster_record = (await kvstore.read(kv, CLUSTER_KEY, ClusterState))[1]
        started = (cluster_record or ClusterState()).started_since(now - timedelta(hours=1))

        def decide(stored: PoolState | None) -> tuple[PoolState | None, GateVerdict]:
            judgement = judge(
                proposal, stored, settings.gates, mode=settings.mode, now=now, cluster_started=started
            )
            return (None if judgement.replayed else judgement.state), judgement.verdict

        verdict = await kvstore.modify(kv, proposal.pool, PoolState, decide)
        if verdict.approved and verdict.drain_allowance > 0 and verdict.mode == settings.mode:

            def count(stored: ClusterState | None) -> tuple[ClusterState | None, None]:
                record = stored or ClusterState()
                return record.with_drain(verdict.decision_id, now, verdict.drain_allowance), None

            await kvstore.modify(kv, CLUSTER_KEY, ClusterState, count)
        kind = PoolKind.APPROVED if verdict.approved else PoolKind.REJECTED
        await ctx.publisher.publish(subjects.pool(cluster, kind, proposal.pool), verdict)
        ctx.log.info(
            "%s %s → %s",
            proposal.pool,
            proposal.action,
            "approved" if verdict.approved else f"rejected ({verdict.reason})",
            extra={"cluster": cluster, "pool": proposal.pool, "decision_id": proposal.decision_id},
        )

    async def on_drained(result: DrainResult, _: Delivery) -> None:
        now = ctx.clock.now()

        def count(stored: PoolState | None) -> tuple[PoolState | None, None]:
            state = for_mode(stored, result.pool, settings.mode)
            return settle(state, result.fact_id(), now), None

        await kvstore.modify(kv, result.pool, PoolState, count)

    return Workers(
        subscriptions=[
            Subscription(consumer=actions, decoder=decoder_for(ProposedAction), handler=on_proposal),
            Subscription(consumer=drained, decoder=decoder_for(DrainResult), handler=on_drained),
        ]
    )
