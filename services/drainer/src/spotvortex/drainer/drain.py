"""One drain job carried out: ask the state machine for the next step, perform it, store the transition.

This module and the step modules it combines (:mod:`~spotvortex.drainer.replace_steps`,
:mod:`~spotvortex.drainer.evict_steps`) are the only places that turn decisions into Kubernetes requests.
Each step re-reads what it needs from the API (a resumed job trusts its record for what it did, and the
cluster for what is there now), and every transition is stored before the next step acts on it. When the
drainer stops, the job stops between requests and its record says where to resume.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from spotvortex.contracts import subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.drainer import jobs
from spotvortex.drainer.events import EventReason
from spotvortex.drainer.evict_steps import EvictSteps
from spotvortex.drainer.jobs import Step, StepKind
from spotvortex.drainer.pods import plan_node
from spotvortex.drainer.replace_steps import ReplaceSteps
from spotvortex.drainer.results import describe_blockers, preview_node, result_for
from spotvortex.drainer.settle import owner_baseline

_NODE_STEPS = (
    StepKind.START,
    StepKind.REPLACE,
    StepKind.GIVE_UP,
    StepKind.RELEASE,
    StepKind.CORDON,
    StepKind.EVICT,
    StepKind.ROLL_BACK,
)


class JobRun(ReplaceSteps, EvictSteps):
    """One job carried out step by step (constructed as :class:`~spotvortex.drainer.run_base.RunBase`)."""

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
            case StepKind.REPLACE:
                await self._replace(i)
            case StepKind.GIVE_UP:
                await self._give_up(i, step.reason)
            case StepKind.RELEASE:
                await self._release(i)
            case StepKind.GIVE_BACK:
                await self._give_back()
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

    # -- steps -------------------------------------------------------------------------------------------

    async def _preview(self, i: int) -> None:
        """Shadow: reads only. The result says what an enforced drain would do to this node."""
        name = self._name(i)
        if await self._api.read_node(name) is None:
            await self._finish(i, "skipped", "node not found", evicted=0)
            return
        pods = await self._api.pods_on(name)
        provider = self._provider()
        result = preview_node(
            self.record.job,
            name,
            pods,
            now=self._clock.now(),
            grace_period_seconds=self._grace(),
            policy=self._config.pod_policy(),
            replacement_provider=provider.name if provider is not None else None,
            replacement_timeout=self._config.replacement_timeout_seconds,
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
        """Decide on the live node: a protected pod means the node is not touched at all; otherwise ask for
        replacement capacity first when the job wants it and a provider can bring it up."""
        name, job = self._name(i), self.record.job
        node = await self._api.read_node(name)
        if node is None:
            await self._finish(i, "skipped", "node not found", evicted=0)
            return
        self._events.know_node(name, node.uid)
        pods = await self._api.pods_on(name)
        plan = plan_node(pods, emergency=job.emergency, policy=self._config.pod_policy())
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
        evicting = plan.evicted_manifests(pods)
        owners = await owner_baseline(self._api, evicting)
        provider = self._provider()
        notes = []
        if job.replacement_first and evicting and provider is not None:
            way, note = await self._scale_up(i, provider)
            if way == "abandoned":
                return
            if way == "replace":
                handles = provider.plan(self.record, name, evicting)
                now = self._clock.now()
                until = now + timedelta(seconds=self._config.replacement_timeout_seconds)
                await self._save(
                    lambda r: jobs.request_replacement(
                        r,
                        i,
                        was_unschedulable=node.unschedulable,
                        handles=handles,
                        until=until,
                        now=now,
                        owners=owners,
                    )
                )
                return
            notes.append(note)
        elif job.replacement_first and evicting:
            notes.append(f"replacement not awaited: no replacement provider for {job.provisioner}")
        now = self._clock.now()
        await self._save(
            lambda r: jobs.begin(
                r, i, was_unschedulable=node.unschedulable, now=now, owners=owners, notes=notes
            )
        )

    async def _cordon(self, i: int) -> None:
        if not await self._api.set_unschedulable(self._name(i), True, self.job_id):
            await self._finish(i, "skipped", "node no longer exists")
            return
        await self._save(lambda r: jobs.cordoned(r, i))
        self._log.info("cordoned %s", self._name(i), extra=self._extra(i))
        job = self.record.job
        await self._event(
            i,
            EventReason.CORDON,
            f"cordoned by drain job {self.job_id} ({job.direction}{', emergency' if job.emergency else ''})",
        )

    async def _publish(self, i: int) -> None:
        result = result_for(self.record, i, cluster=self._settings.cluster)
        subject = subjects.pool(self._settings.cluster, PoolKind.DRAINED, self.record.job.pool)
        await self._publisher.publish(subject, result)
        await self._save(lambda r: jobs.mark_published(r, i))
        self._metrics.node_results.labels(result.outcome, str(result.mode)).inc()
