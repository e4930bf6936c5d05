"""Validation: the trained q-model (``spotvortex-rl``) against the deterministic rules (``spotvortex``) on seeds
and a week the training never saw, both measured against ``spot-first`` as ``spotvortex eval`` measures them.

    .venv/bin/python -m training.rl.validate --model /tmp/rl_policy.onnx --out /tmp/rl_compare.json [--smoke]

Per seed: ``net_profit_improvement_pct`` and ``outage_delta`` of each policy against spot-first (the north star
of ``spotvortex.sim.eval.northstar``), and whether rl beats the rules. The promotion rule: rl becomes the default
only if it beats the rules' improvement on **every** seed with ``outage_delta ≤ 0`` on every seed. Shadow
agreement is the share of decisions where the q-model's argmax is the rules' action, over the validation runs
of each policy (the deterministic run carries the trained q-model in its shadow). No torch is needed here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from spotvortex.sim.eval.northstar import Gate, north_star
from spotvortex.sim.eval.runs import BASELINE, RunResult, RunSpec
from training.rl.collect import run_all
from training.rl.plans import SimPlan, plans

POLICIES = ("spotvortex", "spotvortex-rl")
RULE = (
    "promote rl to the default only if, on every validation seed, its net_profit_improvement_pct vs spot-first "
    "is above the deterministic policy's and its outage_delta vs spot-first is <= 0"
)


def validation_specs(plan: SimPlan, model: Path, models_dir: Path | None = None) -> list[RunSpec]:
    specs = []
    for seed in plan.seeds:
        specs.append(RunSpec(plan.scenario, BASELINE, seed, plan.start, plan.end, plan.cadence_seconds))
        specs.extend(
            RunSpec(
                plan.scenario,
                policy,
                seed,
                plan.start,
                plan.end,
                plan.cadence_seconds,
                models_dir=str(models_dir) if models_dir else None,
                rl_model=str(model),
                log_transitions=True,
            )
            for policy in POLICIES
        )
    return specs


def _agreement(results: list[RunResult]) -> dict[str, Any]:
    judged = agreed = 0
    for r in results:
        for t in r.transitions.transitions if r.transitions else []:
            if t.rl_action is not None:
                judged += 1
                agreed += t.rl_action == t.rules_action
    return {"decisions": judged, "share": round(agreed / judged, 4) if judged else None}


def comparison(plan: SimPlan, model: Path, results: list[RunResult]) -> dict[str, Any]:
    """The comparison document from the validation runs."""
    star = north_star(results, Gate())
    by = {(r.policy, r.seed): r for r in results}
    rows = []
    for seed in plan.seeds:
        row: dict[str, Any] = {"seed": seed, BASELINE: _metrics(by[(BASELINE, seed)])}
        for policy in POLICIES:
            r = by[(policy, seed)]
            row[policy] = {
                "net_profit_improvement_pct": star[policy]["net_profit_improvement_pct"]["per_seed"][
                    str(seed)
                ],
                "outage_delta": star[policy]["outage_delta"]["per_seed"][str(seed)],
                **_metrics(r),
                "shadow_agreement": round(a, 4)
                if r.transitions and (a := r.transitions.shadow_agreement) is not None
                else None,
            }
        rl, rules = row["spotvortex-rl"], row["spotvortex"]
        row["rl_beats_deterministic"] = rl["net_profit_improvement_pct"] > rules["net_profit_improvement_pct"]
        row["rl_outage_delta_le_0"] = rl["outage_delta"] <= 0
        rows.append(row)
    beats = all(r["rl_beats_deterministic"] for r in rows)
    safe = all(r["rl_outage_delta_le_0"] for r in rows)
    return {
        "model": str(model),
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "validation": plan.as_dict(),
        "per_seed": rows,
        "median_net_profit_improvement_pct": {
            p: star[p]["net_profit_improvement_pct"]["median"] for p in POLICIES
        },
        "shadow_agreement": {
            "definition": "share of pool decisions where the q-model's argmax equals the rules' action",
            **{p: _agreement([r for r in results if r.policy == p]) for p in POLICIES},
        },
        "promotion": {
            "rule": RULE,
            "rl_beats_deterministic_on_every_seed": beats,
            "rl_outage_delta_le_0_on_every_seed": safe,
            "promote": beats and safe,
        },
    }


def _metrics(r: RunResult) -> dict[str, float]:
    keys = (
        "net_cost",
        "compute_cost",
        "outage_penalty",
        "outage_events",
        "spot_residency",
        "migrations",
        "drains",
    )
    return {k: r.metrics[k] for k in keys}


def compare(
    model: Path,
    out: Path | None = None,
    *,
    smoke: bool = False,
    models_dir: Path | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run the validation plan (spot-first, spotvortex, spotvortex-rl with ``model``) and compare; writes the
    document to ``out`` when given."""
    began = time.perf_counter()
    _, plan = plans(smoke)
    results = run_all(validation_specs(plan, model, models_dir), workers or (1 if smoke else 2))
    document = comparison(plan, model, results)
    document["seconds"] = round(time.perf_counter() - began, 1)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return document


def table(document: dict[str, Any]) -> str:
    lines = [
        "| seed | spotvortex improvement % | outage Δ | spotvortex-rl improvement % | outage Δ | rl beats | shadow agreement (rules run) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in document["per_seed"]:
        d, rl = r["spotvortex"], r["spotvortex-rl"]
        lines.append(
            f"| {r['seed']} | {d['net_profit_improvement_pct']:+.2f} | {d['outage_delta']:+d} | "
            f"{rl['net_profit_improvement_pct']:+.2f} | {rl['outage_delta']:+d} | {r['rl_beats_deterministic']} | "
            f"{d['shadow_agreement']} |"
        )
    p = document["promotion"]
    lines.append(f"\npromote rl: {p['promote']} ({p['rule']})")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="the trained ONNX q-model")
    parser.add_argument("--out", type=Path, required=True, help="where to write the comparison JSON")
    parser.add_argument("--smoke", action="store_true", help="tiny validation plan (demo, 12 h), for CI")
    parser.add_argument("--models-dir", type=Path, help="risk model bundle to decide with (default: models/)")
    parser.add_argument("--workers", type=int, help="simulation worker processes (default 2, 1 with --smoke)")


def run_cli(args: argparse.Namespace) -> int:
    document = compare(
        args.model, args.out, smoke=args.smoke, models_dir=args.models_dir, workers=args.workers
    )
    sys.stdout.write(table(document))
    print(f"wrote {args.out} in {document['seconds']} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.rl.validate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
