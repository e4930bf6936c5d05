"""The drainer's semantics inside the simulated world: the drainer core decides which pods go, the emulator's
store executes cordon and PDB-checked evictions, retries on 429 until the deadline, and rolls back after it.

Replacement first, as the drainer does it: placeholder pods (built by the drainer's own ``replacement``
module) ask Karpenter for capacity of the target type; only when the drainer's readiness rule says they all
run there are they deleted and the node cordoned and drained. A replacement that does not come within the
timeout abandons the node's drain, touching nothing. An emergency does not wait (its placeholders stay until the node is done, as the drainer keeps them).

The emptied node is left to Karpenter's consolidation, as in a real cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from spotvortex.contracts import DrainJob
from spotvortex.drainer import classify_pod, plan_node
from spotvortex.drainer.config import DrainerConfig
from spotvortex.drainer.pods import Verdict
from spotvortex.drainer.replacement import placeholder_pods, replacement_readiness
from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.world.core import World

RETRY_SECONDS = 30.0
POLL_SECONDS = 15.0


class WorldDrainer:
    def __init__(
        self,
        world: World,
        on_node_done: Callable[[DrainJob, str, str], None],
        config: DrainerConfig | None = None,
    ) -> None:
        self.world = world
        self._done = on_node_done
        self._busy: set[str] = set()
        config = config or DrainerConfig()
        self.policy = config.placeholder_policy()
        self.pod_policy = config.pod_policy()
        self._placeholders: dict[str, list[str]] = {}  # an emergency's, kept until its node is done
        self.replacement_timeout = config.replacement_timeout_seconds
        self.evicted: Counter[str] = Counter()  # pods evicted by drains, per pool (the disruption they cost)

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
        plan = plan_node(pods, emergency=job.emergency, policy=self.pod_policy)
        if plan.blocked and not job.emergency:
            self._finish(job, node, "skipped")
            return
        movers = plan.evicted_manifests(pods)
        if not (job.replacement_first and movers):
            self._cordon_and_evict(job, node)
            return
        placeholders = placeholder_pods(job, node, movers, self.policy)
        for manifest in placeholders:
            store.create(manifest)
        names = [p["metadata"]["name"] for p in placeholders]
        if job.emergency:  # no wait: the placeholders only speed the replacement up, until the node is done
            self._placeholders[node] = names
            self._cordon_and_evict(job, node)
            return
        give_up = min(job.deadline, self.world.now + timedelta(seconds=self.replacement_timeout))
        self._await_replacement(job, node, names, give_up)

    def _await_replacement(self, job: DrainJob, node: str, names: list[str], give_up: datetime) -> None:
        store = self.world.store
        namespace = self.policy.namespace
        placeholders = [p for name in names if (p := store.find("pods", name, namespace)) is not None]
        bound = {str((p.get("spec") or {}).get("nodeName") or "") for p in placeholders}
        nodes = [n for name in sorted(bound - {""}) if (n := store.find("nodes", name)) is not None]
        readiness = replacement_readiness(placeholders, nodes, job.target_capacity_type, expected=names)
        if readiness.ready or self.world.now >= give_up:
            self._release(names)
            if readiness.ready:
                self._cordon_and_evict(job, node)
            else:
                self._finish(job, node, "abandoned")
            return
        self.world.timeline.after(
            POLL_SECONDS, "eval-replacement", lambda: self._await_replacement(job, node, names, give_up)
        )

    def _release(self, names: list[str]) -> None:
        store, namespace = self.world.store, self.policy.namespace
        for name in names:
            if store.find("pods", name, namespace) is not None:
                store.delete("pods", name, namespace, grace_period_seconds=0)

    def _cordon_and_evict(self, job: DrainJob, node: str) -> None:
        store = self.world.store
        current = store.find("nodes", node)
        if current is None:
            self._finish(job, node, "skipped")
            return
        was_cordoned = bool((current.get("spec") or {}).get("unschedulable"))
        if not was_cordoned:
            store.patch("nodes", node, {"spec": {"unschedulable": True}})
        self._evict(job, node, was_cordoned)

    def _evict(self, job: DrainJob, node: str, was_cordoned: bool) -> None:
        refused = 0
        for pod in list(self.world.state.pods_on(node)):
            if (
                classify_pod(pod, emergency=job.emergency, policy=self.pod_policy).verdict
                is not Verdict.EVICT
            ):
                continue
            meta = pod["metadata"]
            try:
                self.world.store.evict(meta["name"], meta.get("namespace") or "default")
                self.evicted[job.pool] += 1
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
        self._release(self._placeholders.pop(node, []))
        self._busy.discard(node)
        self._done(job, node, outcome)
