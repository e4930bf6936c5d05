"""A record of the HTTP requests the emulator served, mutating ones above all.

The point is proof by absence: a test can show that a component in shadow mode sent zero POST, PUT,
PATCH or DELETE requests, evictions included. In-process store calls are not HTTP and are not recorded,
so a simulator driving the cluster directly does not pollute the count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from spotvortex.sim.audit_log import BoundedAuditLog

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


class AuditLog(BoundedAuditLog[AuditEntry]):
    """Requests in arrival order, filtered by kind, exact method and a regex searched in the path."""

    def entries(
        self, *, mutating: bool | None = None, method: str | None = None, path: str | None = None
    ) -> list[AuditEntry]:
        return self._select(mutating, _matcher(method, path))

    def mutations(self, *, method: str | None = None, path: str | None = None) -> list[AuditEntry]:
        return self.entries(mutating=True, method=method, path=path)

    def count_mutations(self, *, method: str | None = None, path: str | None = None) -> int:
        """Mutating requests seen since the last ``clear()`` (exact even past ``max_entries``)."""
        return self._count(method is None and path is None, _matcher(method, path))


def _matcher(method: str | None, path: str | None) -> Callable[[AuditEntry], bool]:
    pattern = re.compile(path) if path is not None else None
    return lambda e: (
        (method is None or e.method == method.upper())
        and (pattern is None or pattern.search(e.path) is not None)
    )
