"""The replacement step behind one small protocol, so each provisioner brings up capacity its own way.

Karpenter gets placeholder pods (:mod:`spotvortex.drainer.karpenter`). An Auto Scaling group provider would
scale the target twin group up, wait for its instances to be InService and their nodes Ready, and on release
retire the drained instance (or undo an unused scale-up). The drain itself does not care: it records the
provider's handles before anything is created, asks until the capacity is ready or time is up, and releases
what it asked for whatever the outcome. A provisioner without a provider is drained without the wait, and
the node's result says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from spotvortex.contracts import DrainJob
from spotvortex.drainer.replacement import Readiness

Pods = Sequence[Mapping[str, Any]]


class ReplacementProvider(Protocol):
    """Every method is safe to repeat: a drainer that restarts calls them again with the recorded handles."""

    @property
    def name(self) -> str:
        """Names the provider in results and events (``karpenter placeholders``)."""
        ...

    def plan(self, job: DrainJob, node: str, pods: Pods) -> list[str]:
        """The handles to record before anything is created (placeholder names, a group and its size…);
        ``pods`` are the pods the drain of ``node`` will evict. Pure: no request is sent."""
        ...

    async def request(self, job: DrainJob, node: str, pods: Pods, handles: Sequence[str]) -> list[str]:
        """Ask for the capacity (again): create what is missing among ``handles``. Returns the handles
        in force, those :meth:`check` should expect (a handle whose pod left meanwhile may drop out)."""
        ...

    async def check(self, job: DrainJob, node: str, handles: Sequence[str]) -> Readiness:
        """Whether the capacity is there, read from the cluster; sends no write."""
        ...

    async def release(self, job: DrainJob, node: str, handles: Sequence[str], *, drained: bool) -> None:
        """Withdraw the request (``drained`` false: undo it) or hand the capacity over (``drained`` true)."""
        ...
