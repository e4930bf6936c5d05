"""Transitions for training the rl policy: one per pool decision of a run, logged from the swarm itself.

A :class:`DecisionLogger` is a SpotVortex proposer (``decide_batch`` over verified models, as
``proposers.spotvortex``) that also records, for every pool it decides on:

- ``state``: the rl state (spec 1, ``spotvortex.inference.rl.RL_STATE``) exactly as ``decide_batch`` built it:
  the models' q-model is wrapped by a :class:`StateTap` that keeps the matrix ``decide_batch`` hands to it
  (and answers with the wrapped model's q-values, so the decisions are the ones an unlogged run makes);
- ``action``: the action proposed to the gates (the rules', the q-model's with ``policy_mode="rl"``, or an
  exploring one), with ``rules_action`` and ``rl_action`` (the q-model's argmax) beside it;
- ``reward``: −(the pool's cost from this decision to its next one, or to the end of the run) in USD, as
  :mod:`.attribution` splits it: compute of the pool's nodes + outage penalty of the pool's workloads +
  disruption (``eviction_cost_usd`` per pod the pool's drains evicted + ``outage_event_cost_usd`` per outage
  event of the pool's workloads: an entry into outage, as the run's ``outage_events`` counts it);
- ``next_state``: the state at the pool's next decision (``None`` for its last one: the run ended).

Decisions without an rl state (the unsupported-family and missing-market fallbacks) are counted, not logged;
their pool's interval runs on to its next logged decision.

Exploration (the behaviour policy for data collection): with ``epsilon > 0`` each decision the rules made is
replaced, with probability ``epsilon``, by an action drawn uniformly from the six (target share as the rules
would set it for that action, ``policy.target_ratio``); the draws come from ``random.Random`` seeded with the
run's seed, so a collection run is reproducible. The gates, router and drainer judge and execute it as any
other proposal.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np
import numpy.typing as npt

from spotvortex.contracts import Action, PolicySource, PoolTelemetry, ProposedAction
from spotvortex.inference import Models, Outcome, decide_batch
from spotvortex.inference.config import RuntimeConfig
from spotvortex.inference.params import PolicyParams, compile_params
from spotvortex.inference.policy import target_ratio
from spotvortex.inference.rl import N_ACTIONS, N_STATE, Matrix, StateInputs, state_vector

from .attribution import EVICTION_COST_USD, OUTAGE_EVENT_COST_USD, PoolCost, PoolCostMeter, machine_pool
from .proposers import Plan

if TYPE_CHECKING:
    from spotvortex.inference.models import QScorer

    from .swarm import InProcessSwarm

EXPLORE_REASON = "explore_epsilon"
ACTIONS = list(Action)


class StateTap:
    """Stands in for the models' q-model inside ``decide_batch``: keeps the rl states of the last call and
    answers with the wrapped model's q-values (zeros when there is none, which leaves the rules' decisions as
    they are: they never read the q-values). The state encoding is the wrapped model's (spec 1 without one)."""

    def __init__(self, inner: QScorer | None) -> None:
        self.inner = inner
        self.name = inner.name if inner is not None else "state-tap"
        self.version = inner.version if inner is not None else "state-tap"
        self.kind = inner.kind if inner is not None else "state-tap"
        self.states: Matrix = np.zeros((0, N_STATE), dtype=np.float32)

    def state(self, s: StateInputs) -> list[float]:
        return self.inner.state(s) if self.inner is not None else state_vector(s)

    def q_values(self, states: Matrix) -> npt.NDArray[np.float64]:
        self.states = np.array(states, dtype=np.float32, copy=True)
        if self.inner is None:
            return np.zeros((states.shape[0], N_ACTIONS), dtype=np.float64)
        return self.inner.q_values(states)


@dataclass(frozen=True, slots=True)
class Transition:
    pool: str
    seconds: float  # decision time, seconds since the ledger opened
    state: tuple[float, ...]
    action: int  # Action index of the proposal
    rules_action: int
    rl_action: int | None  # the q-model's argmax (None without a q-model)
    duration_seconds: float  # until the pool's next logged decision, or the end of the run
    cost: PoolCost  # the pool's cost over that interval
    next_state: tuple[float, ...] | None  # None: the run ended before the pool's next decision

    @property
    def reward(self) -> float:
        """−(compute + outage + disruption incl. outage events) of the pool over the interval, in USD."""
        return -self.cost.total

    @property
    def explored(self) -> bool:
        return self.action != self.rules_action


@dataclass
class TransitionLog:
    """A run's transitions and how they add up to the run's cost."""

    transitions: list[Transition] = field(default_factory=list)
    # each pool's cost before it was first decided on
    before_first_decision: PoolCost = field(default_factory=PoolCost)
    # nodes of no decided pool, and such pools' workloads and drains
    unattributed: PoolCost = field(default_factory=PoolCost)
    # the ledger's compute, outage penalty and outage events, and every drain eviction: the transitions' costs
    # plus the two above
    total: PoolCost = field(default_factory=PoolCost)
    skipped_decisions: int = 0  # decisions without an rl state (fallbacks)

    @property
    def reward_sum(self) -> float:
        return sum(t.reward for t in self.transitions)

    @property
    def shadow_agreement(self) -> float | None:
        """Share of decisions where the q-model's argmax is the rules' action (None without a q-model)."""
        judged = [t for t in self.transitions if t.rl_action is not None]
        return sum(t.rl_action == t.rules_action for t in judged) / len(judged) if judged else None


def explore(
    outcomes: Sequence[Outcome], rng: random.Random, epsilon: float, params: PolicyParams
) -> list[ProposedAction]:
    """The proposals, each the rules decided replaced with probability ``epsilon`` by a uniformly drawn action.

    One draw per rules decision (and a second when it explores), whatever ``epsilon``, so the stream of draws
    does not depend on the outcomes."""
    out = []
    for o in outcomes:
        proposal = o.action
        if o.rules is not None and rng.random() < epsilon:
            action = ACTIONS[rng.randrange(len(ACTIONS))]
            target = target_ratio(action, proposal.current_spot_ratio, o.rules.caps.effective_cap, params)
            proposal = msgspec.structs.replace(
                proposal, action=action, target_spot_ratio=target, reason=EXPLORE_REASON
            )
        out.append(proposal)
    return out


@dataclass
class _Open:
    seconds: float
    state: tuple[float, ...]
    action: int
    rules_action: int
    rl_action: int | None
    cost_so_far: PoolCost


class DecisionLogger:
    """A SpotVortex proposer that logs a transition per pool decision (see the module docstring).

    Build it, hand it to ``InProcessSwarm`` as the proposer, :meth:`attach` it to that swarm before the run,
    and call :meth:`finish` once the world has reached the end of the run."""

    def __init__(
        self,
        models: Models,
        policy_mode: Literal["deterministic", "rl"] = "deterministic",
        *,
        epsilon: float = 0.0,
        seed: int = 0,
        eviction_cost_usd: float = EVICTION_COST_USD,
        outage_event_cost_usd: float = OUTAGE_EVENT_COST_USD,
    ) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], not {epsilon}")
        if policy_mode == "rl" and models.rl is None:
            raise ValueError("policy_mode rl needs a q-model")
        self.tap = StateTap(models.rl)
        self.models = replace(models, rl=self.tap)
        self.params = compile_params(RuntimeConfig(policy_mode=policy_mode))
        self.epsilon = epsilon
        self.rng = random.Random(f"spotvortex-explore:{seed}")
        self.eviction_cost_usd = eviction_cost_usd
        self.outage_event_cost_usd = outage_event_cost_usd
        self.meter: PoolCostMeter | None = None
        self.log = TransitionLog()
        self._open: dict[str, _Open] = {}
        self._seen: set[str] = set()

    def attach(self, swarm: InProcessSwarm) -> None:
        """Charge costs from the swarm's world and drains (call before the run starts)."""
        self.meter = PoolCostMeter(
            swarm.cluster,
            machine_pool(swarm.collector.config.pool_suffixes),
            swarm.drainer.evicted,
            eviction_cost_usd=self.eviction_cost_usd,
            outage_event_cost_usd=self.outage_event_cost_usd,
        )

    def __call__(self, snapshots: Sequence[PoolTelemetry], now: datetime) -> Plan:
        self.tap.states = np.zeros((0, N_STATE), dtype=np.float32)
        outcomes = decide_batch(snapshots, now, self.params, self.models)
        proposals = (
            explore(outcomes, self.rng, self.epsilon, self.params)
            if self.epsilon > 0
            else [o.action for o in outcomes]
        )
        decided = [(o, p) for o, p in zip(outcomes, proposals, strict=True) if o.rules is not None]
        if len(decided) != len(self.tap.states):
            raise RuntimeError(f"{len(decided)} rules decisions but {len(self.tap.states)} rl states")
        self.log.skipped_decisions += len(outcomes) - len(decided)
        for (outcome, proposal), row in zip(decided, self.tap.states, strict=True):
            assert outcome.rules is not None
            self._decided(
                proposal,
                tuple(float(v) for v in row),
                rules_action=outcome.rules.action.position,
                rl_action=self._rl_action(outcome.action),
            )
        return Plan(proposals)

    def _rl_action(self, decided: ProposedAction) -> int | None:
        """The q-model's argmax as ``decide_batch`` took it: the action in rl mode, else the shadow action."""
        if self.tap.inner is None:
            return None
        action = decided.action if decided.policy is PolicySource.RL else decided.shadow_action
        return action.position if action is not None else None

    def _meter(self) -> PoolCostMeter:
        if self.meter is None:
            raise RuntimeError("attach the logger to its swarm before the run")
        return self.meter

    def _seconds(self) -> float:
        meter = self._meter()
        return (meter.cluster.world.now - meter.opened).total_seconds()

    def _decided(
        self, proposal: ProposedAction, state: tuple[float, ...], *, rules_action: int, rl_action: int | None
    ) -> None:
        pool = proposal.pool
        cost = self._meter().read(pool)
        seconds = self._seconds()
        if pool not in self._seen:
            self._seen.add(pool)
            self.log.before_first_decision += cost
        self._close(pool, cost, seconds, state)
        self._open[pool] = _Open(seconds, state, proposal.action.position, rules_action, rl_action, cost)

    def _close(self, pool: str, cost: PoolCost, seconds: float, next_state: tuple[float, ...] | None) -> None:
        previous = self._open.pop(pool, None)
        if previous is None:
            return
        self.log.transitions.append(
            Transition(
                pool=pool,
                seconds=previous.seconds,
                state=previous.state,
                action=previous.action,
                rules_action=previous.rules_action,
                rl_action=previous.rl_action,
                duration_seconds=seconds - previous.seconds,
                cost=cost - previous.cost_so_far,
                next_state=next_state,
            )
        )

    def finish(self) -> TransitionLog:
        """Close every pool's last interval at the world's current time (the end of the run) and add up."""
        meter = self._meter()
        seconds = self._seconds()
        for pool in sorted(self._open):
            self._close(pool, meter.read(pool), seconds, None)
        self.log.transitions.sort(key=lambda t: (t.seconds, t.pool))
        self.log.unattributed = meter.unattributed(self._seen)
        ledger = meter.cluster.ledger.costs()
        evictions = sum(meter.evicted.values())
        self.log.total = PoolCost(
            ledger.compute_cost, ledger.outage_penalty, 0.0, evictions, ledger.outage_events
        ).priced(self.eviction_cost_usd, self.outage_event_cost_usd)
        return self.log
