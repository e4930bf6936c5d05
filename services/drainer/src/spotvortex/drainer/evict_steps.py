"""The eviction steps of a drain: evict a few pods at a time, wait for them to go and come back elsewhere,
and roll the node back when that cannot happen before the deadline.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from spotvortex.drainer import jobs
from spotvortex.drainer.backoff import backoff_delay, rng_for
from spotvortex.drainer.events import EventReason
from spotvortex.drainer.kubeapi import EvictionAnswer
from spotvortex.drainer.pods import PodDecision, plan_node
from spotvortex.drainer.results import describe_blockers, describe_drained, name_pods
from spotvortex.drainer.run_base import RunBase
from spotvortex.drainer.settle import wait_rescheduled
from spotvortex.drainer.waits import seconds_until, sleep_unless


class EvictSteps(RunBase):
    async def _evict(self, i: int) -> None:
        """Evict until only skipped pods are left, wait for the owners to run their pods elsewhere, then the
        node is drained; any refusal at the deadline (or a rejected request, or a newly arrived protected
        pod) rolls the node back instead."""
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
                settled = await self._settle(i)
                if settled is None:
                    return
                node = self.record.nodes[i]
                detail = describe_drained(
                    len(node.evicted),
                    plan.skip,
                    len(node.overridden),
                    self._grace(),
                    standalone=node.standalone,
                    emptydir=node.emptydir,
                )
                detail = "; ".join(p for p in (detail, settled) if p)
                await self._finish(i, "drained", detail, skipped=len(plan.skip), blocked=len(node.overridden))
                self._log.info("drained %s: %s", name, detail, extra=self._extra(i))
                await self._event(i, EventReason.DRAINED, f"drained by drain job {self.job_id}: {detail}")
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

    async def _settle(self, i: int) -> str | None:
        """Once the node is empty: wait until the evicted pods' owners run them elsewhere again (or the
        deadline, or ``reschedule_timeout_seconds``); what was seen, or ``None`` when the drainer stops."""
        node = self.record.nodes[i]
        if not node.owners:
            return ""
        timeout = self._config.reschedule_timeout_seconds
        until = self._deadline
        if timeout is not None:
            until = min(until, self._clock.now() + timedelta(seconds=timeout))
        result = await wait_rescheduled(
            self._api,
            node.owners,
            node.node,
            until=until,
            clock=self._clock,
            poll=self._config.poll_seconds,
            stop=self._stop,
        )
        return None if result is None else result.describe()

    async def _evict_pods(
        self, i: int, decisions: list[PodDecision]
    ) -> list[tuple[PodDecision, EvictionAnswer]]:
        """Evict concurrently, at most ``evictions_per_node`` requests in flight; a budget's 429 is retried
        with back-off until the deadline (and told once per node as an Event)."""
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
                        lambda r: jobs.note_evicted(
                            r,
                            i,
                            pod.key,
                            overridden=decision.overridden,
                            standalone=decision.standalone,
                            emptydir=decision.emptydir,
                        )
                    )
                    return answer
                if answer.kind == "gone":
                    return answer
                if answer.kind == "fatal":
                    abort.set()
                    return answer
                if answer.status == 429:
                    await self._event(
                        i,
                        EventReason.EVICTION_BLOCKED,
                        f"eviction of {pod.key} refused ({answer.message.rstrip('.')}); "
                        f"retrying with back-off until the deadline of drain job {self.job_id}",
                    )
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
        await self._event(i, EventReason.ROLLBACK, f"drain job {self.job_id} rolls the node back: {reason}")

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
        if exists:
            await self._event(i, EventReason.UNCORDON, f"uncordoned by drain job {self.job_id}: {reason}")


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
