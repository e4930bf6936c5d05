"""The bounded request log both API emulators keep, so tests can prove what was (not) written.

Entries arrive in order and only the newest ``max_entries`` are kept, but the count of mutating requests is
exact however many arrived: "shadow mode wrote nothing" must not depend on a buffer size. Each emulator
adds the filters that fit its protocol (HTTP method and path; AWS service and action).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Entry(Protocol):
    @property
    def mutating(self) -> bool: ...


E = TypeVar("E", bound=Entry)


class BoundedAuditLog(Generic[E]):
    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: deque[E] = deque(maxlen=max_entries)
        self._mutations = 0

    def record(self, entry: E) -> None:
        self._entries.append(entry)
        if entry.mutating:
            self._mutations += 1

    def _select(self, mutating: bool | None, keep: Callable[[E], bool]) -> list[E]:
        return [e for e in self._entries if (mutating is None or e.mutating == mutating) and keep(e)]

    def _count(self, unfiltered: bool, keep: Callable[[E], bool]) -> int:
        """Exact when unfiltered; otherwise over the entries still kept."""
        return self._mutations if unfiltered else len(self._select(True, keep))

    def clear(self) -> None:
        self._entries.clear()
        self._mutations = 0
