"""The router's adapter: approved verdicts in, provisioner steering and drain jobs out, under the cluster lease.

Each pool is steered through its path (``router.provisioner``, or ``router.pools.<pool>``): Karpenter
NodePools, Cluster Autoscaler's priority expander ConfigMap, or Auto Scaling groups. Every approved verdict is
steered, HOLD included (direction 0: the target is met, steering returns to neutral); only a move plans a
drain. In ``shadow`` the steering is computed from the live objects and published with ``applied: false``,
and the drain job carries mode ``shadow`` so the drainer only reports; no mutating request is sent to
Kubernetes or AWS. ``observe`` verdicts are acknowledged and nothing else happens.
"""

from __future__ import annotations

import asyncio
from typing import cast

import msgspec

from spotvortex.contracts import DrainJob, DrainResult, GateVerdict, Mode, SteeringChange, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.router.asg_api import AsgSteering
from spotvortex.router.backends import AsgBackend, Backend, ExpanderBackend, KarpenterBackend
from spotvortex.router.cluster import KarpenterApi
from spotvortex.router.config import ProvisionerPath, RouterSettings
from spotvortex.router.expander_api import ExpanderApi
from spotvortex.router.planning import effective_mode, plan_drain
from spotvortex.runtime.consumer import Delivery, Subscription, decoder_for
from spotvortex.runtime.kube import api_client
from spotvortex.runtime.service import ServiceContext, Workers


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(RouterSettings, ctx.settings)
    cluster = settings.cluster
    approved, drained = jetstream.consumer_specs(cluster, settings.region)["router"]
    client = await api_client(settings.kube)  # a bad config fails start-up
    api = KarpenterApi(client)  # one per worker run: it remembers the karpenter.sh version it found
    backends: dict[ProvisionerPath, Backend] = {
        ProvisionerPath.KARPENTER: KarpenterBackend(api, settings.router),
        ProvisionerPath.CLUSTER_AUTOSCALER: ExpanderBackend(ExpanderApi(client, settings.router.expander)),
        ProvisionerPath.ASG: AsgBackend(
            AsgSteering(
                settings.router.asg,
                region=settings.aws.region or settings.region,
                endpoint_url=settings.aws.endpoint_url,
            )
        ),
    }

    async def on_approved(verdict: GateVerdict, _: Delivery) -> None:
        mode = effective_mode(settings.mode, verdict.mode)
        if mode is Mode.OBSERVE or not verdict.approved:
            return
        now = ctx.clock.now()
        path = settings.router.path_for(verdict.pool, verdict.facts.provisioner if verdict.facts else None)
        steered = await backends[path].steer(verdict, apply=mode is Mode.ENFORCE)
        steer = SteeringChange(
            cluster=cluster,
            pool=verdict.pool,
            decision_id=verdict.decision_id,
            time=now,
            mode=mode,
            provisioner=steered.provisioner,
            target_spot_ratio=verdict.target_spot_ratio,
            applied=mode is Mode.ENFORCE,
            operations=steered.operations,
        )
        await ctx.publisher.publish(subjects.pool(cluster, PoolKind.STEER, verdict.pool), steer)
        job: DrainJob | None = None
        if verdict.action.direction != 0 and verdict.drain_allowance > 0:  # HOLD steers, never drains
            nodes = await api.nodes(verdict.pool, steered.nodepools)
            job = plan_drain(verdict, nodes, mode, settings.router, now, nodepools=steered.nodepools)
        if job is not None:
            # the drainer brings up replacements through the path that was steered, not the detected one
            job = msgspec.structs.replace(job, provisioner=steered.provisioner)
            await ctx.publisher.publish(subjects.pool(cluster, PoolKind.DRAIN, verdict.pool), job)
        ctx.log.info(
            "%s %s via %s: %d steering change(s), %s",
            verdict.pool,
            verdict.action,
            path,
            len(steered.operations),
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
