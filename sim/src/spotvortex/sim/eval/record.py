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

    def approve(self, when: datetime, pool: str, action: str, target: float) -> None:
        self.decisions += 1
        self.approved.append((when, pool, action, target))

    def reject(self) -> None:
        self.decisions += 1
        self.rejected += 1

    def node_done(self, outcome: str) -> None:
        self.drained += outcome == "drained"
        self.rolled_back += outcome == "rolled-back"
