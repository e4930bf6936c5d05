"""The simulated world's own time: a queue of things due at instants, run in (time, insertion) order.

Every behaviour of the world (a node finishing its launch, a pod becoming ready, an interruption notice
running out) is an entry here, so a 30-day run jumps from one due entry to the next instead of ticking,
and two runs with the same inputs do the same things in the same order. The queue knows nothing about
wall time: a driver decides how fast simulated time passes (at once for evaluation, paced for a demo).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(eq=False)
class Timer:
    """A handle to a scheduled step; cancelling it makes the queue skip it."""

    when: datetime
    label: str
    action: Callable[[], None]
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True


class Timeline:
    """Pending steps ordered by due time, ties broken by the order they were scheduled."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the timeline needs an aware start time")
        self._now = start
        self._heap: list[tuple[datetime, int, Timer]] = []
        self._seq = itertools.count()
        self.wake: Callable[[], None] | None = None
        """Called whenever a step is scheduled, so a driver sleeping until the next due step can re-plan."""

    @property
    def now(self) -> datetime:
        return self._now

    def at(self, when: datetime, label: str, action: Callable[[], None]) -> Timer:
        """Schedule ``action`` at ``when`` (never in the past: a late request runs now, after current work)."""
        timer = Timer(max(when, self._now), label, action)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        if self.wake is not None:
            self.wake()
        return timer

    def after(self, seconds: float, label: str, action: Callable[[], None]) -> Timer:
        return self.at(self._now + timedelta(seconds=seconds), label, action)

    def next_due(self) -> datetime | None:
        """When the next live step is due, or ``None`` when nothing is scheduled."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_until(self, until: datetime) -> int:
        """Run every step due at or before ``until`` (including ones they schedule), then stand at ``until``."""
        ran = 0
        while True:
            due = self.next_due()
            if due is None or due > until:
                break
            _, _, timer = heapq.heappop(self._heap)
            self._now = timer.when
            timer.action()
            ran += 1
        self._now = max(self._now, until)
        return ran
