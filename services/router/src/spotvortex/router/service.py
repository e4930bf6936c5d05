"""The router's adapter: approved verdicts in, NodePool steering and drain jobs out, under the cluster lease.

In ``shadow`` the steering is computed from the live NodePools and published with ``applied: false``, and the
drain job carries mode ``shadow`` so the drainer only reports; no mutating request is sent. ``observe``
verdicts are acknowledged and nothing else happens.
"""

from __future__ import annotations

import asyncio
from typing import cast

from spotvortex.contracts import DrainResult, GateVerdict, Mode, SteeringChange, jetstream, subjects
from spotvortex.contracts.enums import Provisioner
from spotvortex.contracts.subjects import PoolKind
from spotvortex.router.cluster import KarpenterApi
from spotvortex.router.config import RouterSettings
from spotvortex.router.planning import effective_mode, plan_drain
from spotvortex.router.steering import plan_steering
from spotvortex.runtime.consumer import Delivery, Subscription, decoder_for
from spotvortex.runtime.kube import api_client
from spotvortex.runtime.service import ServiceContext, Workers


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(RouterSettings, ctx.settings)
    cluster = settings.cluster
    approved, drained = jetstream.consumer_specs(cluster, settings.region)["router"]
    client = await api_client(settings.kube)  # a bad config fails start-up
    api = KarpenterApi(client)  # one per worker run: it remembers the karpenter.sh version it found

    async def on_approved(verdict: GateVerdict, _: Delivery) -> None:
        mode = effective_mode(settings.mode, verdict.mode)
        if mode is Mode.OBSERVE or not verdict.approved:
            return
        now = ctx.clock.now()
        nodepools = await api.nodepools(verdict.pool, settings.router)
        patches = plan_steering(verdict.pool, verdict.action.direction, nodepools, settings.router)
        if mode is Mode.ENFORCE:
            for patch in patches:
                await api.apply(patch)
        steer = SteeringChange(
            cluster=cluster,
            pool=verdict.pool,
            decision_id=verdict.decision_id,
            time=now,
            mode=mode,
            provisioner=verdict.facts.provisioner if verdict.facts else Provisioner.KARPENTER,
            target_spot_ratio=verdict.target_spot_ratio,
            applied=mode is Mode.ENFORCE,
            operations=[p.operation for p in patches],
        )
        await ctx.publisher.publish(subjects.pool(cluster, PoolKind.STEER, verdict.pool), steer)
        job = plan_drain(verdict, await api.nodes(verdict.pool, nodepools), mode, settings.router, now)
        if job is not None:
            await ctx.publisher.publish(subjects.pool(cluster, PoolKind.DRAIN, verdict.pool), job)
        ctx.log.info(
            "%s %s: %d steering change(s), %s",
            verdict.pool,
            verdict.action,
            len(patches),
            f"drain {', '.join(job.nodes)}" if job else "no drain",
            extra={
                "cluster": cluster,
                "pool": verdict.pool,
                "decision_id": verdict.decision_id,
                "mode": mode,
            },
        )

    async def on_drained(result: DrainResult, _: Delivery) -> None:
        ctx.log.info(
            "%s %s: %s",
            result.node,
            result.outcome,
            result.detail,
            extra={"cluster": cluster, "pool": result.pool, "job_id": result.job_id},
        )

    async def close_client(_: ServiceContext, stop: asyncio.Event) -> None:
        try:
            await stop.wait()
        finally:
            await client.close()

    return Workers(
        subscriptions=[
            Subscription(consumer=approved, decoder=decoder_for(GateVerdict), handler=on_approved),
            Subscription(consumer=drained, decoder=decoder_for(DrainResult), handler=on_drained),
        ],
        background=[close_client],
    )
