"""The replacement steps of a drain: ask for capacity of the target type, wait for it, give up, release.

A job that waits (the default) cordons nothing until the provider says the capacity is Ready; then the
request is released (the placeholders deleted) so the evicted pods take the room it made. A wait that ends
first leaves the node as it was and the result ``abandoned``. An emergency asks and drains at once, and
releases the request when the node is done.
"""

from __future__ import annotations

from spotvortex.drainer import jobs
from spotvortex.drainer.events import EventReason
from spotvortex.drainer.pods import plan_node
from spotvortex.drainer.replacing import Waited, await_replacement
from spotvortex.drainer.run_base import RunBase


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
                f"{target} replacement capacity requested for {len(handles)} pod(s) ({provider.name}) "
                f"before draining, for drain job {self.job_id}",
            )

        if job.emergency:
            note = f"emergency: {target} replacement requested ({provider.name}), not awaited"
            try:
                await requested(await provider.request(job, name, evicting, node.replacement))
            except Exception as err:  # an emergency drains whatever happens to its replacement
                note = f"emergency: {target} replacement request failed ({err!r}), drained without it"
            await self._save(lambda r: jobs.replaced(r, i, now=self._clock.now(), ready=False, note=note))
            return
        waited = await await_replacement(
            provider,
            job,
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
                    waited.readiness = await provider.check(self.record.job, self._name(i), waited.handles)
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
        if provider is not None:
            await provider.release(
                self.record.job, node.node, node.replacement, drained=node.outcome == "drained"
            )
        await self._save(lambda r: jobs.released(r, i))
