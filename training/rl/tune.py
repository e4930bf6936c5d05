"""Choosing the reward's outage-event price on the tuning plan, never on validation.

    .venv/bin/python -m training.rl tune --out /tmp/rl_tune.json                 # large: 8 seeds × 7 days, ~22 min
    .venv/bin/python -m training.rl tune --out /tmp/rl_tune.json --smoke         # demo, 12 h, for CI

For every exploration mix (``training.rl.plans.EXPLORATION_MIXES``: the ε per training seed) the behaviour
policy is run once on the training plan; the logs are then re-priced for every candidate price of an
outage event (``PoolCost.priced``: the logged counts of evicted pods and outage events, so no simulation is
repeated per price), a q-network is fitted by the training's own fitted-Q iteration (``FULL``), and each
candidate decides (``spotvortex-rl``) on the **tuning plan** (``training.rl.plans.TUNING``: seeds and a week
that neither training nor validation use), beside ``spot-first`` and the deterministic rules on the same seeds.

Every candidate is judged by the promotion rule of ``training.rl.validate`` on the tuning seeds. The choice is
the best candidate by, in order:

1. it meets the promotion rule on every tuning seed;
2. the number of tuning seeds on which both conditions hold (beats the rules, ``outage_delta ≤ 0``);
3. the smallest worst-seed ``outage_delta`` (the headroom on the rule's outage condition);
4. the largest worst-seed margin over the rules' improvement;

ties go to the lower price, then to the mix listed first. The chosen price is then fixed in ``plans.py``
(``OUTAGE_EVENT_COST_USD``, and the mix in ``TRAIN``) so that ``train`` fits once; the document says whether
the plan agrees with this run's choice.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spotvortex.inference.models import default_models_dir
from spotvortex.sim.eval.runs import BASELINE, RunResult, RunSpec
from training.rl.collect import collect_logs, dataset, run_all, summarise
from training.rl.plans import (
    EXPLORATION_MIXES,
    Reward,
    SimPlan,
    exploration_mixes,
    outage_event_costs,
    plans,
    reward,
    tuning_plan,
)
from training.rl.validate import comparison

RULES = "spotvortex"
RL = "spotvortex-rl"
SELECTION = (
    "the candidate that meets the promotion rule on every tuning seed; then most tuning seeds with both "
    "conditions; then the smallest worst-seed outage_delta; then the largest worst-seed margin over the rules' "
    "improvement; ties to the lower price, then the mix listed first"
)


@dataclass(frozen=True)
class Candidate:
    mix: str
    outage_event_cost_usd: float

    @property
    def label(self) -> str:
        return f"{self.mix}/{self.outage_event_cost_usd:g}"


def tuning_specs(plan: SimPlan, models: dict[Candidate, Path], models_dir: Path) -> list[RunSpec]:
    """spot-first and the rules once per seed, and every candidate deciding on every seed (longest first)."""
    common: dict[str, Any] = {"models_dir": str(models_dir)}
    specs: list[RunSpec] = []
    for seed in plan.seeds:
        specs.extend(
            RunSpec(
                plan.scenario,
                RL,
                seed,
                plan.start,
                plan.end,
                plan.cadence_seconds,
                rl_model=str(path),
                **common,
            )
            for path in models.values()
        )
        specs.append(
            RunSpec(plan.scenario, RULES, seed, plan.start, plan.end, plan.cadence_seconds, **common)
        )
        specs.append(RunSpec(plan.scenario, BASELINE, seed, plan.start, plan.end, plan.cadence_seconds))
    return specs


def judge(plan: SimPlan, model: Path, shared: list[RunResult], own: list[RunResult]) -> dict[str, Any]:
    """The promotion rule on the tuning seeds, and the ranking key of the selection (larger is better)."""
    document = comparison(plan, model, shared + own)
    rows = document["per_seed"]
    both = sum(r["rl_beats_deterministic"] and r["rl_outage_delta_le_0"] for r in rows)
    worst_delta = max(r[RL]["outage_delta"] for r in rows)
    worst_margin = min(
        r[RL]["net_profit_improvement_pct"] - r[RULES]["net_profit_improvement_pct"] for r in rows
    )
    return {
        "per_seed": [
            {
                "seed": r["seed"],
                "rules_improvement_pct": r[RULES]["net_profit_improvement_pct"],
                "rules_outage_delta": r[RULES]["outage_delta"],
                "rl_improvement_pct": r[RL]["net_profit_improvement_pct"],
                "rl_outage_delta": r[RL]["outage_delta"],
                "rl_outage_events": r[RL]["outage_events"],
                "rl_net_cost": r[RL]["net_cost"],
                "rl_beats_deterministic": r["rl_beats_deterministic"],
                "rl_outage_delta_le_0": r["rl_outage_delta_le_0"],
            }
            for r in rows
        ],
        "promote": document["promotion"]["promote"],
        "seeds_meeting_both": both,
        "worst_outage_delta": worst_delta,
        "worst_margin_over_rules_pct": round(worst_margin, 3),
        "median_rl_improvement_pct": document["median_net_profit_improvement_pct"][RL],
    }


def choose(judged: list[tuple[Candidate, dict[str, Any]]]) -> Candidate:
    """The selection rule of the module docstring over the candidates in the order given."""
    order = list(dict.fromkeys(c.mix for c, _ in judged))

    def key(item: tuple[Candidate, dict[str, Any]]) -> tuple[Any, ...]:
        c, j = item
        return (
            not j["promote"],
            -j["seeds_meeting_both"],
            j["worst_outage_delta"],
            -j["worst_margin_over_rules_pct"],
            c.outage_event_cost_usd,
            order.index(c.mix),
        )

    return min(judged, key=key)[0]


def tune(
    out: Path | None = None,
    *,
    smoke: bool = False,
    costs: tuple[float, ...] | None = None,
    mixes: tuple[str, ...] | None = None,
    models_dir: Path | None = None,
    workers: int | None = None,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Run the sweep (see the module docstring); writes the document to ``out`` when given and the candidate
    models to ``keep`` (default: a temporary directory)."""
    from training.rl.fqi import FULL, SMOKE  # torch: training only
    from training.rl.train import fit_and_export, risk_model, training_summary

    began = time.perf_counter()
    train_plan, validation_plan = plans(smoke)
    plan = tuning_plan(smoke)
    costs = costs or outage_event_costs(smoke)
    known = exploration_mixes(smoke)
    mixes = mixes or tuple(known)
    models_dir = models_dir or default_models_dir()
    workers = workers or (1 if smoke else 2)
    config = SMOKE if smoke else FULL
    risk = risk_model(models_dir)
    unknown = set(mixes) - set(known)
    if unknown:
        raise ValueError(f"unknown exploration mixes {sorted(unknown)}; known: {sorted(known)}")

    with tempfile.TemporaryDirectory() as scratch:
        where = keep or Path(scratch)
        models: dict[Candidate, Path] = {}
        fits: dict[str, Any] = {}
        collections: dict[str, Any] = {}
        for mix in mixes:
            collected = replace(train_plan, epsilons=known[mix])
            logs, runs = collect_logs(collected, Reward(0.0), models_dir=models_dir, workers=workers)
            collections[mix] = {"epsilon_per_seed": collected.as_dict()["epsilon_per_seed"], **runs}
            for cost in costs:
                candidate = Candidate(mix, cost)
                prices = Reward(outage_event_cost_usd=cost)
                data, dropped = dataset(logs, prices)
                training = training_summary(
                    collected, validation_plan, prices, config, data, risk, smoke=smoke
                )
                training["tuning_candidate"] = {"mix": mix, "tuning": plan.as_dict()}
                path = where / f"rl_tune_{mix}_{cost:g}.onnx"
                exported = fit_and_export(data, config, training, path)
                fits[candidate.label] = {
                    "sha256": exported["sha256"],
                    "fit": exported["fit"],
                    "fit_seconds": exported["fit_seconds"],
                    "reward_mean_usd": summarise(data, dropped, {})["reward_mean_usd"],
                }
                models[candidate] = path
                print(
                    f"  fitted {candidate.label} in {exported['fit_seconds']} s", file=sys.stderr, flush=True
                )
        fitted_at = time.perf_counter()
        specs = tuning_specs(plan, models, models_dir)
        results = run_all(specs, workers)
        shared = [r for r in results if r.policy != RL]
        by_model: dict[str, list[RunResult]] = {}
        for spec, r in zip(specs, results, strict=True):
            if r.policy == RL and spec.rl_model is not None:
                by_model.setdefault(spec.rl_model, []).append(r)
        judged = [(c, judge(plan, path, shared, by_model[str(path)])) for c, path in models.items()]
    chosen = choose(judged)
    in_plan = Candidate(mix_of(train_plan, smoke), reward(smoke).outage_event_cost_usd)
    document: dict[str, Any] = {
        "tuning": plan.as_dict(),
        "training": train_plan.as_dict(),
        "validation_not_used": validation_plan.as_dict(),
        "risk_model": risk,
        "fit": config.as_dict(),
        "candidates": [
            {"mix": c.mix, "outage_event_cost_usd": c.outage_event_cost_usd, **j, **{"model": fits[c.label]}}
            for c, j in judged
        ],
        "collections": collections,
        "selection": SELECTION,
        "chosen": {"mix": chosen.mix, "outage_event_cost_usd": chosen.outage_event_cost_usd},
        "plan": {"mix": in_plan.mix, "outage_event_cost_usd": in_plan.outage_event_cost_usd},
        "plan_agrees": chosen == in_plan,
        "seconds": {
            "collect_and_fit": round(fitted_at - began, 1),
            "tuning_runs": round(time.perf_counter() - fitted_at, 1),
            "total": round(time.perf_counter() - began, 1),
        },
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return document


def mix_of(plan: SimPlan, smoke: bool) -> str:
    """The name of ``plan``'s exploration mix (``training.rl.plans.exploration_mixes``)."""
    for name, epsilons in exploration_mixes(smoke).items():
        if epsilons == plan.epsilons:
            return name
    raise ValueError(f"the plan's ε {plan.epsilons} is not one of the named exploration mixes")


def table(document: dict[str, Any]) -> str:
    lines = [
        "| mix | outage-event cost (USD) | per seed: rl improvement % (rules) / rl outage Δ | promote | worst Δ |",
        "|---|---|---|---|---|",
    ]
    for c in document["candidates"]:
        cells = ", ".join(
            f"{r['seed']}: {r['rl_improvement_pct']:+.1f} ({r['rules_improvement_pct']:+.1f}) / "
            f"{r['rl_outage_delta']:+d}"
            for r in c["per_seed"]
        )
        lines.append(
            f"| {c['mix']} | {c['outage_event_cost_usd']:g} | {cells} | {c['promote']} | "
            f"{c['worst_outage_delta']:+d} |"
        )
    chosen, plan = document["chosen"], document["plan"]
    lines.append(
        f"\nchosen: {chosen['mix']}/{chosen['outage_event_cost_usd']:g} USD per outage event "
        f"(plans.py has {plan['mix']}/{plan['outage_event_cost_usd']:g}: "
        f"{'agrees' if document['plan_agrees'] else 'UPDATE plans.py'})"
    )
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="where to write the tuning JSON")
    parser.add_argument("--smoke", action="store_true", help="tiny plans (demo, 12 h), for CI")
    parser.add_argument("--costs", type=float, nargs="+", help="outage-event prices to try (USD)")
    parser.add_argument(
        "--mixes",
        nargs="+",
        choices=sorted(EXPLORATION_MIXES),
        help="exploration mixes (default: all)",
    )
    parser.add_argument("--models-dir", type=Path, help="risk model bundle to decide with (default: models/)")
    parser.add_argument("--workers", type=int, help="simulation worker processes (default 2, 1 with --smoke)")
    parser.add_argument("--keep", type=Path, help="keep the candidate ONNX models in this directory")


def run_cli(args: argparse.Namespace) -> int:
    document = tune(
        args.out,
        smoke=args.smoke,
        costs=tuple(args.costs) if args.costs else None,
        mixes=tuple(args.mixes) if args.mixes else None,
        models_dir=args.models_dir,
        workers=args.workers,
        keep=args.keep,
    )
    sys.stdout.write(table(document))
    print(f"wrote {args.out} in {document['seconds']['total']} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.rl.tune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
