"""Waiting for replacement capacity: ask the provider, then check until it is Ready or the wait ends.

API trouble during the wait is not a reason to stop waiting (the provider's calls are repeatable and the
wait is bounded anyway), so errors are kept, logged and reported if the wait ends without the capacity. A
placeholder that disappears meanwhile (preempted, deleted by hand) is asked for again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.provider import ReplacementProvider
from spotvortex.drainer.replacement import Readiness
from spotvortex.drainer.waits import seconds_until, sleep_unless
from spotvortex.runtime.clock import Clock


@dataclass
class Waited:
    """How a wait ended: ``ready``, out of time (``ready`` false), or ``stopped`` by the drainer."""

    ready: bool = False
    stopped: bool = False
    readiness: Readiness | None = None
    handles: list[str] = field(default_factory=list)
    error: str = ""

    def describe(self) -> str:
        parts = [self.readiness.summary()] if self.readiness is not None else ["never checked"]
        if self.error:
            parts.append(f"last error: {self.error}")
        return "; ".join(parts)


async def await_replacement(
    provider: ReplacementProvider,
    record: JobRecord,
    node: str,
    evicting: Sequence[Mapping[str, Any]],
    handles: Sequence[str],
    *,
    until: datetime,
    clock: Clock,
    poll: float,
    stop: asyncio.Event,
    on_requested: Callable[[list[str]], Awaitable[None]],
    log: logging.Logger,
    extra: dict[str, str] | None = None,
) -> Waited:
    waited = Waited()
    requested = False
    while True:
        try:
            if not requested or (waited.readiness is not None and waited.readiness.missing):
                waited.handles = await provider.request(record, node, evicting, handles)
                if not requested:
                    requested = True
                    await on_requested(waited.handles)
            if not waited.handles:  # nothing left to place: no pod of the node still needs the room
                waited.ready = True
                return waited
            waited.readiness = await provider.check(record, node, waited.handles)
            waited.error = ""
        except Exception as err:  # the API may come back before the wait ends; both calls are repeatable
            waited.error = repr(err)
            log.warning("replacement for %s: %r; still waiting", node, err, extra=extra)
        if waited.readiness is not None and waited.readiness.ready:
            waited.ready = True
            return waited
        remaining = seconds_until(clock, until)
        if remaining <= 0:
            return waited
        if await sleep_unless(clock, min(poll, remaining), stop):
            waited.stopped = True
            return waited
