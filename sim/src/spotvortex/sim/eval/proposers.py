"""What proposes moves, per policy: the services' inference core, or a fixed target share.

Every proposer turns the collector's snapshots into ``ProposedAction``s; the gates, router and drainer cores
then treat them exactly alike, so policies differ only in what they propose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from spotvortex.contracts import Action, PolicySource, PoolTelemetry, ProposedAction
from spotvortex.inference import decide_batch, load_models
from spotvortex.inference.config import RuntimeConfig


@dataclass(frozen=True)
class Plan:
    """A cycle's proposals, and the pools whose rules asked to freeze spot (steer to on-demand, drain none)."""

    actions: list[ProposedAction]
    freeze: tuple[str, ...] = ()


Proposer = Callable[[Sequence[PoolTelemetry], datetime], Plan]


def spotvortex(policy_mode: Literal["deterministic", "rl"] = "deterministic") -> Proposer:
    """The inference service's decision code (risk model + policy), as the swarm runs it."""
    models = load_models(require_rl=policy_mode == "rl")
    config = RuntimeConfig(policy_mode=policy_mode)

    def propose(snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        return Plan([outcome.action for outcome in decide_batch(snapshots, now, config, models)])

    return propose


def static_share(target: float) -> Proposer:
    """Hold every pool at a fixed spot share: step toward it by one node whenever it is off by more."""

    def propose(snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        out = []
        for t in snapshots:
            total = t.nodes.total
            if total == 0:
                continue
            gap = target - t.current_spot_ratio
            if abs(gap) * total < 1.0 - 1e-9:
                continue
            action = Action.INCREASE_10 if gap > 0 else Action.DECREASE_10
            decision = "static-" + hashlib.sha256(f"{t.telemetry_id}".encode()).hexdigest()[:20]
            out.append(
                ProposedAction(
                    cluster=t.cluster,
                    pool=t.pool,
                    decision_id=decision,
                    telemetry_id=t.telemetry_id,
                    time=now,
                    action=action,
                    reason=f"static_{target:g}",
                    policy=PolicySource.DETERMINISTIC,
                    confidence=1.0,
                    capacity_score=0.0,
                    runtime_score=0.0,
                    current_spot_ratio=t.current_spot_ratio,
                    target_spot_ratio=target,
                    facts=t.facts,
                )
            )
        return Plan(out)

    return propose
