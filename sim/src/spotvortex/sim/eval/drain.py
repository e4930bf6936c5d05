"""The drainer's semantics inside the simulated world: the drainer core decides which pods go, the emulator's
store executes cordon and PDB-checked evictions, retries on 429 until the deadline, and rolls back after it.

The emptied node is left to Karpenter's consolidation, as in a real cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from spotvortex.contracts import DrainJob
from spotvortex.drainer import classify_pod, plan_node
from spotvortex.drainer.pods import Verdict
from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.world.core import World

RETRY_SECONDS = 30.0


class WorldDrainer:
    def __init__(self, world: World, on_node_done: Callable[[DrainJob, str, str], None]) -> None:
        self.world = world
        self._done = on_node_done
        self._busy: set[str] = set()

    def run(self, job: DrainJob) -> None:
        for node in job.nodes:
            if node in self._busy:
                continue
            self._busy.add(node)
            self._start(job, node)

    def _start(self, job: DrainJob, node: str) -> None:
        store = self.world.store
        current = store.find("nodes", node)
        if current is None:
            self._finish(job, node, "skipped")
            return
        pods = list(self.world.state.pods_on(node))
        plan = plan_node(pods, emergency=job.emergency)
        if plan.blocked and not job.emergency:
            self._finish(job, node, "skipped")
            return
        was_cordoned = bool((current.get("spec") or {}).get("unschedulable"))
        if not was_cordoned:
            store.patch("nodes", node, {"spec": {"unschedulable": True}})
        self._evict(job, node, was_cordoned)

    def _evict(self, job: DrainJob, node: str, was_cordoned: bool) -> None:
        refused = 0
        for pod in list(self.world.state.pods_on(node)):
            if classify_pod(pod, emergency=job.emergency).verdict is not Verdict.EVICT:
                continue
            meta = pod["metadata"]
            try:
                self.world.store.evict(meta["name"], meta.get("namespace") or "default")
            except ApiError as err:
                if err.code == 429:
                    refused += 1
                elif err.code != 404:
                    raise
        if not refused:
            self._finish(job, node, "drained")
            return
        if self.world.now + timedelta(seconds=RETRY_SECONDS) > job.deadline:
            if not was_cordoned and self.world.store.find("nodes", node) is not None:
                self.world.store.patch("nodes", node, {"spec": {"unschedulable": None}})
            self._finish(job, node, "rolled-back")
            return
        self.world.timeline.after(
            RETRY_SECONDS, "eval-drain-retry", lambda: self._evict(job, node, was_cordoned)
        )

    def _finish(self, job: DrainJob, node: str, outcome: str) -> None:
        self._busy.discard(node)
        self._done(job, node, outcome)
