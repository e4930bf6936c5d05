"""What the live view shows, folded from the events on the bus; no I/O, so any NATS client can feed it.

It reads the same public subjects a user would (``nats sub 'spotvortex.>'``), so it shows the swarm exactly
as an operator's own tooling would see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from spotvortex.contracts import (
    ContractError,
    DrainJob,
    DrainResult,
    GateVerdict,
    PoolTelemetry,
    ProposedAction,
    RiskAssessment,
    SteeringChange,
    decode,
    subjects,
)
from spotvortex.contracts.tokens import TokenError


@dataclass
class PoolView:
    name: str
    spot: int = 0
    on_demand: int = 0
    spot_share: float = 0.0
    target_share: float | None = None
    spot_price: float | None = None
    on_demand_price: float | None = None
    capacity_score: float | None = None
    runtime_score: float | None = None
    last_action: str = "-"
    last_reason: str = ""
    last_verdict: str = ""
    drains_in_flight: set[str] = field(default_factory=set)
    nodes_drained: int = 0
    updated: datetime | None = None

    @property
    def saved_per_hour(self) -> float:
        """$/h saved vs running the same nodes on-demand, at the dominant instance type's prices."""
        if self.spot_price is None or self.on_demand_price is None:
            return 0.0
        return self.spot * max(0.0, self.on_demand_price - self.spot_price)


@dataclass
class Line:
    """One notable event, for the plain (non-terminal) output and the view's recent-events list."""

    time: datetime | None
    pool: str
    text: str


@dataclass
class LiveModel:
    cluster: str
    pools: dict[str, PoolView] = field(default_factory=dict)
    recent: list[Line] = field(default_factory=list)
    events: int = 0
    undecodable: int = 0

    def pool(self, name: str) -> PoolView:
        return self.pools.setdefault(name, PoolView(name))

    @property
    def saved_per_hour(self) -> float:
        return sum(p.saved_per_hour for p in self.pools.values())

    def apply(self, subject: str, data: bytes) -> Line | None:
        """Fold one message in; returns a line worth printing, if the event is one."""
        try:
            parts = subjects.parse(subject)
        except (TokenError, ValueError):
            return None
        if parts.scope != self.cluster or parts.pool is None:
            return None
        self.events += 1
        try:
            return self._apply(parts.family, parts.pool, data)
        except ContractError:
            self.undecodable += 1
            return None

    def _apply(self, family: str, pool_name: str, data: bytes) -> Line | None:
        view = self.pool(pool_name)
        line: Line | None = None
        if family == "telemetry":
            t = decode(data, PoolTelemetry)
            view.spot, view.on_demand = t.nodes.spot, t.nodes.on_demand
            view.spot_share = t.current_spot_ratio
            view.updated = t.time
            series = [m for m in t.market if m.instance_type == t.dominant_instance_type] or t.market
            if series:
                view.spot_price = sum(m.spot_price for m in series) / len(series)
                view.on_demand_price = series[0].on_demand_price or view.on_demand_price
            if t.trigger == "interruption":
                line = Line(t.time, pool_name, "interruption notice: telemetry sent at once")
        elif family == "risk":
            r = decode(data, RiskAssessment)
            view.capacity_score, view.runtime_score = r.capacity_score, r.runtime_score
        elif family == "action":
            a = decode(data, ProposedAction)
            view.last_action, view.last_reason = a.action.value, a.reason
            if a.action.value != "HOLD":
                line = Line(a.time, pool_name, f"proposed {a.action.value} ({a.reason})")
        elif family in ("approved", "rejected"):
            v = decode(data, GateVerdict)
            if v.approved:
                view.target_share = v.target_spot_ratio
                view.last_verdict = f"approved {v.action.value}"
                line = Line(
                    v.time,
                    pool_name,
                    f"approved {v.action.value} → target {v.target_spot_ratio:.0%}, "
                    f"drain up to {v.drain_allowance}",
                )
            else:
                view.last_verdict = "rejected"
                if v.proposed.value != "HOLD":
                    line = Line(v.time, pool_name, f"rejected {v.proposed.value}: {v.reason}")
        elif family == "steer":
            s = decode(data, SteeringChange)
            ops = ", ".join(f"{o.target} {o.field}={o.after}" for o in s.operations) or "no change needed"
            line = Line(s.time, pool_name, f"steer ({'applied' if s.applied else 'shadow'}): {ops}")
        elif family == "drain":
            j = decode(data, DrainJob)
            view.drains_in_flight.update(j.nodes)
            line = Line(j.time, pool_name, f"drain {j.mode.value}: {', '.join(j.nodes)}")
        elif family == "drained":
            d = decode(data, DrainResult)
            view.drains_in_flight.discard(d.node)
            if d.outcome == "drained":
                view.nodes_drained += 1
            line = Line(
                d.time,
                pool_name,
                f"{d.node}: {d.outcome} ({d.pods_evicted} pods evicted) {d.detail}".rstrip(),
            )
        if line is not None:
            self.recent = [*self.recent, line][-8:]
        return line
