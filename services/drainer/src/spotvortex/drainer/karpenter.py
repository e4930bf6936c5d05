"""Replacement capacity from Karpenter: placeholder pods created, watched until they run, then deleted.

The manifests and the readiness rule are the pure functions of :mod:`spotvortex.drainer.replacement`; this
adapter only sends the requests. Placeholder names are derived from the job, the node and the pod they stand
in for, so creating one twice is a 409 that changes nothing, and deleting one already gone is a 404 that
changes nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence

from spotvortex.contracts import DrainJob
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.drainer.provider import Pods
from spotvortex.drainer.replacement import (
    PlaceholderPolicy,
    Readiness,
    placeholder_pods,
    placeholder_selector,
    replacement_readiness,
)


class KarpenterPlaceholders:
    """A :class:`~spotvortex.drainer.provider.ReplacementProvider`; handles are placeholder pod names."""

    def __init__(self, api: ClusterApi, policy: PlaceholderPolicy) -> None:
        self._api = api
        self._policy = policy

    @property
    def name(self) -> str:
        return "karpenter placeholders"

    def plan(self, record: JobRecord, node: str, pods: Pods) -> list[str]:
        return [p["metadata"]["name"] for p in placeholder_pods(record.job, node, pods, self._policy)]

    async def _existing(self, job: DrainJob, node: str) -> list[str]:
        listed = await self._api.pods_in(self._policy.namespace, placeholder_selector(job.job_id, node))
        return [str(p["metadata"]["name"]) for p in listed]

    async def request(self, record: JobRecord, node: str, pods: Pods, handles: Sequence[str]) -> list[str]:
        """Create the recorded placeholders that are missing, for the pods still to be evicted."""
        job = record.job
        existing = set(await self._existing(job, node))
        wanted = [
            p for p in placeholder_pods(job, node, pods, self._policy) if p["metadata"]["name"] in handles
        ]
        for manifest in wanted:
            if manifest["metadata"]["name"] not in existing:
                await self._api.create_pod(manifest)
        return sorted(existing & set(handles) | {p["metadata"]["name"] for p in wanted})

    async def check(self, record: JobRecord, node: str, handles: Sequence[str]) -> Readiness:
        job = record.job
        listed = await self._api.pods_in(self._policy.namespace, placeholder_selector(job.job_id, node))
        ours = [p for p in listed if p["metadata"]["name"] in handles]
        nodes = []
        for name in sorted({str((p.get("spec") or {}).get("nodeName") or "") for p in ours} - {""}):
            found = await self._api.node_object(name)
            if found is not None:
                nodes.append(found)
        return replacement_readiness(ours, nodes, str(job.target_capacity_type), expected=handles)

    async def release(self, record: JobRecord, node: str, handles: Sequence[str], *, drained: bool) -> str:
        """Delete every placeholder of the node's drain that exists. Each carries the job's and the node's
        labels from its creation, so the listing finds all of them, recorded or not."""
        for name in sorted(await self._existing(record.job, node)):
            await self._api.delete_pod(self._policy.namespace, name)
        return ""
