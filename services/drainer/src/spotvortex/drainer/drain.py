"""One drain job carried out: ask the state machine for the next step, perform it, store the transition.

This is the only place that turns decisions into Kubernetes requests. Each step re-reads what it needs from
the API (a resumed job trusts its record for what it did, and the cluster for what is there now), and every
transition is stored before the next step acts on it. When the drainer stops, the job stops between
requests and its record says where to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from spotvortex.contracts import subjects
from spotvortex.contracts.actuation import DrainOutcome
from spotvortex.contracts.subjects import PoolKind
from spotvortex.drainer import jobs
from spotvortex.drainer.backoff import backoff_delay, rng_for
from spotvortex.drainer.config import DrainerSettings
from spotvortex.drainer.jobs import JobRecord, Step, StepKind
from spotvortex.drainer.kubeapi import ClusterApi, EvictionAnswer
from spotvortex.drainer.metrics import DrainerMetrics
from spotvortex.drainer.pods import PodDecision, plan_node
from spotvortex.drainer.results import (
    describe_blockers,
    describe_drained,
    name_pods,
    preview_node,
    result_for,
)
from spotvortex.drainer.store import JobStore
from spotvortex.drainer.waits import NodeLocks, seconds_until, sleep_unless
from spotvortex.runtime.clock import Clock
from spotvortex.runtime.publisher import Publisher

_NODE_STEPS = (StepKind.START, StepKind.CORDON, StepKind.EVICT, StepKind.ROLL_BACK)


class JobRun:
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
        self._saving = asyncio.Lock()

    @property
    def job_id(self) -> str:
        return self.record.job_id

    async def run(self) -> None:
        """Perform steps until the job is finished (its active marker removed) or the drainer stops."""
        async with contextlib.AsyncExitStack() as held:
            locked: str | None = None
            while not self._stop.is_set():
                step = jobs.next_step(self.record, self._clock.now(), self._settings.mode)
                if step is None:
                    await self._store.clear_active(self.job_id)
                    return
                node = self.record.nodes[step.node].node if step.kind in _NODE_STEPS else None
                if node != locked:
                    await held.aclose()
                    locked = None
                    if node is not None:
                        await held.enter_async_context(self._locks.hold(node))
                        locked = node
                        continue  # the wait may have been long: ask again what is due now
                await self._perform(step)

    async def _perform(self, step: Step) -> None:
        i = step.node
        match step.kind:
            case StepKind.PREVIEW:
                await self._preview(i)
            case StepKind.START:
                await self._start(i)
            case StepKind.SKIP:
                await self._finish(i, "skipped", step.reason, evicted=0)
            case StepKind.CORDON:
                await self._cordon(i)
            case StepKind.EVICT:
                await self._evict(i)
            case StepKind.ROLL_BACK:
                await self._roll_back(i, step.reason)
            case StepKind.ABANDON:
                await self._finish(i, "failed", step.reason)
            case StepKind.PUBLISH:
                await self._publish(i)
            case StepKind.CLOSE:
                now = self._clock.now()
                await self._save(lambda r: jobs.close(r, now))

    # -- bookkeeping -----------------------------------------------------------------------------------

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

    # -- steps -------------------------------------------------------------------------------------------

    async def _preview(self, i: int) -> None:
        """Shadow: reads only. The result says what an enforced drain would do to this node."""
        name = self._name(i)
        if await self._api.read_node(name) is None:
            await self._finish(i, "skipped", "node not found", evicted=0)
            return
        pods = await self._api.pods_on(name)
        result = preview_node(
            self.record.job,
            name,
            pods,
            now=self._clock.now(),
            grace_period_seconds=self._grace(),
            policy=self._config.pod_policy(),
        )
        await self._finish(
            i,
            "would-drain",
            result.detail,
            evicted=result.pods_evicted,
            skipped=result.pods_skipped,
            blocked=result.pods_blocked,
        )

    async def _start(self, i: int) -> None:
        """Decide on the live node: a protected pod means the node is not touched at all."""
        name = self._name(i)
        node = await self._api.read_node(name)
        if node is None:
            await self._finish(i, "skipped", "node not found", evicted=0)
            return
        plan = plan_node(
            await self._api.pods_on(name),
            emergency=self.record.job.emergency,
            policy=self._config.pod_policy(),
        )
        if plan.blocked:
            await self._finish(
                i,
                "skipped",
                f"not drained: {describe_blockers(plan)}",
                evicted=0,
                skipped=len(plan.skip),
                blocked=len(plan.protected),
            )
            return
        now = self._clock.now()
        await self._save(lambda r: jobs.begin(r, i, was_unschedulable=node.unschedulable, now=now))

    async def _cordon(self, i: int) -> None:
        if not await self._api.set_unschedulable(self._name(i), True, self.job_id):
            await self._finish(i, "skipped", "node no longer exists")
            return
        await self._save(lambda r: jobs.cordoned(r, i))
        self._log.info("cordoned %s", self._name(i), extra=self._extra(i))

    async def _evict(self, i: int) -> None:
        """Evict until only skipped pods are left, then the node is drained; any refusal at the deadline
        (or a rejected request, or a newly arrived protected pod) rolls the node back instead."""
        name, job = self._name(i), self.record.job
        while not self._stop.is_set() and seconds_until(self._clock, self._deadline) > 0:
            plan = plan_node(
                await self._api.pods_on(name), emergency=job.emergency, policy=self._config.pod_policy()
            )
            if plan.blocked:
                await self._begin_rollback(
                    i, f"drain stopped: {describe_blockers(plan)}", len(plan.protected)
                )
                return
            if not plan.evict:
                node = self.record.nodes[i]
                detail = describe_drained(len(node.evicted), plan.skip, len(node.overridden), self._grace())
                await self._finish(i, "drained", detail, skipped=len(plan.skip), blocked=len(node.overridden))
                self._log.info("drained %s: %s", name, detail, extra=self._extra(i))
                return
            answers = await self._evict_pods(i, plan.evict)
            if self._stop.is_set():
                return
            if not any(a.kind == "evicted" for _, a in answers):  # only "gone" answers: let the list catch up
                await sleep_unless(self._clock, self._config.poll_seconds, self._stop)
            refused = [(d, a) for d, a in answers if a.kind in ("retry", "fatal")]
            if refused:
                await self._begin_rollback(i, _refusals(refused), len(refused))
                return
            evicted = {d.pod.uid or d.pod.key: d.pod.key for d, a in answers if a.kind == "evicted"}
            left = await self._wait_gone(name, evicted)
            if left and not self._stop.is_set():
                await self._begin_rollback(
                    i,
                    f"deadline passed with {len(left)} evicted pod(s) still terminating: {', '.join(left[:10])}",
                    0,
                )
                return

    async def _evict_pods(
        self, i: int, decisions: list[PodDecision]
    ) -> list[tuple[PodDecision, EvictionAnswer]]:
        """Evict concurrently (a few at a time); a budget's 429 is retried with back-off until the deadline."""
        gate = asyncio.Semaphore(self._config.evictions_per_node)
        abort = asyncio.Event()  # a rejected request ends the node's drain: stop the others' retries
        policy, grace = self._config.backoff(), self._grace()

        async def evict(decision: PodDecision) -> EvictionAnswer:
            pod = decision.pod
            rng = rng_for(self.job_id, pod.namespace, pod.name)
            attempt = 0
            while True:
                async with gate:
                    answer = await self._api.evict(pod.namespace, pod.name, pod.uid, grace)
                self._metrics.evictions.labels(answer.kind).inc()
                if answer.kind == "evicted":
                    await self._save(
                        lambda r: jobs.note_evicted(r, i, pod.key, overridden=decision.overridden)
                    )
                    return answer
                if answer.kind == "gone":
                    return answer
                if answer.kind == "fatal":
                    abort.set()
                    return answer
                remaining = seconds_until(self._clock, self._deadline)
                if remaining <= 0 or abort.is_set() or self._stop.is_set():
                    return answer
                delay = backoff_delay(policy, attempt, rng, retry_after=answer.retry_after)
                self._log.info(
                    "eviction of %s refused (%s), retrying in %.1fs",
                    pod.key,
                    answer.message,
                    min(delay, remaining),
                    extra=self._extra(i),
                )
                await sleep_unless(self._clock, min(delay, remaining), self._stop, abort)
                attempt += 1

        answers = await asyncio.gather(*(evict(d) for d in decisions))
        return list(zip(decisions, answers, strict=True))

    async def _wait_gone(self, node: str, evicted: dict[str, str]) -> list[str]:
        """Until the evicted pods are really gone (their grace period runs on the kubelet), or the deadline;
        returns those still there."""
        while True:
            pods = await self._api.pods_on(node)
            present = []
            for pod in pods:
                meta = pod.get("metadata") or {}
                ident = meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"
                if ident in evicted:
                    present.append(evicted[ident])
            remaining = seconds_until(self._clock, self._deadline)
            if not present or remaining <= 0 or self._stop.is_set():
                return present
            await sleep_unless(self._clock, min(self._config.poll_seconds, remaining), self._stop)

    async def _begin_rollback(self, i: int, reason: str, blocked: int) -> None:
        now = self._clock.now()
        await self._save(lambda r: jobs.begin_rollback(r, i, reason, now=now, blocked=blocked))

    async def _roll_back(self, i: int, reason: str) -> None:
        """Undo this job's cordon (never someone else's) and report why the node was not drained."""
        if self.record.nodes[i].phase != "rolling-back":
            await self._begin_rollback(i, reason, 0)
        node, name = self.record.nodes[i], self._name(i)
        if node.was_unschedulable:
            await self._finish(
                i, "rolled-back", f"{reason}; the node was cordoned before this job and stays so"
            )
            return
        started = node.rollback_started_at or self._clock.now()
        attempt = 0
        while True:
            try:
                exists = await self._api.set_unschedulable(name, False, self.job_id)
                break
            except Exception as err:  # API down, conflicts, timeouts: retry until the rollback timeout
                waited = (self._clock.now() - started).total_seconds()
                if waited >= self._config.rollback_timeout_seconds:
                    await self._finish(
                        i, "failed", f"{reason}; uncordon failed ({err!r}): the node is left cordoned"
                    )
                    return
                delay = backoff_delay(self._config.backoff(), attempt)
                if await sleep_unless(self._clock, delay, self._stop):
                    return
                attempt += 1
        note = "node uncordoned" if exists else "node no longer exists"
        await self._finish(i, "rolled-back", f"{reason}; {note}")
        self._log.warning("rolled back %s: %s", name, reason, extra=self._extra(i))

    async def _publish(self, i: int) -> None:
        result = result_for(self.record, i, cluster=self._settings.cluster)
        subject = subjects.pool(self._settings.cluster, PoolKind.DRAINED, self.record.job.pool)
        await self._publisher.publish(subject, result)
        await self._save(lambda r: jobs.mark_published(r, i))
        self._metrics.node_results.labels(result.outcome, str(result.mode)).inc()

    def _extra(self, i: int) -> dict[str, str]:
        job = self.record.job
        return {
            "cluster": job.cluster,
            "pool": job.pool,
            "decision_id": job.decision_id,
            "job_id": job.job_id,
            "node": self._name(i),
        }


def _refusals(refused: list[tuple[PodDecision, EvictionAnswer]]) -> str:
    fatal = [(d, a) for d, a in refused if a.kind == "fatal"]
    if fatal:
        d, a = fatal[0]
        return f"eviction of {d.pod.key} rejected (HTTP {a.status}: {a.message.rstrip('.')})"
    d, a = refused[0]
    return (
        f"deadline passed with {len(refused)} pod(s) not evicted ({name_pods([d for d, _ in refused])}); "
        f"last answer for {d.pod.key}: {a.message.rstrip('.')}"
    )
