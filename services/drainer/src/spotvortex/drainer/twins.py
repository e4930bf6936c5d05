"""Replacement capacity from twin Auto Scaling groups (Cluster Autoscaler node groups, EKS managed node
groups tagged ``spotvortex.io/pool`` + capacity type): the target twin is scaled up once for the job, and a
drained node's instance is retired so the source twin shrinks instead of replacing it.

A :class:`~spotvortex.drainer.provider.ReplacementProvider` and :class:`~spotvortex.drainer.provider.JobScaleUp`.
The job's :class:`~spotvortex.aws.Preparation` is planned here (reads only) and stored in the job's record by
the drain before :meth:`AsgTwins.request` raises the desired capacity to its absolute ``desired_after``, so
a repeated request (a resumed job) never scales up twice. Each node's handle names its slot of the scale-up.
Readiness is judged by :func:`~spotvortex.drainer.scaleup.scale_up_readiness` from the group and the nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec

from spotvortex.aws.autoscaling import AsgApi
from spotvortex.aws.groups import instance_id
from spotvortex.aws.shift import Preparation
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.drainer.provider import Pods
from spotvortex.drainer.replacement import Readiness
from spotvortex.drainer.scaleup import scale_up_readiness

log = logging.getLogger("spotvortex.drainer.twins")


def _preparation(record: JobRecord) -> Preparation:
    if record.preparation is None:  # the drain stores it before any node asks: a bug if missing
        raise RuntimeError(f"drain job {record.job_id} has no stored scale-up")
    return record.preparation


class AsgTwins:
    def __init__(self, asg: AsgApi, cluster: ClusterApi) -> None:
        self._asg = asg
        self._cluster = cluster

    @property
    def name(self) -> str:
        return "auto scaling twin group"

    async def plan_job(self, record: JobRecord) -> Preparation:
        """A replacement for every node of the job still to be done, on the target twin."""
        job = record.job
        k = sum(1 for node in record.nodes if node.outcome is None)
        return await self._asg.plan(job.pool, k, job.target_capacity_type)

    def plan(self, record: JobRecord, node: str, pods: Pods) -> list[str]:
        preparation = _preparation(record)
        return [f"{preparation.group}#{record.slots_taken + 1}"]

    async def request(self, record: JobRecord, node: str, pods: Pods, handles: Sequence[str]) -> list[str]:
        await self._asg.raise_to(_preparation(record))
        return list(handles)

    async def check(self, record: JobRecord, node: str, handles: Sequence[str]) -> Readiness:
        preparation = _preparation(record)
        group = await self._asg.group(preparation.group)
        nodes = await self._cluster.nodes()
        return scale_up_readiness(preparation, group, nodes, str(record.job.target_capacity_type))

    async def release(self, record: JobRecord, node: str, handles: Sequence[str], *, drained: bool) -> str:
        """A drained node's instance is terminated with its group's desired capacity lowered; a node that
        was not drained leaves its replacement to the job's give-back."""
        if not drained:
            return ""
        found = await self._cluster.node_object(node)
        iid = instance_id(((found or {}).get("spec") or {}).get("providerID"))
        if iid is None:
            return f"no instance retired: node {node} {'has no AWS provider id' if found else 'is gone'}"
        retirement = await self._asg.retire([iid])
        if iid in retirement.refused:
            log.warning("instance %s of %s not terminated: %s", iid, node, retirement.refused[iid])
            return f"instance {iid} not terminated ({retirement.refused[iid]}): the node stays cordoned"
        if iid in retirement.gone:
            return f"instance {iid} already gone"
        return f"instance {iid} terminated, its group's desired capacity lowered"

    async def give_back(self, record: JobRecord) -> Preparation:
        used = msgspec.structs.replace(_preparation(record), used=record.replacements_used)
        return await self._asg.undo(used)
