"""The rl training pipeline at smoke size: the exported q-model loads through ``QModel`` from verified bytes, is
not a constant policy, and is reproducible; its reward prices outage events as the plan says; the tuning sweep
chooses that price on its own seeds by the promotion rule; the validation comparison reports what the promotion
rule needs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from training.rl.__main__ import main
from training.rl.collect import dataset
from training.rl.plans import (
    SMOKE_OUTAGE_EVENT_COSTS_USD,
    Reward,
    exploration_mixes,
    plans,
    reward,
    tuning_plan,
)
from training.rl.tune import Candidate, choose
from training.rl.validate import comparison as compare_runs

from spotvortex.contracts import Action
from spotvortex.inference.manifest import ArtifactEntry, ManifestError, VerifiedModel
from spotvortex.inference.models import default_models_dir
from spotvortex.inference.rl import N_STATE, RL_STATE_NAMES, RL_STATE_VERSION, QModel
from spotvortex.sim.eval.attribution import EVICTION_COST_USD, PoolCost
from spotvortex.sim.eval.proposers import policy_models
from spotvortex.sim.eval.runs import RunResult
from spotvortex.sim.eval.transitions import Transition, TransitionLog


def verified(data: bytes, name: str = "rl_policy.onnx") -> VerifiedModel:
    entry = ArtifactEntry(path=name, sha256=hashlib.sha256(data).hexdigest(), role="rl", version="test")
    return VerifiedModel(name=name, entry=entry, data=data, external={})


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    pytest.importorskip("torch")
    from training.rl import train_rl

    out = tmp_path_factory.mktemp("rl") / "rl_smoke.onnx"
    return out, train_rl(out, smoke=True)


@pytest.fixture(scope="module")
def candidate(request: pytest.FixtureRequest) -> Path:
    """The smoke-trained q-model, or without torch the shipped one (the comparison itself needs no torch)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return default_models_dir() / "rl_policy.onnx"
    path: Path = request.getfixturevalue("smoke")[0]
    return path


@pytest.fixture(scope="module")
def tuning(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    pytest.importorskip("torch")
    from training.rl.tune import tune

    keep = tmp_path_factory.mktemp("rl-tune")
    return keep, tune(keep / "tuning.json", smoke=True, keep=keep)


@pytest.fixture(scope="module")
def comparison(candidate: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("rl-compare") / "comparison.json"
    assert main(["compare", "--model", str(candidate), "--out", str(out), "--smoke"]) == 0
    document: dict[str, Any] = json.loads(out.read_text())
    return document


# -- training ------------------------------------------------------------------------------------------------


def test_the_smoke_model_loads_through_qmodel_from_verified_bytes(smoke: tuple[Path, dict[str, Any]]) -> None:
    path, summary = smoke
    data = path.read_bytes()
    assert summary["sha256"] == hashlib.sha256(data).hexdigest()
    model = QModel(verified(data))
    for batch in (1, 7, 300):  # a dynamic batch dimension
        q = model.q_values(np.random.default_rng(batch).random((batch, N_STATE), dtype=np.float32))
        assert q.shape == (batch, len(Action))
        assert np.isfinite(q).all()
    assert summary["onnx_vs_torch_max_abs_diff_usd"] < 1e-4


def test_the_model_describes_itself_and_its_training(smoke: tuple[Path, dict[str, Any]]) -> None:
    path, summary = smoke
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    meta = json.loads(session.get_modelmeta().custom_metadata_map["spotvortex"])
    assert meta["rl_state_version"] == RL_STATE_VERSION
    assert tuple(meta["state_names"]) == RL_STATE_NAMES
    assert meta["actions"] == [a.value for a in Action]
    training = meta["training"]
    assert training == summary["training"]
    assert training["scenarios"] == ["demo"]
    assert training["rows"] == summary["collection"]["rows"] > 100
    assert 0 < training["discount"]["gamma"] < 1
    assert training["epochs"] == training["fit"]["iterations"] * training["fit"]["epochs_per_iteration"] > 0
    assert not set(training["seeds"]) & set(training["validation"]["seeds"])
    # the reward prices outage events at the plan's value; the states come from the bundle's risk model
    assert training["outage_event_cost_usd"] == reward(True).outage_event_cost_usd > 0
    assert training["eviction_cost_usd"] == EVICTION_COST_USD
    assert f"{reward(True).outage_event_cost_usd:g} USD per outage event" in training["reward"]
    risk = policy_models().risk
    assert training["risk_model"] == {"name": risk.name, "version": risk.version, "kind": risk.kind}
    assert session.get_modelmeta().custom_metadata_map.keys() == {"spotvortex"}
    assert [o.name for o in session.get_outputs()] == ["q_values"]


def test_the_collection_charges_the_runs_outage_events(smoke: tuple[Path, dict[str, Any]]) -> None:
    runs = smoke[1]["collection"]["runs"]
    assert sum(r["outage_events_in_rewards"] for r in runs.values()) > 0
    for r in runs.values():
        # events before a pool's first decision (the ledger's opening) are the run's but no transition's
        assert 0 <= r["outage_events_in_rewards"] <= r["outage_events"]


def test_rewards_are_repriced_from_the_logged_counts() -> None:
    """A log collected at one outage-event price gives the rewards of another without a new simulation, and
    at its own price the logged rewards."""
    state = tuple([0.5] * N_STATE)

    def step(cost: PoolCost, last: bool = False) -> Transition:
        return Transition("web", 0.0, state, 1, 1, None, 600.0, cost, None if last else state)

    logged_at = 40.0
    costs = [
        PoolCost(2.0, 0.5, 0.2 + 3 * logged_at, evictions=2, outage_events=3),
        PoolCost(1.0, 0.0, 0.0),
        PoolCost(1.0, 0.0, 0.0, outage_events=0),
    ]
    log = TransitionLog([step(costs[0]), step(costs[1]), step(costs[2], last=True)])
    same, dropped = dataset([log], Reward(outage_event_cost_usd=logged_at))
    assert dropped == 1
    assert same.rewards.tolist() == pytest.approx([t.reward for t in log.transitions[:2]])
    other, _ = dataset([log], Reward(outage_event_cost_usd=400.0))
    assert other.rewards.tolist() == pytest.approx([-(2.0 + 0.5 + 2 * EVICTION_COST_USD + 3 * 400.0), -1.0])


def test_the_trained_policy_is_not_a_constant_one(smoke: tuple[Path, dict[str, Any]]) -> None:
    model = QModel(verified(smoke[0].read_bytes()))
    states = np.random.default_rng(0).random((2000, N_STATE), dtype=np.float32)
    greedy = model.q_values(states).argmax(axis=1)
    assert len(set(greedy.tolist())) >= 2


def test_training_is_reproducible_to_the_byte(smoke: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from training.rl import train_rl

    again = train_rl(tmp_path / "again.onnx", smoke=True)
    assert again["sha256"] == smoke[1]["sha256"]
    assert (tmp_path / "again.onnx").read_bytes() == smoke[0].read_bytes()


@pytest.mark.parametrize("smoke_plan", [True, False])
def test_training_and_validation_share_no_seed_and_no_moment(smoke_plan: bool) -> None:
    train, validation = plans(smoke_plan)
    assert not set(train.seeds) & set(validation.seeds)
    assert train.end <= validation.start or validation.end <= train.start
    assert len(train.epsilons) == len(train.seeds)


@pytest.mark.parametrize("smoke_plan", [True, False])
def test_tuning_shares_no_seed_with_training_or_validation_and_no_moment_with_validation(
    smoke_plan: bool,
) -> None:
    train, validation = plans(smoke_plan)
    tuning = tuning_plan(smoke_plan)
    assert not set(tuning.seeds) & (set(train.seeds) | set(validation.seeds))
    assert tuning.end <= validation.start or validation.end <= tuning.start
    assert tuning.end <= train.start or train.end <= tuning.start


def test_the_rl_proposer_takes_a_model_file(smoke: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    models = policy_models(rl_model=smoke[0], require_rl=True)
    assert models.rl is not None
    assert models.rl.version.startswith("rl_smoke+sha256:" + smoke[1]["sha256"][:12])
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ManifestError):
        policy_models(rl_model=broken)


# -- tuning --------------------------------------------------------------------------------------------------


def test_the_sweep_judges_every_price_on_the_tuning_seeds(tuning: tuple[Path, dict[str, Any]]) -> None:
    keep, document = tuning
    plan = tuning_plan(True)
    assert [(c["mix"], c["outage_event_cost_usd"]) for c in document["candidates"]] == [
        (mix, cost) for mix in exploration_mixes(True) for cost in SMOKE_OUTAGE_EVENT_COSTS_USD
    ]
    assert document["tuning"]["seeds"] == list(plan.seeds)
    assert not set(document["tuning"]["seeds"]) & set(document["validation_not_used"]["seeds"])
    for c in document["candidates"]:
        rows = c["per_seed"]
        assert [r["seed"] for r in rows] == list(plan.seeds)
        assert c["promote"] == all(r["rl_beats_deterministic"] and r["rl_outage_delta_le_0"] for r in rows)
        assert c["worst_outage_delta"] == max(r["rl_outage_delta"] for r in rows)
        # each candidate is a q-model fitted with its own price, and says so
        model = keep / f"rl_tune_{c['mix']}_{c['outage_event_cost_usd']:g}.onnx"
        session = ort.InferenceSession(model.read_bytes(), providers=["CPUExecutionProvider"])
        meta = json.loads(session.get_modelmeta().custom_metadata_map["spotvortex"])
        assert meta["training"]["outage_event_cost_usd"] == c["outage_event_cost_usd"]
    judged = [(Candidate(c["mix"], c["outage_event_cost_usd"]), c) for c in document["candidates"]]
    chosen = choose(judged)
    assert document["chosen"] == {"mix": chosen.mix, "outage_event_cost_usd": chosen.outage_event_cost_usd}
    assert document["plan"]["outage_event_cost_usd"] == reward(True).outage_event_cost_usd


def _judged(promote: bool, both: int, worst: int, margin: float) -> dict[str, Any]:
    return {
        "promote": promote,
        "seeds_meeting_both": both,
        "worst_outage_delta": worst,
        "worst_margin_over_rules_pct": margin,
    }


def test_the_choice_follows_the_promotion_rule_then_the_outage_headroom() -> None:
    a, b, c, d = (Candidate("wide", v) for v in (0.0, 25.0, 100.0, 400.0))
    assert (
        choose([(a, _judged(False, 2, 3, 50)), (b, _judged(True, 3, 0, 1)), (c, _judged(True, 3, -2, 1))])
        == c
    )
    assert choose([(a, _judged(False, 1, 1, 50)), (d, _judged(False, 2, 4, 0))]) == d
    assert choose([(c, _judged(True, 3, -1, 5)), (b, _judged(True, 3, -1, 5))]) == b  # a tie: the lower price
    assert choose([(b, _judged(True, 3, -1, 2)), (c, _judged(True, 3, -1, 5))]) == c


# -- validation ----------------------------------------------------------------------------------------------


def test_the_comparison_reports_each_policy_against_spot_first_per_seed(comparison: dict[str, Any]) -> None:
    _, validation = plans(True)
    assert [r["seed"] for r in comparison["per_seed"]] == list(validation.seeds)
    for row in comparison["per_seed"]:
        base = row["spot-first"]
        for policy in ("spotvortex", "spotvortex-rl"):
            entry = row[policy]
            expected = 100 * (base["net_cost"] - entry["net_cost"]) / base["net_cost"]
            assert entry["net_profit_improvement_pct"] == pytest.approx(expected, abs=1e-2)
            assert entry["outage_delta"] == entry["outage_events"] - base["outage_events"]
        assert row["rl_beats_deterministic"] == (
            row["spotvortex-rl"]["net_profit_improvement_pct"]
            > row["spotvortex"]["net_profit_improvement_pct"]
        )
        assert row["rl_outage_delta_le_0"] == (row["spotvortex-rl"]["outage_delta"] <= 0)


def _runs(rl_outages: list[int], rl_costs: list[float]) -> list[RunResult]:
    """Runs of three seeds: spot-first at 100 USD with 10 outage events, the rules at 200 USD with 5."""

    def result(policy: str, seed: int, cost: float, events: int) -> RunResult:
        keys = ("compute_cost", "outage_penalty", "spot_residency", "migrations", "drains")
        return RunResult(
            policy, seed, {"net_cost": cost, "outage_events": events, **dict.fromkeys(keys, 0.0)}
        )

    runs = []
    for n, seed in enumerate((1, 2, 3)):
        runs += [result("spot-first", seed, 100.0, 10), result("spotvortex", seed, 200.0, 5)]
        runs.append(result("spotvortex-rl", seed, rl_costs[n], rl_outages[n]))
    return runs


@pytest.mark.parametrize(
    ("rl_outages", "rl_costs", "promote"),
    [
        ([10, 9, 0], [150.0, 120.0, 199.0], True),  # cheaper than the rules, no extra outage anywhere
        ([10, 11, 0], [150.0, 120.0, 199.0], False),  # one seed with one outage more than spot-first
        ([10, 9, 0], [150.0, 120.0, 200.0], False),  # one seed merely as dear as the rules
    ],
)
def test_one_failing_seed_blocks_the_promotion(
    tmp_path: Path, rl_outages: list[int], rl_costs: list[float], promote: bool
) -> None:
    model = tmp_path / "q.onnx"
    model.write_bytes(b"q")
    plan = dataclasses.replace(plans(True)[1], seeds=(1, 2, 3))
    document = compare_runs(plan, model, _runs(rl_outages, rl_costs))
    assert document["promotion"]["promote"] is promote
    assert [r["spotvortex-rl"]["outage_delta"] for r in document["per_seed"]] == [o - 10 for o in rl_outages]


def test_the_comparison_reports_shadow_agreement(comparison: dict[str, Any], candidate: Path) -> None:
    agreement = comparison["shadow_agreement"]
    for policy in ("spotvortex", "spotvortex-rl"):
        assert agreement[policy]["decisions"] > 0
        assert 0 <= agreement[policy]["share"] <= 1
    for row in comparison["per_seed"]:
        assert 0 <= row["spotvortex"]["shadow_agreement"] <= 1
    assert comparison["model_sha256"] == hashlib.sha256(candidate.read_bytes()).hexdigest()
