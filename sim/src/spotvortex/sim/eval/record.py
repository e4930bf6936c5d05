"""What the decision loop did in a run, whichever transport carried it (in-process cores or the bus)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class LoopRecord:
    decisions: int = 0
    rejected: int = 0
    approved: list[tuple[datetime, str, str, float]] = field(
        default_factory=list
    )  # time, pool, action, target
    drained: int = 0
    rolled_back: int = 0
    released: int = 0  # approved HOLDs: a pool reached its target and its steering was handed back
    abandoned: int = 0  # no replacement came in time: the node was left as it was

    def approve(self, when: datetime, pool: str, action: str, target: float) -> None:
        self.decisions += 1
        self.approved.append((when, pool, action, target))

    def verdict(self, when: datetime, pool: str, action: str, target: float, *, approved: bool) -> None:
        """Record one verdict; an approved HOLD hands steering back (target reached) and is not a move."""
        if not approved:
            self.reject()
        elif action == "HOLD":
            self.decisions += 1
            self.released += 1
        else:
            self.approve(when, pool, action, target)

    def reject(self) -> None:
        self.decisions += 1
        self.rejected += 1

    def node_done(self, outcome: str) -> None:
        self.drained += outcome == "drained"
        self.rolled_back += outcome == "rolled-back"
        self.abandoned += outcome == "abandoned"
