"""Reading what rescheduling is judged from: the pods of the evicted pods' owners, before and after.

The judgement itself is pure (:mod:`spotvortex.drainer.reschedule`); this adapter lists the owners'
namespaces, once before the first eviction and then every poll until the owners' pods are back or time is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from spotvortex.drainer.kubeapi import ClusterApi
from spotvortex.drainer.reschedule import OwnerCount, Rescheduled, owners_of, rescheduled, with_baseline
from spotvortex.drainer.waits import seconds_until, sleep_unless
from spotvortex.runtime.clock import Clock


async def _namespace_pods(api: ClusterApi, owners: Iterable[OwnerCount]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for namespace in sorted({o.namespace for o in owners}):
        listed.extend(await api.pods_in(namespace))
    return listed


async def owner_baseline(api: ClusterApi, evicting: Sequence[Mapping[str, Any]]) -> list[OwnerCount]:
    """The judged owners of the pods to evict, with their Running pods counted now."""
    owners = owners_of(evicting)
    if not owners:
        return []
    return with_baseline(owners, await _namespace_pods(api, owners))


async def wait_rescheduled(
    api: ClusterApi,
    owners: Sequence[OwnerCount],
    node: str,
    *,
    until: datetime,
    clock: Clock,
    poll: float,
    stop: asyncio.Event,
) -> Rescheduled | None:
    """Poll until every owner runs its pods elsewhere again, or ``until``; ``None`` if the drainer stops."""
    while True:
        result = rescheduled(owners, await _namespace_pods(api, owners), node)
        remaining = seconds_until(clock, until)
        if result.done or remaining <= 0:
            return result
        if await sleep_unless(clock, min(poll, remaining), stop):
            return None
