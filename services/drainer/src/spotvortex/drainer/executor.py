"""Which accepted jobs run now: emergencies first and never queued behind others, the rest a few at a time.

Jobs reach the executor two ways: from the consumer, right after their record is stored (the delivery is then
acknowledged, so a drain longer than the consumer's ack wait is never redelivered mid-way), and from the KV
index of active jobs when the drainer starts or takes over the lease. A job that fails (API or KV
unreachable) is retried from its record after a pause; nothing about it lives only in memory.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from spotvortex.aws.autoscaling import AsgApi
from spotvortex.contracts import Provisioner
from spotvortex.drainer.config import DrainerSettings
from spotvortex.drainer.drain import JobRun
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.karpenter import KarpenterPlaceholders
from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.drainer.metrics import DrainerMetrics
from spotvortex.drainer.provider import ReplacementProvider
from spotvortex.drainer.recorder import EventRecorder
from spotvortex.drainer.store import JobStore
from spotvortex.drainer.twins import AsgTwins
from spotvortex.drainer.waits import NodeLocks, sleep_unless
from spotvortex.runtime.clock import Clock
from spotvortex.runtime.publisher import Publisher


def priority(emergency: bool, time: datetime, job_id: str) -> tuple[bool, datetime, str]:
    """Sort key of queued jobs: emergencies first, then the oldest decision."""
    return (not emergency, time, job_id)


def replacement_providers(
    api: ClusterApi, settings: DrainerSettings, asg: AsgApi | None = None
) -> dict[Provisioner, ReplacementProvider]:
    """Who brings up replacement capacity, per provisioner: Karpenter's placeholders, and with ``asg`` (the
    drainer's ``aws.enabled``) the twin Auto Scaling groups of Cluster Autoscaler and managed node group
    pools. A provisioner missing here is drained without waiting for replacement capacity."""
    providers: dict[Provisioner, ReplacementProvider] = {
        Provisioner.KARPENTER: KarpenterPlaceholders(api, settings.drainer.placeholder_policy())
    }
    if asg is not None:
        twins = AsgTwins(asg, api)
        providers[Provisioner.MANAGED_NODEGROUP] = twins
        providers[Provisioner.CLUSTER_AUTOSCALER] = twins
    return providers


def auto_scaling(settings: DrainerSettings) -> AsgApi | None:
    """The Auto Scaling client when the drainer's ``aws.enabled``; it sends nothing until a job needs it."""
    aws = settings.aws
    if not aws.enabled:
        return None
    return AsgApi(settings.drainer.asg, region=aws.region or settings.region, endpoint_url=aws.endpoint_url)


class Executor:
    def __init__(
        self,
        *,
        settings: DrainerSettings,
        store: JobStore,
        publisher: Publisher,
        clock: Clock,
        metrics: DrainerMetrics,
        log: logging.Logger,
    ) -> None:
        self._settings = settings
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._metrics = metrics
        self._log = log
        self._queued: dict[str, tuple[bool, datetime]] = {}
        self._running: dict[str, tuple[asyncio.Task[None], bool]] = {}
        self._wake = asyncio.Event()
        self._locks = NodeLocks()

    def submit(self, record: JobRecord) -> None:
        """Queue a stored job (again) unless it is already running."""
        if record.job_id not in self._running:
            self._queued[record.job_id] = (record.job.emergency, record.job.time)
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Resume the active jobs, then start queued jobs as capacity allows, until ``stop``."""
        cluster = ClusterApi(self._settings.kube, conflict_attempts=self._settings.drainer.conflict_attempts)
        asg = auto_scaling(self._settings)
        try:
            await self._resume(stop)
            while not stop.is_set():
                self._launch(cluster, asg, stop)
                await self._wait(stop)
        finally:
            await self._finish_running()
            await cluster.close()

    async def _resume(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                records = await self._store.active()
            except Exception as err:
                self._log.warning("cannot list active drain jobs yet: %r", err)
                await sleep_unless(self._clock, self._settings.drainer.retry_seconds, stop)
                continue
            for record in records:
                self._log.info("resuming drain job %s", record.job_id, extra={"job_id": record.job_id})
                self.submit(record)
            return

    def _launch(self, cluster: ClusterApi, asg: AsgApi | None, stop: asyncio.Event) -> None:
        limit = self._settings.drainer.max_concurrent_jobs
        for job_id in sorted(self._queued, key=lambda j: priority(*self._queued[j], j)):
            emergency, _ = self._queued[job_id]
            ordinary = sum(1 for _, urgent in self._running.values() if not urgent)
            if not emergency and ordinary >= limit:
                break  # sorted: only ordinary jobs follow
            del self._queued[job_id]
            task = asyncio.create_task(self._run_job(job_id, cluster, asg, stop), name=f"drain-{job_id}")
            self._running[job_id] = (task, emergency)
        self._metrics.jobs_running.set(len(self._running))

    async def _run_job(
        self, job_id: str, cluster: ClusterApi, asg: AsgApi | None, stop: asyncio.Event
    ) -> None:
        providers = replacement_providers(cluster, self._settings, asg)
        events = EventRecorder(cluster, self._clock, self._log, instance=self._settings.instance)
        try:
            while not stop.is_set():
                try:
                    record = await self._store.get(job_id)
                    if record is None or record.finished:
                        await self._store.clear_active(job_id)
                        return
                    await JobRun(
                        record,
                        store=self._store,
                        api=cluster,
                        publisher=self._publisher,
                        clock=self._clock,
                        settings=self._settings,
                        metrics=self._metrics,
                        locks=self._locks,
                        stop=stop,
                        log=self._log,
                        providers=providers,
                        events=events,
                    ).run()
                    return
                except Exception as err:
                    self._log.warning(
                        "drain job %s interrupted (%r); retrying from its record",
                        job_id,
                        err,
                        extra={"job_id": job_id},
                    )
                    await sleep_unless(self._clock, self._settings.drainer.retry_seconds, stop)
        finally:
            self._running.pop(job_id, None)
            self._metrics.jobs_running.set(len(self._running))
            self._wake.set()

    async def _wait(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        self._wake.clear()

    async def _finish_running(self) -> None:
        """Jobs see ``stop`` between requests and return; whatever is still waiting on a request is cancelled
        after the shutdown allowance (its record already says where to resume)."""
        tasks = [task for task, _ in self._running.values()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._settings.shutdown_timeout_seconds / 2)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
