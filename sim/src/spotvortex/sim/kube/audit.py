"""A record of the HTTP requests the emulator served, mutating ones above all.

The point is proof by absence: a test can show that a component in shadow mode sent zero POST, PUT,
PATCH or DELETE requests, evictions included. In-process store calls are not HTTP and are not recorded,
so a simulator driving the cluster directly does not pollute the count.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class AuditEntry:
    time: datetime
    method: str
    path: str
    query: str
    content_type: str
    status: int
    user_agent: str
    dry_run: bool

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING_METHODS

    @property
    def is_eviction(self) -> bool:
        return self.method == "POST" and self.path.endswith("/eviction")


class AuditLog:
    """Entries in arrival order; the newest ``max_entries`` are kept, the mutation count is exact."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: deque[AuditEntry] = deque(maxlen=max_entries)
        self._mutations = 0

    def record(self, entry: AuditEntry) -> None:
        self._entries.append(entry)
        if entry.mutating:
            self._mutations += 1

    def entries(
        self, *, mutating: bool | None = None, method: str | None = None, path: str | None = None
    ) -> list[AuditEntry]:
        """Entries filtered by kind, exact method and a regex searched in the path."""
        pattern = re.compile(path) if path is not None else None
        return [
            e
            for e in self._entries
            if (mutating is None or e.mutating == mutating)
            and (method is None or e.method == method.upper())
            and (pattern is None or pattern.search(e.path))
        ]

    def mutations(self, *, method: str | None = None, path: str | None = None) -> list[AuditEntry]:
        return self.entries(mutating=True, method=method, path=path)

    def count_mutations(self, *, method: str | None = None, path: str | None = None) -> int:
        """Mutating requests seen since the last ``clear()`` (exact even past ``max_entries``)."""
        if method is None and path is None:
            return self._mutations
        return len(self.mutations(method=method, path=path))

    def clear(self) -> None:
        self._entries.clear()
        self._mutations = 0
