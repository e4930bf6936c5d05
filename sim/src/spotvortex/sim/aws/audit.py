"""A record of the AWS calls the emulator served, mutating ones above all.

The point is proof by absence: a test can show that a component in shadow mode never asked AWS to change
capacity or consume a message. Every call is recorded with a ``mutating`` flag decided by its action,
whether or not it succeeded (an attempt is what shadow mode must not make). In-process calls such as
``SqsQueues.send`` are not HTTP and are not recorded, so a simulator feeding the world does not pollute it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

MUTATING_ACTIONS: Mapping[str, frozenset[str]] = {
    "autoscaling": frozenset(
        {"SetDesiredCapacity", "UpdateAutoScalingGroup", "TerminateInstanceInAutoScalingGroup"}
    ),
    "sqs": frozenset(
        {
            "CreateQueue",
            "SendMessage",
            "SendMessageBatch",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "PurgeQueue",
        }
    ),
    "ec2": frozenset(),
}


@dataclass(frozen=True)
class AuditEntry:
    time: datetime
    service: str  # "autoscaling" | "sqs" | "ec2" | "" when the request matched no service
    action: str
    params: Mapping[str, object]
    status: int
    error_code: str | None

    @property
    def mutating(self) -> bool:
        return self.action in MUTATING_ACTIONS.get(self.service, frozenset())


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
        self, *, mutating: bool | None = None, service: str | None = None, action: str | None = None
    ) -> list[AuditEntry]:
        return [
            e
            for e in self._entries
            if (mutating is None or e.mutating == mutating)
            and (service is None or e.service == service)
            and (action is None or e.action == action)
        ]

    def mutations(self, *, service: str | None = None, action: str | None = None) -> list[AuditEntry]:
        return self.entries(mutating=True, service=service, action=action)

    def count_mutations(self, *, service: str | None = None, action: str | None = None) -> int:
        """Mutating calls seen since the last ``clear()`` (exact even past ``max_entries``)."""
        if service is None and action is None:
            return self._mutations
        return len(self.mutations(service=service, action=action))

    def clear(self) -> None:
        self._entries.clear()
        self._mutations = 0
