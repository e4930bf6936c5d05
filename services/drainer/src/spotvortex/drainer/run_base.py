"""What every step of a drain job shares: the record it advances, and how a transition is stored and told.

A :class:`RunBase` holds one job's record and the tools its steps use (API, store, clock, settings, event
recorder, replacement providers); the steps live in :mod:`spotvortex.drainer.replace_steps`,
:mod:`spotvortex.drainer.evict_steps` and :mod:`spotvortex.drainer.drain`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from spotvortex.contracts import Provisioner
from spotvortex.contracts.actuation import DrainOutcome
from spotvortex.drainer import jobs
from spotvortex.drainer.config import DrainerSettings
from spotvortex.drainer.events import EventReason
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.drainer.metrics import DrainerMetrics
from spotvortex.drainer.provider import ReplacementProvider
from spotvortex.drainer.recorder import EventRecorder
from spotvortex.drainer.replacing import Waited
from spotvortex.drainer.store import JobStore
from spotvortex.drainer.waits import NodeLocks
from spotvortex.runtime.clock import Clock
from spotvortex.runtime.publisher import Publisher


class RunBase:
    def __init__(
        self,
        record: JobRecord,
        *,
        store: JobStore,
        api: ClusterApi,
        publisher: Publisher,
        clock: Clock,
        settings: DrainerSettings,
        metrics: DrainerMetrics,
        locks: NodeLocks,
        stop: asyncio.Event,
        log: logging.Logger,
        providers: Mapping[Provisioner, ReplacementProvider],
        events: EventRecorder,
    ) -> None:
        self.record = record
        self._store = store
        self._api = api
        self._publisher = publisher
        self._clock = clock
        self._settings = settings
        self._config = settings.drainer
        self._metrics = metrics
        self._locks = locks
        self._stop = stop
        self._log = log
        self._providers = providers
        self._events = events
        self._saving = asyncio.Lock()
        self._waited: dict[int, Waited] = {}  # the last replacement wait per node, for a give-up's detail

    @property
    def job_id(self) -> str:
        return self.record.job_id

    async def _save(self, change: Callable[[JobRecord], JobRecord]) -> None:
        async with self._saving:  # this job's steps and evictions write one record, one at a time
            self.record = await self._store.update(self.job_id, change)

    async def _finish(
        self,
        i: int,
        outcome: DrainOutcome,
        detail: str,
        *,
        evicted: int | None = None,
        skipped: int = 0,
        blocked: int | None = None,
    ) -> None:
        now = self._clock.now()
        await self._save(
            lambda r: jobs.finish(
                r, i, outcome, now=now, detail=detail, evicted=evicted, skipped=skipped, blocked=blocked
            )
        )

    def _name(self, i: int) -> str:
        return self.record.nodes[i].node

    @property
    def _deadline(self) -> datetime:
        return self.record.job.deadline

    def _grace(self) -> int:
        return self._config.grace_period_for(self.record.job)

    def _provider(self) -> ReplacementProvider | None:
        return self._providers.get(self.record.job.provisioner)

    async def _event(self, i: int, reason: EventReason, message: str) -> None:
        await self._events.emit(self._name(i), self.job_id, reason, message, extra=self._extra(i))

    def _extra(self, i: int) -> dict[str, str]:
        job = self.record.job
        return {
            "cluster": job.cluster,
            "pool": job.pool,
            "decision_id": job.decision_id,
            "job_id": job.job_id,
            "node": self._name(i),
        }
