"""The replacement steps of a drain: ask for capacity of the target type, wait for it, give up, release.

A job that waits (the default) cordons nothing until the provider says the capacity is Ready; then the
request is released (the placeholders deleted) so the evicted pods take the room it made. A wait that ends
first leaves the node as it was and the result ``abandoned``. An emergency asks and drains at once, and
releases the request when the node is done.

A provider that scales a group up once per job (:class:`~spotvortex.drainer.provider.JobScaleUp`) has its
scale-up planned and stored in the record before the first node asks for it; a node finds a slot of it or
ends ``abandoned`` untouched, keeps its request until it is done (a drained node's instance is retired), and
once every node is done the unused part is given back.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from spotvortex.aws.groups import AsgError
from spotvortex.drainer import jobs
from spotvortex.drainer.events import EventReason
from spotvortex.drainer.pods import plan_node
from spotvortex.drainer.provider import JobScaleUp, ReplacementProvider
from spotvortex.drainer.replacing import Waited, await_replacement
from spotvortex.drainer.run_base import RunBase
from spotvortex.drainer.scaleup import no_slot_detail

Way = Literal["replace", "drain", "abandoned"]


class ReplaceSteps(RunBase):
    async def _replace(self, i: int) -> None:
        """Ask for the replacement (again, after a restart) and wait until it is Ready; an emergency asks
        and goes on at once. A wait that ends without it leaves the node ``replacing``: the next step is
        then to give up."""
        name, job, node = self._name(i), self.record.job, self.record.nodes[i]
        provider = self._provider()
        if provider is None:  # the provider went away with a new build: drain without the wait
            await self._save(
                lambda r: jobs.replaced(
                    r, i, now=self._clock.now(), ready=False, note="replacement not awaited: no provider"
                )
            )
            return
        target = job.target_capacity_type
        pods = await self._api.pods_on(name)
        evicting = plan_node(
            pods, emergency=job.emergency, policy=self._config.pod_policy()
        ).evicted_manifests(pods)

        async def requested(handles: list[str]) -> None:
            await self._event(
                i,
                EventReason.REPLACEMENT_REQUESTED,
                f"{target} replacement capacity requested for {len(evicting)} pod(s) ({provider.name}) "
                f"before draining, for drain job {self.job_id}",
            )

        if job.emergency:
            note = f"emergency: {target} replacement requested ({provider.name}), not awaited"
            try:
                await requested(await provider.request(self.record, name, evicting, node.replacement))
            except Exception as err:  # an emergency drains whatever happens to its replacement
                note = f"emergency: {target} replacement request failed ({err!r}), drained without it"
            await self._save(lambda r: jobs.replaced(r, i, now=self._clock.now(), ready=False, note=note))
            return
        waited = await await_replacement(
            provider,
            self.record,
            name,
            evicting,
            node.replacement,
            until=node.replacement_until or self._deadline,
            clock=self._clock,
            poll=self._config.poll_seconds,
            stop=self._stop,
            on_requested=requested,
            log=self._log,
            extra=self._extra(i),
        )
        self._waited[i] = waited
        if not waited.ready:
            return
        seconds = (self._clock.now() - (node.started_at or self._clock.now())).total_seconds()
        readiness = waited.readiness
        where = f" on {', '.join(readiness.nodes)}" if readiness is not None and readiness.nodes else ""
        note = f"{target} replacement Ready after {seconds:.0f}s{where}"
        await self._event(i, EventReason.REPLACEMENT_READY, f"{note}; draining for drain job {self.job_id}")
        await self._save(lambda r: jobs.replaced(r, i, now=self._clock.now(), ready=True, note=note))
        self._log.info("%s for %s", note, name, extra=self._extra(i))

    async def _give_up(self, i: int, reason: str) -> None:
        """The replacement did not come in time: the node is left as it was (never cordoned)."""
        waited = self._waited.get(i)
        if waited is None:  # resumed after the wait ended: look once more, to say what was missing
            waited = Waited(handles=list(self.record.nodes[i].replacement))
            provider = self._provider()
            if provider is not None:
                try:
                    waited.readiness = await provider.check(self.record, self._name(i), waited.handles)
                except Exception as err:
                    waited.error = repr(err)
        detail = (
            f"not drained: {reason} ({waited.describe()}); nothing was cordoned or evicted, "
            "the replacement request is withdrawn"
        )
        await self._event(i, EventReason.REPLACEMENT_TIMED_OUT, detail)
        await self._finish(i, "abandoned", detail, evicted=0)
        self._log.warning("abandoned %s: %s", self._name(i), detail, extra=self._extra(i))

    async def _release(self, i: int) -> None:
        node, provider = self.record.nodes[i], self._provider()
        note = ""
        if provider is not None:
            note = await provider.release(
                self.record, node.node, node.replacement, drained=node.outcome == "drained"
            )
        await self._save(lambda r: jobs.released(r, i, note))

    async def _scale_up(self, i: int, provider: ReplacementProvider) -> tuple[Way, str]:
        """Before node ``i`` asks a per-job provider for capacity: plan and store the job's scale-up (once),
        then take a slot of it. Returns ``replace`` (wait for it), ``drain`` with the note saying why there
        is no replacement (the pool has no twin groups, or an emergency could not plan one), or
        ``abandoned`` when the node was finished untouched because every prepared slot is taken."""
        if not isinstance(provider, JobScaleUp):
            return "replace", ""
        if self.record.preparation is None:
            try:
                preparation = await provider.plan_job(self.record)
            except AsgError as err:  # no twins (a mixed group, untagged groups): as without a provider
                return "drain", f"replacement not awaited: {err}"
            except Exception as err:
                if not self.record.job.emergency:
                    raise  # retried from the record; the node is still pending
                return "drain", f"emergency: replacement scale-up not planned ({err!r}), drained without it"
            await self._save(lambda r: jobs.prepared(r, preparation))
            self._log.info(
                "scale-up of %s planned: desired %d → %d for %d node(s)",
                preparation.group,
                preparation.desired_before,
                preparation.desired_after,
                preparation.requested,
                extra=self._extra(i),
            )
        if self.record.slots_left > 0:
            return "replace", ""
        assert self.record.preparation is not None
        detail = no_slot_detail(self.record.preparation)
        await self._finish(i, "abandoned", detail, evicted=0)
        self._log.warning("abandoned %s: %s", self._name(i), detail, extra=self._extra(i))
        return "abandoned", ""

    async def _give_back(self) -> None:
        """Every node is done: lower the target group by the part of the job's scale-up no node used."""
        preparation, provider = self.record.preparation, self._provider()
        assert preparation is not None
        if isinstance(provider, JobScaleUp):
            done = await provider.give_back(self.record)
        else:  # AWS was switched off since the scale-up: nothing can send the request now
            self._log.warning(
                "drain job %s: the unused part of the scale-up of %s cannot be given back without AWS",
                self.job_id,
                preparation.group,
            )
            done = msgspec.structs.replace(preparation, undone=True)
        await self._save(lambda r: jobs.gave_back(r, done))
        self._log.info(
            "drain job %s: %d of %d replacement(s) of %s used, the rest given back",
            self.job_id,
            done.used,
            done.prepared,
            done.group,
        )
