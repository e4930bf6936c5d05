"""The replacement step behind one small protocol, so each provisioner brings up capacity its own way.

Karpenter gets placeholder pods (:mod:`spotvortex.drainer.karpenter`); Cluster Autoscaler and managed node
group pools with twin Auto Scaling groups get a scale-up of the target twin (:mod:`spotvortex.drainer.twins`),
which also speaks :class:`JobScaleUp`: one scale-up for the whole job, planned and stored in the job's record
before it is made, given back in part when nodes did not use it. The drain itself does not care: it records
the provider's handles before anything is created, asks until the capacity is ready or time is up, and
releases what it asked for whatever the outcome. A provisioner without a provider is drained without the
wait, and the node's result says so.

Providers get the job's record, not only the job, because a scale-up shared by the job's nodes lives there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from spotvortex.aws.shift import Preparation
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.replacement import Readiness

Pods = Sequence[Mapping[str, Any]]


class ReplacementProvider(Protocol):
    """Every method is safe to repeat: a drainer that restarts calls them again with the recorded handles."""

    @property
    def name(self) -> str:
        """Names the provider in results and events (``karpenter placeholders``)."""
        ...

    def plan(self, record: JobRecord, node: str, pods: Pods) -> list[str]:
        """The handles to record before anything is created (placeholder names, a slot of the job's
        scale-up…); ``pods`` are the pods the drain of ``node`` will evict. Pure: no request is sent."""
        ...

    async def request(self, record: JobRecord, node: str, pods: Pods, handles: Sequence[str]) -> list[str]:
        """Ask for the capacity (again): create what is missing among ``handles``. Returns the handles
        in force, those :meth:`check` should expect (a handle whose pod left meanwhile may drop out)."""
        ...

    async def check(self, record: JobRecord, node: str, handles: Sequence[str]) -> Readiness:
        """Whether the capacity is there, read from the cluster (and the cloud); sends no write."""
        ...

    async def release(self, record: JobRecord, node: str, handles: Sequence[str], *, drained: bool) -> str:
        """Withdraw the request (``drained`` false: undo it) or hand the capacity over (``drained`` true).
        Returns a note for the node's result, ``""`` for none."""
        ...


@runtime_checkable
class JobScaleUp(Protocol):
    """A provider whose capacity comes from one scale-up for the whole job (an Auto Scaling group's desired
    capacity): planned once, stored in the job's record, then made by :meth:`ReplacementProvider.request`."""

    async def plan_job(self, record: JobRecord) -> Preparation:
        """The scale-up for the job's nodes still to drain; reads only. An
        :class:`~spotvortex.aws.AsgError` says the pool has no twin groups to shift between."""
        ...

    async def give_back(self, record: JobRecord) -> Preparation:
        """Lower the target group by the part of the stored scale-up no drained node used; returns the
        scale-up marked undone (safe to repeat)."""
        ...
