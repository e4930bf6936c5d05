"""The inference core: pool snapshots in, a risk assessment and a proposed action per snapshot out.

Pure and deterministic: no I/O, no clock (``now`` only stamps the outputs; features are taken at the snapshot's
own time), models already loaded and verified. A batch makes one risk-model call and at most one q-model call.

Per snapshot, in order:

1. none of the pool's instance types is in the models' family scope → EMERGENCY_EXIT, policy ``fallback``,
   reason ``unsupported_instance_family`` (scores 1.0: an unknown risk is taken as the worst). Decided per pool
   from its own types (upstream-spec §11 item 13): a pool with some supported types is judged on the markets of
   those, and other pools are unaffected;
2. no usable market series (no price, or a non-positive price) → HOLD, policy ``fallback``, reason
   ``missing_market_data``, confidence 0, so the gates and the audit see the pool (it used to be skipped
   silently);
3. otherwise the risk model scores the pool, the rules decide (``policy``), and the rl q-model either decides
   (``policy_mode: rl``) or runs in the shadow. ``shadow_action`` is what the other policy would have done.

Confidence: the risk confidence is ``in_distribution`` (see ``risk``) × data quality, where data quality is the
smallest of: 0.8 + 0.2 × (share of markets whose price history reaches back an hour), 0.6 + 0.4 × (share of the
pool's zones with a market series), and 0.7 if the series are not the dominant type's own (else 1). The rules'
confidence is the risk confidence; the rl policy's is the risk confidence × the clarity of its preference.

Ids: ``decision_id`` is a hash of the telemetry's fact id, so a redelivered snapshot yields the same fact ids and
JetStream drops the duplicates.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from spotvortex.contracts.decisions import FeatureContribution, ProposedAction, RiskAssessment
from spotvortex.contracts.enums import Action, PolicySource
from spotvortex.contracts.risk_window import StepCache
from spotvortex.contracts.telemetry import PoolTelemetry
from spotvortex.inference.caps import WorkloadInputs
from spotvortex.inference.config import RuntimeConfig
from spotvortex.inference.features import (
    MarketSummary,
    MarketView,
    market_summary,
    market_view,
)
from spotvortex.inference.legacy import legacy_history
from spotvortex.inference.models import Models, RiskScorer
from spotvortex.inference.params import PolicyParams, compile_params
from spotvortex.inference.policy import PolicyDecision, PolicyInputs, decide_deterministic, target_ratio
from spotvortex.inference.risk import apply_risk_multiplier
from spotvortex.inference.rl import StateInputs, choose, preference_clarity, state_vector

UNSUPPORTED = "unsupported_instance_family"
MISSING_MARKET = "missing_market_data"
RL_REASON = "rl_q_argmax"


@dataclass(frozen=True)
class Outcome:
    """One snapshot's outputs, plus what the adapter counts in metrics."""

    risk: RiskAssessment
    action: ProposedAction
    unsupported_families: tuple[str, ...] = ()
    rules: PolicyDecision | None = None
    shadow_agrees: bool | None = None


def decision_id(telemetry: PoolTelemetry) -> str:
    return "dec-" + hashlib.sha256(telemetry.fact_id().encode()).hexdigest()[:24]


def data_quality(view: MarketView) -> float:
    return min(
        0.8 + 0.2 * view.history_share,
        0.6 + 0.4 * view.zone_share,
        1.0 if view.dominant_match else 0.7,
    )


def workload_inputs(telemetry: PoolTelemetry, view: MarketView) -> WorkloadInputs:
    """The policy's view of the pool; utilisation is the pool's CPU requests over allocatable."""
    return WorkloadInputs(
        current_spot_ratio=telemetry.current_spot_ratio,
        spot_price=view.spot_price,
        on_demand_price=view.on_demand_price,
        pod_startup_seconds=telemetry.workload.pod_startup_p95_seconds,
        outage_penalty_hours=telemetry.workload.outage_penalty_hours,
        priority_score=telemetry.workload.priority_score,
        utilisation=min(1.0, max(0.0, telemetry.utilisation.cpu)),
        safety=telemetry.safety,
    )


def _round(value: float) -> float:
    return round(float(value), 6) if math.isfinite(value) else 0.0


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


_Market = tuple[MarketView, list[list[float]], MarketSummary] | None


@dataclass(frozen=True)
class _Scored:
    telemetry: PoolTelemetry
    view: MarketView
    window: list[list[float]]
    summary: MarketSummary
    unsupported: tuple[str, ...]


class _Batch:
    """Builds the events of one batch; holds the shared pieces so each builder stays short."""

    def __init__(self, now: datetime, params: PolicyParams, models: Models) -> None:
        self.now = now
        self.params = params
        self.models = models
        self.config: RuntimeConfig = params.config

    def risk(
        self,
        t: PoolTelemetry,
        capacity: float,
        runtime: float,
        confidence: float,
        *,
        supported: bool = True,
        top: list[FeatureContribution] | None = None,
    ) -> RiskAssessment:
        return RiskAssessment(
            cluster=t.cluster,
            pool=t.pool,
            telemetry_id=t.telemetry_id,
            time=self.now,
            capacity_score=_clip01(capacity),
            runtime_score=_clip01(runtime),
            confidence=_clip01(confidence),
            model_version=self.models.risk.version,
            family_supported=supported,
            top_features=top or [],
        )

    def proposal(self, t: PoolTelemetry, **decided: Any) -> ProposedAction:
        """A proposal for ``t``: its identity, time, current share and facts, plus what was decided."""
        return ProposedAction(
            cluster=t.cluster,
            pool=t.pool,
            decision_id=decision_id(t),
            telemetry_id=t.telemetry_id,
            time=self.now,
            current_spot_ratio=t.current_spot_ratio,
            facts=t.facts,
            **decided,
        )

    def fallback(self, t: PoolTelemetry, families: tuple[str, ...]) -> Outcome:
        risk = self.risk(t, 1.0, 1.0, 0.0, supported=False)
        action = self.proposal(
            t,
            action=Action.EMERGENCY_EXIT,
            reason=UNSUPPORTED,
            policy=PolicySource.FALLBACK,
            confidence=1.0,
            capacity_score=1.0,
            runtime_score=1.0,
            target_spot_ratio=0.0,
            model_version=self.models.risk.version,
            details={f"unsupported_family_{f}": 1.0 for f in families},
        )
        return Outcome(risk=risk, action=action, unsupported_families=families)

    def missing(self, t: PoolTelemetry, families: tuple[str, ...]) -> Outcome:
        risk = self.risk(t, 0.0, 0.0, 0.0)
        action = self.proposal(
            t,
            action=Action.HOLD,
            reason=MISSING_MARKET,
            policy=PolicySource.FALLBACK,
            confidence=0.0,
            capacity_score=0.0,
            runtime_score=0.0,
            target_spot_ratio=t.current_spot_ratio,
            model_version=self.models.risk.version,
            details={"market_series": float(len(t.market))},
        )
        return Outcome(risk=risk, action=action, unsupported_families=families)

    def decided(
        self,
        item: _Scored,
        capacity: float,
        runtime: float,
        risk_confidence: float,
        rules: PolicyDecision,
        q: np.ndarray | None,
        raw: tuple[float, float],
        top: list[FeatureContribution],
    ) -> Outcome:
        t = item.telemetry
        risk = self.risk(t, capacity, runtime, risk_confidence, top=top)
        rl_action = choose(q) if q is not None else None
        details = dict(rules.details)
        details.update(
            capacity_score_raw=raw[0],
            runtime_score_raw=raw[1],
            risk_multiplier=self.config.risk_multiplier,
            data_quality=data_quality(item.view),
        )
        version = self.models.risk.version
        if self.config.policy_mode == "rl" and q is not None and rl_action is not None:
            assert self.models.rl is not None
            action, reason, policy = rl_action, RL_REASON, PolicySource.RL
            confidence = risk_confidence * preference_clarity(q)
            target = target_ratio(action, t.current_spot_ratio, rules.caps.effective_cap, self.params)
            shadow: Action | None = rules.action
            version = f"{version};{self.models.rl.version}"
            details["rl_preference_clarity"] = preference_clarity(q)
        else:
            action, reason, policy = rules.action, rules.reason, PolicySource.DETERMINISTIC
            confidence, target, shadow = risk_confidence, rules.target_spot_ratio, rl_action
        proposal = self.proposal(
            t,
            action=action,
            reason=reason,
            policy=policy,
            confidence=_clip01(confidence),
            capacity_score=_clip01(capacity),
            runtime_score=_clip01(runtime),
            target_spot_ratio=_clip01(target),
            model_version=version,
            q_values=[_round(v) for v in q] if q is not None else None,
            shadow_action=shadow,
            details={k: round(v, 6) for k, v in details.items() if math.isfinite(v)},
        )
        agrees = None if shadow is None else shadow is action
        return Outcome(
            risk=risk,
            action=proposal,
            unsupported_families=item.unsupported,
            rules=rules,
            shadow_agrees=agrees,
        )


def _pool_types(t: PoolTelemetry) -> list[str | None]:
    types: list[str | None] = list(t.instance_types)
    if t.dominant_instance_type and t.dominant_instance_type not in types:
        types.append(t.dominant_instance_type)
    return types or [None]


def _market_features(
    t: PoolTelemetry,
    in_scope: Callable[[str], bool] | None,
    seen: dict[tuple[object, ...], _Market],
    steps: StepCache,
    risk: RiskScorer,
) -> _Market:
    """The pool's market view, risk window and price summary, worked out once per batch for pools that carry
    the very same market series objects (as a collector building every pool's snapshot at one time hands
    over): they depend only on those series, the pool's types and zones, and the snapshot time. ``steps``
    shares each market's per-step features between pools and families of the batch."""
    key = (
        t.time,
        t.dominant_instance_type,
        tuple(t.instance_types),
        tuple(t.zones),
        *(id(s) for s in t.market),
    )
    found = seen.get(key)
    if found is None:
        view = market_view(t, in_scope)
        found = seen[key] = (
            None if view is None else (view, risk.prepare(view, t, steps), market_summary(view, t.time))
        )
    return found


def decide_batch(
    telemetries: Sequence[PoolTelemetry],
    now: datetime,
    config: RuntimeConfig | PolicyParams,
    models: Models,
) -> list[Outcome]:
    """Decide every snapshot of a micro-batch (results in input order)."""
    params = config if isinstance(config, PolicyParams) else compile_params(config)
    rl_wanted = params.config.policy_mode == "rl" or params.config.shadow_enabled
    if params.config.policy_mode == "rl" and models.rl is None:
        raise ValueError("policy_mode rl needs an rl model; load the models with require_rl=True")
    batch = _Batch(now, params, models)
    scope = models.scope
    outcomes: list[Outcome | None] = [None] * len(telemetries)
    scored: list[tuple[int, _Scored]] = []
    markets: dict[tuple[object, ...], _Market] = {}
    steps: StepCache = {}
    for i, t in enumerate(telemetries):
        types = _pool_types(t)
        unsupported = scope.unsupported_families(types)
        if not any(scope.supports(x) for x in types):
            outcomes[i] = batch.fallback(t, unsupported)
            continue
        found = _market_features(
            t, None if scope.unrestricted else scope.supports, markets, steps, models.risk
        )
        if found is None:
            outcomes[i] = batch.missing(t, unsupported)
            continue
        view, window, summary = found
        scored.append((i, _Scored(t, view, window, summary, unsupported)))
    if scored:
        assessed = models.risk.assess(models.risk.stack([s.window for _, s in scored]))  # one risk call
        raw_c, raw_r = assessed.capacity, assessed.runtime
        k = params.config.risk_multiplier
        capacity, runtime = apply_risk_multiplier(raw_c, k), apply_risk_multiplier(raw_r, k)
        in_dist = assessed.in_distribution
        tops = assessed.top_features
        rules: list[PolicyDecision] = []
        states: list[list[float]] = []
        encode_state = models.rl.state if models.rl is not None else state_vector
        for n, (_, s) in enumerate(scored):
            inputs = PolicyInputs(float(capacity[n]), float(runtime[n]), workload_inputs(s.telemetry, s.view))
            decision = decide_deterministic(inputs, params)
            rules.append(decision)
            w = inputs.workload
            states.append(
                encode_state(
                    StateInputs(
                        spot_price_ratio=s.summary.spot_price_ratio,
                        price_volatility=s.summary.price_volatility_1h,
                        capacity_score=inputs.capacity_score,
                        runtime_score=inputs.runtime_score,
                        pod_startup_seconds=w.pod_startup_seconds,
                        migration_cost_usd=decision.details["migration_cost_usd"],
                        utilisation=w.utilisation,
                        outage_penalty_hours=w.outage_penalty_hours,
                        priority_score=w.priority_score,
                        current_spot_ratio=w.current_spot_ratio,
                        effective_cap=decision.caps.effective_cap,
                        recovery_risk=w.safety.recovery_budget_violation_risk,
                        out_of_distribution=bool(decision.ood_reasons),
                        spot_price_usd=w.spot_price,
                        on_demand_price_usd=w.on_demand_price,
                        target_spot_ratio=decision.target_spot_ratio,
                        price_history_usd=tuple(
                            legacy_history(
                                s.view.series[0].prices, s.view.series[0].spot_price, s.telemetry.time
                            )
                        ),
                    )
                )
            )
        q_values = None
        if rl_wanted and models.rl is not None:
            q_values = models.rl.q_values(np.asarray(states, dtype=np.float32))
        for n, (i, s) in enumerate(scored):
            confidence = float(in_dist[n]) * data_quality(s.view)
            outcomes[i] = batch.decided(
                s,
                float(capacity[n]),
                float(runtime[n]),
                confidence,
                rules[n],
                q_values[n] if q_values is not None else None,
                (float(raw_c[n]), float(raw_r[n])),
                tops[n],
            )
    return [o for o in outcomes if o is not None]


def decide_rules(
    telemetry: PoolTelemetry,
    capacity_score: float,
    runtime_score: float,
    config: RuntimeConfig | PolicyParams,
) -> PolicyDecision | None:
    """The deterministic rules alone, on risk scores given by the caller (no models; ``None`` without market
    data). For evaluations that replay the rules with scores from elsewhere."""
    view = market_view(telemetry)
    if view is None:
        return None
    params = config if isinstance(config, PolicyParams) else compile_params(config)
    return decide_deterministic(
        PolicyInputs(capacity_score, runtime_score, workload_inputs(telemetry, view)), params
    )


def decide(
    telemetry: PoolTelemetry, now: datetime, config: RuntimeConfig | PolicyParams, models: Models
) -> tuple[RiskAssessment, ProposedAction]:
    """Decide one snapshot: ``(risk assessment, proposed action)``."""
    outcome = decide_batch([telemetry], now, config, models)[0]
    return outcome.risk, outcome.action
