"""Durable per-pool decision state, kept in the pool-state KV bucket and written only by compare-and-set.

Everything the gates need to remember between proposals lives here, never in process memory, so a
restarted or second replica judges exactly as the first would have.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from spotvortex.contracts import GateVerdict
from spotvortex.contracts.enums import Mode

SETTLED_MEMORY = 256


class PoolState(msgspec.Struct, frozen=True, kw_only=True):
    """``mode`` is the mode the state was built in: shadow bookkeeping never throttles enforce decisions.

    ``in_flight`` are nodes approved for draining whose results have not come back yet; ``drains`` are the
    start times of approved drains (one entry per node) for the hourly budget; ``settled`` remembers drain
    results already counted (their fact ids), so a redelivered result is not subtracted twice.
    ``steered`` is the direction the provisioner was last steered in (0: the operator's own settings).
    """

    pool: str
    mode: Mode
    target_spot_ratio: float | None = None
    last_move_at: datetime | None = None
    last_direction: int = 0
    steered: int = 0
    in_flight: int = 0
    in_flight_until: datetime | None = None
    drains: list[datetime] = []
    settled: list[str] = []
    last_decision_id: str | None = None
    last_verdict: GateVerdict | None = None

    def in_flight_at(self, now: datetime) -> int:
        """Approved drains still outstanding; forgotten after the drain timeout so a lost result cannot
        hold the budget forever."""
        if self.in_flight_until is None or now >= self.in_flight_until:
            return 0
        return self.in_flight

    def drains_since(self, since: datetime) -> int:
        return sum(1 for t in self.drains if t >= since)


def fresh_state(pool: str, mode: Mode) -> PoolState:
    return PoolState(pool=pool, mode=mode)


def for_mode(state: PoolState | None, pool: str, mode: Mode) -> PoolState:
    """The state to judge with: a record kept in another mode starts over (shadow never gates enforce)."""
    if state is None or state.mode != mode:
        return fresh_state(pool, mode)
    return state


def settle(state: PoolState, fact_id: str, now: datetime) -> PoolState | None:
    """Count one finished node drain; ``None`` when this result was already counted."""
    if fact_id in state.settled:
        return None
    return msgspec.structs.replace(
        state,
        in_flight=max(0, state.in_flight_at(now) - 1),
        settled=[*state.settled, fact_id][-SETTLED_MEMORY:],
    )


def prune_drains(drains: list[datetime], now: datetime) -> list[datetime]:
    return [t for t in drains if t > now - timedelta(hours=1)]


CLUSTER_KEY = "spotvortex:cluster-drains"
"""The pool-state key of the cluster-wide drain record (a name no pool can have without it being refused)."""


class DrainMark(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    time: datetime
    decision_id: str
    nodes: int


class ClusterState(msgspec.Struct, frozen=True, kw_only=True):
    """Drains started cluster-wide in the last hour, one mark per approved decision, for the cluster's
    hourly budget. Marks are keyed by decision, so a redelivered verdict is counted once."""

    drains: list[DrainMark] = []

    def started_since(self, since: datetime) -> int:
        return sum(m.nodes for m in self.drains if m.time >= since)

    def with_drain(self, decision_id: str, now: datetime, nodes: int) -> ClusterState | None:
        """The record with this decision's drains added, or ``None`` when there is nothing to add."""
        if nodes <= 0 or any(m.decision_id == decision_id for m in self.drains):
            return None
        kept = [m for m in self.drains if m.time > now - timedelta(hours=1)]
        return ClusterState(drains=[*kept, DrainMark(time=now, decision_id=decision_id, nodes=nodes)])
