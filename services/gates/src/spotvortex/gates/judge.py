"""Judge one proposal: run every named rule, approve only if none fails, and say how far it may go.

Pure: the proposal, the pool's durable state, the rule settings, the mode and ``now`` in; the verdict and the
state to store out. Every rule is evaluated and reported, even after one has failed, so a verdict explains
all the reasons a move was (or would have been) held back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from spotvortex.contracts import (
    Action,
    CapacityType,
    GateVerdict,
    Mode,
    PoolFacts,
    ProposedAction,
    RuleOutcome,
)
from spotvortex.gates import budgets
from spotvortex.gates.config import GateConfig
from spotvortex.gates.state import PoolState, for_mode, prune_drains

EPSILON = 1e-6


@dataclass(frozen=True)
class Judgement:
    verdict: GateVerdict
    state: PoolState
    replayed: bool = False  # the proposal was judged before: its stored verdict is returned unchanged


class _Rules:
    """Collects outcomes; ``failed`` is true once any rule failed."""

    def __init__(self) -> None:
        self.outcomes: list[RuleOutcome] = []

    def add(
        self,
        rule: str,
        ok: bool,
        detail: str = "",
        value: float | None = None,
        limit: float | None = None,
    ) -> bool:
        outcome: Literal["pass", "fail"] = "pass" if ok else "fail"
        self.outcomes.append(RuleOutcome(rule=rule, outcome=outcome, detail=detail, value=value, limit=limit))
        return ok

    def note(
        self, rule: str, outcome: Literal["override", "skip"], detail: str, value: float | None = None
    ) -> None:
        self.outcomes.append(RuleOutcome(rule=rule, outcome=outcome, detail=detail, value=value))

    @property
    def failed(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.outcome == "fail"]


def _age(facts: PoolFacts, now: datetime) -> float:
    return (now - facts.telemetry_time).total_seconds()


def _check_kill_switch(rules: _Rules, config: GateConfig) -> None:
    rules.add(
        "kill_switch", config.enabled, "" if config.enabled else "gates.enabled is false: nothing moves"
    )


def _check_fresh(rules: _Rules, facts: PoolFacts, config: GateConfig, now: datetime) -> None:
    age = _age(facts, now)
    rules.add(
        "telemetry_fresh",
        age <= config.max_telemetry_age_seconds,
        f"telemetry is {age:.0f}s old",
        value=age,
        limit=config.max_telemetry_age_seconds,
    )


def bounded_target(proposal: ProposedAction, action: Action, facts: PoolFacts, config: GateConfig) -> float:
    """The proposal's target within the operator's share bounds and on-demand floor.

    An emergency exit may go below ``min_spot_share``: the floor is a cost preference, not a reason to keep
    nodes the risk model expects to lose (the earlier implementation let the floor win).
    """
    total = facts.nodes.total
    high = config.max_spot_share
    if total > 0 and config.on_demand_floor_nodes:
        high = min(high, max(0.0, 1.0 - config.on_demand_floor_nodes / total))
    if action is Action.EMERGENCY_EXIT:
        return 0.0
    low = min(config.min_spot_share, high)
    return min(high, max(low, proposal.target_spot_ratio))


def nodes_needed(action: Action, current: float, target: float, facts: PoolFacts) -> int:
    """Nodes to drain for the share change, bounded by what exists: towards on-demand (the safe side)
    ``ceil(|target − current| × pool size)``, towards spot ``floor``, so an increase never carries a pool
    past the target (the next cycle would drain the overshoot back)."""
    if action is Action.EMERGENCY_EXIT:
        return facts.nodes.spot
    gap = abs(target - current) * facts.nodes.total
    need = math.ceil(gap - 1e-9) if target < current else math.floor(gap + 1e-9)
    available = facts.nodes.spot if target < current else facts.nodes.on_demand
    return max(0, min(need, available))


def judge(
    proposal: ProposedAction,
    stored: PoolState | None,
    config: GateConfig,
    *,
    mode: Mode,
    now: datetime,
    cluster_started: int = 0,
) -> Judgement:
    """``cluster_started``: nodes whose drains started cluster-wide in the last hour (the cluster record)."""
    state = for_mode(stored, proposal.pool, mode)
    if state.last_decision_id == proposal.decision_id and state.last_verdict is not None:
        return Judgement(verdict=state.last_verdict, state=state, replayed=True)
    urgent = _interruption(proposal, state, config, mode=mode, now=now)
    if urgent is not None:
        return urgent
    judgement = _judge_move(proposal, state, config, mode=mode, now=now, cluster_started=cluster_started)
    if judgement.verdict.approved:
        return judgement
    return _release(proposal, state, config, judgement.verdict.reason, mode=mode, now=now) or judgement


def _interruption(
    proposal: ProposedAction, state: PoolState, config: GateConfig, *, mode: Mode, now: datetime
) -> Judgement | None:
    """The interruption fast path: drain the noticed spot nodes now, whatever else the proposal says."""
    facts = proposal.facts
    if facts is None or not config.interruption_fast_path or proposal.action is Action.EMERGENCY_EXIT:
        return None
    pending = min(facts.nodes.interruption_pending, facts.nodes.spot)
    if pending == 0 or facts.nodes.total == 0:
        return None
    rules = _Rules()
    _check_kill_switch(rules, config)
    _check_fresh(rules, facts, config, now)
    rules.note(
        "interruption_fast_path",
        "override",
        f"{pending} spot node(s) have an interruption notice: drained at once, past cooldown, dwell and "
        "budgets (evictions still respect PDBs)",
        value=float(pending),
    )
    current = proposal.current_spot_ratio
    target = max(0.0, current - pending / facts.nodes.total)
    if proposal.action.direction < 0:
        target = min(target, proposal.target_spot_ratio)
    action = proposal.action if proposal.action.direction < 0 else Action.DECREASE_10
    judgement = _finish(proposal, state, rules, action, target, pending, mode, now, config)
    verdict = msgspec.structs.replace(judgement.verdict, urgent=judgement.verdict.approved)
    return Judgement(verdict=verdict, state=msgspec.structs.replace(judgement.state, last_verdict=verdict))


def arrived(state: PoolState, facts: PoolFacts, current: float) -> bool:
    """The pool has reached the target last approved for it, as far as whole nodes can."""
    if state.target_spot_ratio is None or facts.nodes.total == 0:
        return False
    if state.last_direction < 0:  # decreases drain whole nodes rounded up: they reach the target
        return current <= state.target_spot_ratio + EPSILON
    # increases drain whole nodes rounded down: they stop less than one node short of it
    return current > state.target_spot_ratio - 1.0 / facts.nodes.total + EPSILON


def _release(
    proposal: ProposedAction,
    state: PoolState,
    config: GateConfig,
    held_back: str,
    *,
    mode: Mode,
    now: datetime,
) -> Judgement | None:
    """An approved HOLD that hands a steered pool back to the operator's provisioner settings once it has
    reached its target, so steering done for one move does not keep pushing the pool past it."""
    facts = proposal.facts
    if state.steered == 0 or facts is None or not config.enabled:
        return None
    if proposal.action is Action.EMERGENCY_EXIT or proposal.capacity_score >= config.risk_override_threshold:
        return None
    if _age(facts, now) > config.max_telemetry_age_seconds:
        return None
    current = proposal.current_spot_ratio
    if not arrived(state, facts, current):
        return None
    target = state.target_spot_ratio if state.target_spot_ratio is not None else current
    outcome = RuleOutcome(
        rule="target_reached",
        outcome="override",
        detail=f"spot share {current:.2f} has reached its target {target:.2f}: steering returns to the "
        f"operator's settings (the proposed {proposal.action} was held back: {held_back})",
        value=current,
    )
    verdict = _verdict(
        proposal,
        now,
        mode,
        approved=True,
        action=Action.HOLD,
        target_spot_ratio=target,
        rules=[outcome],
        reason="target_reached",
        drain_allowance=0,
    )
    new_state = msgspec.structs.replace(
        state, steered=0, last_decision_id=proposal.decision_id, last_verdict=verdict
    )
    return Judgement(verdict=verdict, state=new_state)


def _judge_move(
    proposal: ProposedAction,
    state: PoolState,
    config: GateConfig,
    *,
    mode: Mode,
    now: datetime,
    cluster_started: int,
) -> Judgement:
    rules = _Rules()
    action = proposal.action
    facts = proposal.facts

    _check_kill_switch(rules, config)
    if facts is None:
        rules.add("pool_facts", False, "the proposal carries no pool facts to judge against")
        return _finish(proposal, state, rules, action, proposal.current_spot_ratio, 0, mode, now, config)

    _check_fresh(rules, facts, config, now)

    if proposal.capacity_score >= config.risk_override_threshold and action is not Action.EMERGENCY_EXIT:
        rules.note(
            "risk_override",
            "override",
            f"capacity score {proposal.capacity_score:.2f} ≥ {config.risk_override_threshold}: {action} → EMERGENCY_EXIT",
            value=proposal.capacity_score,
        )
        action = Action.EMERGENCY_EXIT
    emergency = action is Action.EMERGENCY_EXIT
    direction = action.direction

    if not rules.add(
        "actionable", direction != 0, "the proposal holds: nothing to actuate" if direction == 0 else ""
    ):
        return _finish(proposal, state, rules, action, proposal.current_spot_ratio, 0, mode, now, config)

    if emergency:
        rules.note(
            "confidence",
            "skip",
            "an emergency exit is not held back by model confidence",
            proposal.confidence,
        )
    else:
        rules.add(
            "confidence",
            proposal.confidence >= config.confidence_floor,
            value=proposal.confidence,
            limit=config.confidence_floor,
        )

    current = proposal.current_spot_ratio
    target = bounded_target(proposal, action, facts, config)
    moves = (target < current - EPSILON) if direction < 0 else (target > current + EPSILON)
    rules.add(
        "share_bounds",
        moves,
        f"target {target:.2f} within [{config.min_spot_share}, {config.max_spot_share}] "
        f"and an on-demand floor of {config.on_demand_floor_nodes} nodes"
        + ("" if moves else f"; the pool is already at {current:.2f}"),
        value=target,
    )

    gap_nodes = abs(target - current) * facts.nodes.total
    if emergency:
        rules.note("min_move", "skip", "an emergency exit moves whatever spot is left", gap_nodes)
    else:
        # Towards spot a move must be worth ``min_move_nodes`` (whole nodes, rounded down: no overshoot);
        # towards on-demand, the safe side, any step takes at least one whole node.
        floor = config.min_move_nodes if direction > 0 else EPSILON
        rules.add(
            "min_move",
            gap_nodes >= floor - EPSILON,
            f"the move is {gap_nodes:.2f} node(s) of share",
            value=gap_nodes,
            limit=floor,
        )

    since = (now - state.last_move_at).total_seconds() if state.last_move_at else None
    if emergency:
        rules.note("cooldown", "skip", "emergency exits skip the cooldown")
    else:
        rules.add(
            "cooldown",
            since is None or since >= config.cooldown_seconds,
            "no earlier move" if since is None else f"last move {since:.0f}s ago",
            value=since,
            limit=config.cooldown_seconds,
        )
    if state.last_direction and direction != state.last_direction and not emergency:
        rules.add(
            "reversal_dwell",
            since is None or since >= config.reversal_dwell_seconds,
            f"reverses the move of {since:.0f}s ago" if since is not None else "",
            value=since,
            limit=config.reversal_dwell_seconds,
        )

    need = nodes_needed(action, current, target, facts)
    _savings_rule(rules, direction, emergency, max(1, need), facts, config)
    draining = budgets.pool_draining(facts, state, now)
    limits = {
        "pool_drain_budget": budgets.pool_budget(facts, state, config, now),
        "cluster_drain_budget": budgets.cluster_budget(facts, config),
    }
    if not emergency:
        limits["pool_hourly_budget"] = budgets.hourly_budget(facts, state, config, now)
        limits["cluster_hourly_budget"] = budgets.cluster_hourly_budget(facts, config, cluster_started)
    if config.respect_karpenter_budgets:
        source = CapacityType.SPOT if direction < 0 else CapacityType.ON_DEMAND
        karpenter = budgets.karpenter_budget(facts, source.value, config, now, draining)
        if karpenter is not None:
            limits["karpenter_disruption_budget"] = karpenter
    drainable = facts.nodes.spot_drainable if direction < 0 else facts.nodes.on_demand_drainable
    if config.pdb_precheck and drainable is not None:
        if emergency:
            rules.note(
                "pdb_precheck", "skip", "an emergency exit overrides PDBs and do-not-disrupt", drainable
            )
        else:
            limits["pdb_precheck"] = drainable
    allowance = need
    for rule, limit in limits.items():
        rules.add(
            rule,
            need == 0 or limit > 0,
            f"{limit} node(s) may start draining, the move needs {need}",
            value=float(need),
            limit=float(limit),
        )
        allowance = min(allowance, limit)
    return _finish(proposal, state, rules, action, target, max(0, allowance), mode, now, config)


def _savings_rule(
    rules: _Rules, direction: int, emergency: bool, nodes: int, facts: PoolFacts, config: GateConfig
) -> None:
    """Savings over the dwell against the cost of making the move, for moves made to save money."""
    if direction < 0 or emergency:
        rules.note("savings_vs_disruption", "skip", "a move towards on-demand answers risk, not price")
        return
    if facts.on_demand_price <= 0:
        rules.note("savings_vs_disruption", "skip", "no on-demand price for the pool's instance type")
        return
    hours = config.reversal_dwell_seconds / 3600
    saving = nodes * (facts.on_demand_price - facts.spot_price) * hours
    cost = nodes * (
        facts.spot_price * config.replacement_overlap_seconds / 3600
        + facts.pods_per_node * config.disruption_cost_per_pod_usd
    )
    rules.add(
        "savings_vs_disruption",
        saving >= config.savings_margin * cost,
        f"saves ${saving:.3f} over {hours:g} h, costs ${cost:.3f} to move {nodes} node(s)",
        value=saving,
        limit=config.savings_margin * cost,
    )


def _verdict(
    proposal: ProposedAction,
    now: datetime,
    mode: Mode,
    *,
    approved: bool,
    action: Action,
    target_spot_ratio: float,
    rules: list[RuleOutcome],
    reason: str,
    drain_allowance: int,
) -> GateVerdict:
    """A verdict on ``proposal``: its identity, the share it started from and its facts, plus the outcome."""
    return GateVerdict(
        cluster=proposal.cluster,
        pool=proposal.pool,
        decision_id=proposal.decision_id,
        time=now,
        mode=mode,
        approved=approved,
        proposed=proposal.action,
        action=action,
        current_spot_ratio=proposal.current_spot_ratio,
        target_spot_ratio=target_spot_ratio,
        rules=rules,
        reason=reason,
        drain_allowance=drain_allowance,
        facts=proposal.facts,
    )


def _finish(
    proposal: ProposedAction,
    state: PoolState,
    rules: _Rules,
    action: Action,
    target: float,
    allowance: int,
    mode: Mode,
    now: datetime,
    config: GateConfig,
) -> Judgement:
    failed = rules.failed
    approved = not failed
    verdict = _verdict(
        proposal,
        now,
        mode,
        approved=approved,
        action=action if approved else Action.HOLD,
        target_spot_ratio=min(1.0, max(0.0, target)) if approved else proposal.current_spot_ratio,
        rules=rules.outcomes,
        reason="approved" if approved else "; ".join(f"{o.rule}: {o.detail}".rstrip(": ") for o in failed),
        drain_allowance=allowance if approved else 0,
    )
    if not approved:
        return Judgement(
            verdict=verdict,
            state=msgspec.structs.replace(state, last_decision_id=proposal.decision_id, last_verdict=verdict),
        )
    drains = prune_drains(state.drains, now) + [now] * allowance
    new_state = msgspec.structs.replace(
        state,
        target_spot_ratio=verdict.target_spot_ratio,
        last_move_at=now,
        last_direction=action.direction,
        steered=action.direction,
        in_flight=state.in_flight_at(now) + allowance,
        in_flight_until=now + timedelta(seconds=config.drain_timeout_seconds),
        drains=drains,
        last_decision_id=proposal.decision_id,
        last_verdict=verdict,
    )
    return Judgement(verdict=verdict, state=new_state)
