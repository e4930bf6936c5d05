"""The drainer's adapter: drain jobs in, per-node results out, under the cluster lease.

A delivered job is only *accepted* here: its record is created in KV (or found there) and the delivery is
acknowledged; the executor, a background worker, carries it out. So a replayed job that is finished costs no
Kubernetes call, a job in progress is resumed rather than restarted, and a drain may take longer than the
consumer's ack wait without being redelivered. In ``observe`` a new job is acknowledged with a ``skipped``
result per node and nothing else.
"""

from __future__ import annotations

import asyncio
from typing import cast

from spotvortex.contracts import DrainJob, DrainResult, Mode, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.drainer.config import DrainerSettings
from spotvortex.drainer.executor import Executor
from spotvortex.drainer.jobs import Admission
from spotvortex.drainer.metrics import drainer_metrics
from spotvortex.drainer.store import JobStore
from spotvortex.runtime.consumer import Delivery, Subscription, decoder_for
from spotvortex.runtime.errors import PermanentError
from spotvortex.runtime.kube import api_client
from spotvortex.runtime.service import ServiceContext, Workers


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(DrainerSettings, ctx.settings)
    cluster = settings.cluster
    (jobs_consumer,) = jetstream.consumer_specs(cluster, settings.region)["drainer"]
    store = JobStore(ctx.buckets[jetstream.jobs_bucket(cluster)])
    metrics = drainer_metrics(ctx.metrics.registry)
    if settings.mode is not Mode.OBSERVE:
        await (await api_client(settings.kube)).close()  # a missing API config stops start-up, not a drain
    executor = Executor(
        settings=settings,
        store=store,
        publisher=ctx.publisher,
        clock=ctx.clock,
        metrics=metrics,
        log=ctx.log,
    )

    async def on_job(job: DrainJob, delivery: Delivery) -> None:
        if job.cluster != cluster:
            raise PermanentError(f"drain job {job.job_id} is for cluster {job.cluster!r}, not {cluster!r}")
        now = ctx.clock.now()
        record, admission = await store.admit(job, service_mode=settings.mode, now=now)
        extra = {"cluster": cluster, "pool": job.pool, "decision_id": job.decision_id, "job_id": job.job_id}
        if admission is Admission.IGNORE:
            for node in dict.fromkeys(job.nodes):
                result = DrainResult(
                    job_id=job.job_id,
                    cluster=cluster,
                    pool=job.pool,
                    node=node,
                    time=now,
                    mode=Mode.OBSERVE,
                    outcome="skipped",
                    detail="observe mode: drain jobs are not executed",
                )
                await ctx.publisher.publish(subjects.pool(cluster, PoolKind.DRAINED, job.pool), result)
                metrics.node_results.labels("skipped", str(Mode.OBSERVE)).inc()
            return
        if admission is Admission.DONE or record is None:
            ctx.log.info("drain job %s already finished; nothing to do", job.job_id, extra=extra)
            return
        await store.mark_active(job.job_id)
        executor.submit(record)
        ctx.log.info(
            "%s drain job %s (%s, %d node(s)%s)",
            "accepted" if admission is Admission.NEW else "resuming",
            job.job_id,
            record.mode,
            len(record.nodes),
            ", emergency" if job.emergency else "",
            extra=extra,
        )

    async def execute(_: ServiceContext, stop: asyncio.Event) -> None:
        await executor.run(stop)

    return Workers(
        subscriptions=[Subscription(consumer=jobs_consumer, decoder=decoder_for(DrainJob), handler=on_job)],
        background=[execute],
    )
