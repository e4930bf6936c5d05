"""The drain plan: which nodes leave, in which order, derived from the approved share change.

The number comes from the gates (``drain_allowance`` = the share change in nodes, capped by every budget);
the router picks which: nodes Karpenter has already marked for disruption (its ``karpenter.sh/disrupted``
taint, which it sets on an interruption notice) first, then the cheapest to disrupt (fewest pods), then the
oldest. One job per decision, never one node per tick.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from spotvortex.contracts import Action, Direction, DrainJob, GateVerdict, Mode
from spotvortex.contracts.enums import Provisioner
from spotvortex.router.config import RouterConfig
from spotvortex.router.views import ON_DEMAND, SPOT, NodePoolView, NodeView


def job_id(decision_id: str) -> str:
    """One job per decision, named from it, so a redelivered verdict plans the same job."""
    return "job-" + hashlib.sha256(decision_id.encode()).hexdigest()[:20]


def order_candidates(nodes: list[NodeView], direction: int) -> list[NodeView]:
    source = SPOT if direction < 0 else ON_DEMAND
    candidates = [n for n in nodes if n.capacity_type == source and n.movable]
    return sorted(candidates, key=lambda n: (not n.interruption_pending, n.pods, n.created, n.name))


def chosen_nodes(verdict: GateVerdict, nodes: list[NodeView]) -> list[NodeView]:
    """The nodes an approved move drains, in order: at most ``drain_allowance`` of the source type."""
    direction = verdict.action.direction
    if direction == 0 or verdict.drain_allowance <= 0:
        return []
    noticed = set(verdict.facts.noticed_nodes if verdict.facts else ())
    nodes = [replace(n, interruption_pending=True) if n.name in noticed else n for n in nodes]
    candidates = order_candidates(nodes, direction)
    if verdict.urgent:  # the fast path drains the noticed nodes, never a healthy one in their place
        candidates = [n for n in candidates if n.interruption_pending]
    return candidates[: verdict.drain_allowance]


def spot_cpu_after(verdict: GateVerdict, nodes: list[NodeView]) -> int | None:
    """The spot CPU (millicores) the pool holds once the move is made: what the spot twin's limit allows.

    Counted in whole nodes, as the drain moves them: a decrease takes the drained spot nodes' CPU away; an
    increase adds, for every on-demand node drained, room for the largest node of the pool (Karpenter may
    pick a bigger instance for the moved pods than the one they leave). ``None`` when a node does not report
    its CPU capacity: no limit is better than a wrong one.
    """
    if any(n.cpu_millis <= 0 for n in nodes if not n.deleting):
        return None
    spot = sum(n.cpu_millis for n in nodes if n.capacity_type == SPOT and not n.deleting)
    moving = chosen_nodes(verdict, nodes)
    if verdict.action.direction < 0:
        return max(0, spot - sum(n.cpu_millis for n in moving))
    largest = max((n.cpu_millis for n in nodes), default=0)
    return spot + largest * len(moving)


def plan_drain(
    verdict: GateVerdict,
    nodes: list[NodeView],
    mode: Mode,
    config: RouterConfig,
    now: datetime,
    *,
    nodepools: Sequence[NodePoolView] = (),
) -> DrainJob | None:
    direction = verdict.action.direction
    chosen = chosen_nodes(verdict, nodes)
    if not chosen:
        return None
    return DrainJob(
        job_id=job_id(verdict.decision_id),
        cluster=verdict.cluster,
        pool=verdict.pool,
        decision_id=verdict.decision_id,
        time=now,
        mode=mode,
        direction=Direction.SPOT_TO_ON_DEMAND if direction < 0 else Direction.ON_DEMAND_TO_SPOT,
        nodes=[n.name for n in chosen],
        deadline=now + timedelta(seconds=config.drain_deadline_seconds),
        grace_period_seconds=config.grace_period_seconds,
        emergency=verdict.action is Action.EMERGENCY_EXIT or verdict.urgent,
        provisioner=verdict.facts.provisioner if verdict.facts else Provisioner.KARPENTER,
        nodepools=_replacement_nodepools(nodepools, direction),
        reason=f"{verdict.proposed} → {verdict.action}: spot share {verdict.current_spot_ratio:.2f} → "
        f"{verdict.target_spot_ratio:.2f}",
    )


def _replacement_nodepools(nodepools: Sequence[NodePoolView], direction: int) -> list[str]:
    """The NodePools that may launch the target capacity type (a NodePool naming no type may launch any)."""
    wanted = SPOT if direction > 0 else ON_DEMAND
    return sorted(np.name for np in nodepools if not np.capacity_types or wanted in np.capacity_types)


def effective_mode(service: Mode, verdict: Mode) -> Mode:
    """The stricter of the two: a shadow router never mutates, even for a verdict judged in enforce."""
    order = [Mode.OBSERVE, Mode.SHADOW, Mode.ENFORCE]
    return min(service, verdict, key=order.index)
