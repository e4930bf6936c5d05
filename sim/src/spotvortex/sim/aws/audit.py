"""A record of the AWS calls the emulator served, mutating ones above all.

The point is proof by absence: a test can show that a component in shadow mode never asked AWS to change
capacity or consume a message. Every call is recorded with a ``mutating`` flag decided by its action,
whether or not it succeeded (an attempt is what shadow mode must not make). In-process calls such as
``SqsQueues.send`` are not HTTP and are not recorded, so a simulator feeding the world does not pollute it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from spotvortex.sim.audit_log import BoundedAuditLog

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


class AuditLog(BoundedAuditLog[AuditEntry]):
    """Calls in arrival order, filtered by kind, service and action."""

    def entries(
        self, *, mutating: bool | None = None, service: str | None = None, action: str | None = None
    ) -> list[AuditEntry]:
        return self._select(mutating, _matcher(service, action))

    def mutations(self, *, service: str | None = None, action: str | None = None) -> list[AuditEntry]:
        return self.entries(mutating=True, service=service, action=action)

    def count_mutations(self, *, service: str | None = None, action: str | None = None) -> int:
        """Mutating calls seen since the last ``clear()`` (exact even past ``max_entries``)."""
        return self._count(service is None and action is None, _matcher(service, action))


def _matcher(service: str | None, action: str | None) -> Callable[[AuditEntry], bool]:
    return lambda e: (service is None or e.service == service) and (action is None or e.action == action)
