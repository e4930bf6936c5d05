"""Watch fan-out and the bounded history that lets a watch resume from a resourceVersion.

Every committed write becomes a ``Change`` published synchronously to all subscriptions, so a
subscriber registered in the same step as its initial snapshot can never miss or duplicate an event.
Like the watch cache, a subscription translates changes through its selector: an object that starts
matching arrives as ADDED and one that stops matching as DELETED. Resuming from a version the history no
longer covers is a 410 Expired, which is what forces real clients to relist.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import expired

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"


@dataclass(frozen=True)
class Change:
    """One committed write: ``obj`` is the new state (the last state for DELETED)."""

    rv: int
    type: str
    resource: tuple[str, str]
    obj: dict[str, Any]
    old: dict[str, Any] | None


Matcher = Callable[[dict[str, Any]], bool]


class EndOfStream:
    """Queued to tell a stream to finish (server shutdown)."""


@dataclass(eq=False)
class Subscription:
    """A watcher's view: events already filtered and typed, ready to stream."""

    resource: tuple[str, str]
    matches: Matcher
    start_rv: int = 0
    """The store's version when the subscription began (after its initial events, if any)."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | EndOfStream] = field(default_factory=asyncio.Queue)

    def offer(self, change: Change) -> None:
        if change.resource != self.resource:
            return
        now = self.matches(change.obj)
        before = change.old is not None and self.matches(change.old)
        if change.type == DELETED:
            if before or now:
                self.queue.put_nowait((DELETED, change.obj))
        elif change.type == ADDED:
            if now:
                self.queue.put_nowait((ADDED, change.obj))
        elif now and before:
            self.queue.put_nowait((MODIFIED, change.obj))
        elif now:
            self.queue.put_nowait((ADDED, change.obj))
        elif before:
            self.queue.put_nowait((DELETED, change.obj))


class WatchHub:
    """Publishes changes to subscribers and keeps the last ``history_size`` of them for resumption."""

    def __init__(self, history_size: int = 1000) -> None:
        if history_size < 1:
            raise ValueError("history_size must be at least 1")
        self._history: deque[Change] = deque(maxlen=history_size)
        self._subs: set[Subscription] = set()
        self._listeners: list[Callable[[Change], None]] = []
        self.compacted_rv = 0
        """Every change at or below this version has left the history."""

    def publish(self, change: Change) -> None:
        if len(self._history) == self._history.maxlen:
            self.compacted_rv = self._history[0].rv
        self._history.append(change)
        for sub in list(self._subs):
            sub.offer(change)
        for listener in list(self._listeners):
            listener(change)

    def listen(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener`` synchronously after every commit, in commit order.

        In-process controllers (the simulated scheduler, kubelet, Karpenter) keep their indexes current this
        way instead of re-listing. Listeners only record: one that wrote to the store would deliver its own
        change to later listeners before the change that caused it, so writes belong in a later step.
        """
        self._listeners.append(listener)

    def compact(self, up_to_rv: int) -> None:
        """Forget history at or below ``up_to_rv`` (as etcd compaction does), so older resumes get 410."""
        while self._history and self._history[0].rv <= up_to_rv:
            self._history.popleft()
        self.compacted_rv = max(self.compacted_rv, up_to_rv)

    def subscribe(self, resource: tuple[str, str], matches: Matcher, start_rv: int = 0) -> Subscription:
        sub = Subscription(resource, matches, start_rv)
        self._subs.add(sub)
        return sub

    def resume(self, resource: tuple[str, str], matches: Matcher, since_rv: int) -> Subscription:
        """Subscribe and first replay every change after ``since_rv``; 410 if some were compacted."""
        if since_rv < self.compacted_rv:
            raise expired(since_rv, self.compacted_rv + 1)
        sub = self.subscribe(resource, matches)
        for change in self._history:
            if change.rv > since_rv:
                sub.offer(change)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def close_all(self) -> None:
        for sub in list(self._subs):
            sub.queue.put_nowait(EndOfStream())
        self._subs.clear()

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)
