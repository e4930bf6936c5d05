"""The core entry points: the events they build, ids, shadow and rl modes."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from spotvortex.contracts import (
    Action,
    PolicySource,
    PoolSafety,
    ProposedAction,
    RiskAssessment,
    decode,
    encode,
)
from spotvortex.inference import (
    Models,
    RuntimeConfig,
    decide,
    decide_batch,
    decide_rules,
    decision_id,
    load_models,
)
from spotvortex.inference.params import compile_params

from .builders import NOW, OD, SNAPSHOT, series, telemetry, with_q


def test_events_carry_the_snapshot_the_models_and_the_evidence(models: Models) -> None:
    t = telemetry()
    risk, action = decide(t, NOW, RuntimeConfig(), models)
    assert (risk.cluster, risk.pool, risk.telemetry_id, risk.time) == ("prod", "web", t.telemetry_id, NOW)
    assert risk.model_version == models.risk.version
    assert risk.model_version.startswith(f"risk-{models.risk.kind}-2+sha256:")
    assert 0 < risk.capacity_score < 0.189
    assert risk.confidence == 1.0
    assert risk.top_features
    assert all(f.name for f in risk.top_features)
    assert (action.action, action.reason, action.policy) == (
        Action.INCREASE_30,
        "economic_increase30",
        PolicySource.DETERMINISTIC,
    )
    assert action.facts == t.facts
    assert action.telemetry_id == t.telemetry_id
    assert action.decision_id == decision_id(t)
    assert action.current_spot_ratio == 0.5
    assert action.target_spot_ratio == pytest.approx(0.8)
    assert (action.capacity_score, action.runtime_score) == (risk.capacity_score, risk.runtime_score)
    assert action.q_values is not None
    assert len(action.q_values) == 6
    assert action.shadow_action is Action.from_index(max(range(6), key=lambda i: (action.q_values[i], -i)))  # type: ignore[index]
    for key in (
        "composite",
        "feature_cap",
        "workload_cap",
        "effective_cap",
        "savings_ratio",
        "payback_hours",
        "migration_cost_usd",
    ):
        assert key in action.details
    # the events survive the wire
    assert decode(encode(action), ProposedAction) == action
    assert decode(encode(risk), RiskAssessment) == risk


def test_ids_are_derived_from_the_snapshot(models: Models) -> None:
    t = telemetry()
    first = decide(t, NOW, RuntimeConfig(), models)
    again = decide(t, NOW + timedelta(seconds=30), RuntimeConfig(), models)  # a redelivery, decided later
    assert first[1].fact_id() == again[1].fact_id()
    assert first[0].fact_id() == again[0].fact_id()
    assert first[1].action == again[1].action
    other = msgspec.structs.replace(t, trigger="interruption")
    assert decision_id(other) != decision_id(t)
    later = msgspec.structs.replace(t, time=SNAPSHOT + timedelta(minutes=1))
    assert decision_id(later) != decision_id(t)


def test_results_keep_input_order_across_kinds(models: Models) -> None:
    batch = [
        telemetry(pool="a"),
        telemetry(pool="b", market=[]),
        telemetry(pool="c", instance_types=["x2gd.large"], dominant_instance_type="x2gd.large"),
        telemetry(pool="d", market=[series(spot_available=False)]),
    ]
    outcomes = decide_batch(batch, NOW, RuntimeConfig(), models)
    assert [o.action.pool for o in outcomes] == ["a", "b", "c", "d"]
    assert [o.action.reason for o in outcomes] == [
        "economic_increase30",
        "missing_market_data",
        "unsupported_instance_family",
        outcomes[3].action.reason,
    ]
    assert outcomes[3].action.reason in {"high_risk", "emergency_risk"}  # no spot capacity: leave spot


def test_shadow_agreement_and_switching_it_off(models: Models) -> None:
    growing = with_q(models, Action.INCREASE_30)
    # a 10 % saving: the rules see no edge (< 24.9 %) and hold; the q-model still grows
    no_edge = telemetry(pool="thin", market=[series(spot=0.9 * OD)])
    agree, differ = decide_batch([telemetry(), no_edge], NOW, RuntimeConfig(), growing)
    assert agree.shadow_agrees is True
    assert agree.action.shadow_action is agree.action.action is Action.INCREASE_30
    assert (differ.action.action, differ.action.shadow_action) == (Action.HOLD, Action.INCREASE_30)
    assert differ.shadow_agrees is False
    quiet = RuntimeConfig(rl_shadow_enabled=False)
    _, action = decide(telemetry(), NOW, quiet, growing)
    assert action.shadow_action is None
    assert action.q_values is None


def test_rl_mode_acts_on_the_q_values(models: Models) -> None:
    rl = RuntimeConfig(policy_mode="rl")
    _, shipped = decide(
        telemetry(), NOW, rl, models
    )  # the trained q-model: whatever it prefers, it acts on it
    assert shipped.q_values is not None
    assert shipped.action is Action.from_index(max(range(6), key=lambda i: (shipped.q_values[i], -i)))  # type: ignore[index]
    models = with_q(models, Action.DECREASE_30)
    _, action = decide(telemetry(), NOW, rl, models)
    assert action.policy is PolicySource.RL
    assert action.reason == "rl_q_argmax"
    assert action.q_values is not None
    assert action.action is Action.from_index(max(range(6), key=lambda i: (action.q_values[i], -i)))  # type: ignore[index]
    assert action.shadow_action is Action.INCREASE_30  # what the rules would have done
    assert 0 < action.confidence <= 1
    assert action.model_version == f"{models.risk.version};{models.rl.version}"  # type: ignore[union-attr]
    _, over_cap = decide(
        telemetry(current_spot_ratio=0.9, safety=PoolSafety(safe_max_spot_ratio=0.3)), NOW, rl, models
    )
    assert over_cap.action is Action.DECREASE_30
    assert over_cap.target_spot_ratio == pytest.approx(0.3)


def test_rl_mode_needs_the_rl_model(models: Models) -> None:
    without = Models(risk=models.risk, rl=None, scope=models.scope, cloud="aws", directory=models.directory)
    with pytest.raises(ValueError, match="policy_mode rl needs an rl model"):
        decide(telemetry(), NOW, RuntimeConfig(policy_mode="rl"), without)
    _, action = decide(telemetry(), NOW, RuntimeConfig(), without)
    assert action.shadow_action is None


def test_compiled_params_are_accepted(models: Models) -> None:
    params = compile_params(RuntimeConfig())
    assert decide(telemetry(), NOW, params, models) == decide(telemetry(), NOW, RuntimeConfig(), models)


def test_the_rules_alone_on_given_scores() -> None:
    rules = decide_rules(telemetry(), 0.8, 0.1, RuntimeConfig())
    assert rules is not None
    assert (rules.action, rules.reason) == (Action.DECREASE_30, "high_risk")
    assert decide_rules(telemetry(market=[]), 0.1, 0.1, RuntimeConfig()) is None


def test_one_model_call_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A micro-batch makes one risk-model call and one q-model call, whatever its size."""
    fresh = load_models()
    calls: list[int] = []
    for model, method in ((fresh.risk, "assess"), (fresh.rl, "q_values")):
        original = getattr(model, method)

        def counted(x: object, original: object = original) -> object:
            calls.append(len(x))  # type: ignore[arg-type]
            return original(x)  # type: ignore[operator]

        monkeypatch.setattr(model, method, counted)
    outcomes = decide_batch([telemetry(pool=f"p{i}") for i in range(50)], NOW, RuntimeConfig(), fresh)
    assert len(outcomes) == 50
    assert calls == [50, 50]


def test_pools_sharing_market_objects_are_decided_as_if_each_were_alone(models: Models) -> None:
    """A batch works a market's features out once for pools carrying the very same series, and still
    gives each pool what it would get on its own: zones and time are part of what is shared."""
    calm = series("m5.large", "us-east-1a")
    hot = series("m5.large", "us-east-1b", spot=0.09, history=[(timedelta(minutes=30), 0.02)])
    shared = [calm, hot]
    pools = [
        telemetry("a", market=shared, zones=["us-east-1a"]),
        telemetry("b", market=shared, zones=["us-east-1a"]),
        telemetry("c", market=shared, zones=["us-east-1b"]),
        telemetry("d", market=shared, zones=["us-east-1b"], time=SNAPSHOT + timedelta(minutes=20)),
    ]
    together = decide_batch(pools, NOW, RuntimeConfig(), models)
    alone = [decide_batch([p], NOW, RuntimeConfig(), models)[0] for p in pools]
    assert [o.risk for o in together] == [o.risk for o in alone]
    assert [o.action for o in together] == [o.action for o in alone]
    assert together[0].risk.capacity_score == together[1].risk.capacity_score
    assert together[0].risk.capacity_score != together[2].risk.capacity_score  # other zone, other market
