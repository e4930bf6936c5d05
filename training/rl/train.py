"""Training the rl q-value policy in the simulator: collect transitions, fit a q-network, export it to ONNX.

    .venv/bin/python -m training.rl train --out /tmp/rl_policy.onnx          # full: large, 4 seeds × 7 days
    .venv/bin/python -m training.rl train --out /tmp/rl_smoke.onnx --smoke  # CI: demo, 2 seeds × 12 h

1. **Collect** (``training.rl.collect``): the behaviour policy ``spotvortex-explore`` (the deterministic rules,
   each decision replaced by a uniformly random action with probability ε, seeded from the run seed) runs
   through the evaluation's in-process swarm on the training plan (``training.rl.plans``); every pool decision
   is logged with its rl state (spec 1, as ``decide_batch`` built it; its capacity and runtime scores come from
   the risk model of the bundle in ``models_dir``, by default the repository's ``models/``), the proposed action
   and the reward over the interval to the pool's next decision (``spotvortex.sim.eval.transitions``), priced
   by the plan's ``REWARD`` (compute + outage penalty + evicted pods + outage events).
2. **Fit** (``training.rl.fqi``): fitted-Q iteration, γ per 600 simulated seconds, fixed torch seeds,
   deterministic algorithms, one thread.
3. **Export** (``training.rl.export``): one ONNX file with the ``spotvortex`` metadata ``QModel`` checks and a
   ``training`` summary; the file is then loaded through ``QModel`` and compared with the torch network.

The reward's outage-event price was chosen by ``python -m training.rl tune`` on the tuning plan (other seeds,
another week) and is fixed in ``training.rl.plans``; validation is a separate step on other seeds and another
week again: ``python -m training.rl compare``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spotvortex.inference.models import default_models_dir
from spotvortex.inference.rl import N_ACTIONS, N_STATE
from spotvortex.sim.eval.proposers import policy_models, rl_model_file
from training.rl.collect import STEP_SECONDS, Dataset, collect
from training.rl.plans import Reward, SimPlan, plans, reward

if TYPE_CHECKING:
    from training.rl.fqi import FitConfig

BEHAVIOUR = "spotvortex-explore: the deterministic rules, each decision replaced by a uniformly random action with probability epsilon"


def risk_model(models_dir: Path | None) -> dict[str, str]:
    """The risk model the simulated decisions (and so the rl states' capacity and runtime scores) come from:
    the verified bundle of ``models_dir``, by default the repository's ``models/``."""
    models = policy_models(models_dir)
    return {"name": models.risk.name, "version": models.risk.version, "kind": models.risk.kind}


def training_summary(
    train_plan: SimPlan,
    validation_plan: SimPlan,
    prices: Reward,
    config: FitConfig,
    data: Dataset,
    risk: dict[str, str],
    *,
    smoke: bool,
) -> dict[str, Any]:
    """The ``training`` description the ONNX metadata carries."""
    return {
        "algorithm": "fitted-Q iteration",
        "scenarios": [train_plan.scenario],
        "seeds": list(train_plan.seeds),
        "window": {"start": train_plan.start.isoformat(), "end": train_plan.end.isoformat()},
        "epsilon_per_seed": dict(zip(map(str, train_plan.seeds), train_plan.epsilons, strict=True)),
        "cadence_seconds": train_plan.cadence_seconds,
        "behaviour_policy": BEHAVIOUR,
        "reward": prices.describe(),
        "outage_event_cost_usd": prices.outage_event_cost_usd,
        "eviction_cost_usd": prices.eviction_cost_usd,
        "risk_model": risk,
        "rows": data.rows,
        "discount": {"gamma": config.gamma, "per_simulated_seconds": STEP_SECONDS},
        "iterations": config.iterations,
        "epochs": config.epochs,
        "fit": config.as_dict(),
        "validation": validation_plan.as_dict(),
        "smoke": smoke,
    }


def fit_and_export(
    data: Dataset, config: FitConfig, training: dict[str, Any], out_path: Path
) -> dict[str, Any]:
    """Fit the q-network on ``data``, write it as ONNX to ``out_path``, load it back through ``QModel`` and
    check it against the torch network; what was written and how the fit went."""
    import torch  # training only: the services and the simulator never import torch

    from training.rl.export import metadata, onnx_bytes
    from training.rl.fqi import fit_q

    began = time.perf_counter()
    net, fit = fit_q(data, config)
    network = {"layers": [N_STATE, config.hidden, config.hidden, N_ACTIONS], "activation": "relu"}
    blob = onnx_bytes(net, metadata(training, network))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(blob)

    model = rl_model_file(out_path)  # loads through QModel: io, dynamic batch, state spec
    probe = data.states[:4096]
    with torch.no_grad():
        expected = net(torch.from_numpy(probe)).numpy().astype(np.float64)
    difference = float(np.max(np.abs(model.q_values(probe) - expected))) if len(probe) else 0.0
    return {
        "out": str(out_path),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "kind": metadata({}, {})["kind"],
        "fit": fit,
        "onnx_vs_torch_max_abs_diff_usd": round(difference, 8),
        "fit_seconds": round(time.perf_counter() - began, 1),
    }


def train_rl(
    out_path: Path,
    *,
    smoke: bool = False,
    models_dir: Path | None = None,
    workers: int | None = None,
    prices: Reward | None = None,
) -> dict[str, Any]:
    """Collect, fit and export; writes the ONNX file to ``out_path`` and returns a JSON-ready summary.

    ``prices`` overrides the plan's reward (``training.rl.plans.REWARD``, whose outage-event price
    ``python -m training.rl tune`` chose); ``models_dir`` is the bundle whose risk model the simulated
    decisions use (default: the repository's ``models/``)."""
    began = time.perf_counter()
    train_plan, validation_plan = plans(smoke)
    prices = prices or reward(smoke)
    models_dir = models_dir or default_models_dir()
    risk = risk_model(models_dir)
    data, collected = collect(
        train_plan, prices, models_dir=models_dir, workers=workers or (1 if smoke else 2)
    )
    collected_at = time.perf_counter()

    from training.rl.fqi import FULL, SMOKE

    config = SMOKE if smoke else FULL
    training = training_summary(train_plan, validation_plan, prices, config, data, risk, smoke=smoke)
    exported = fit_and_export(data, config, training, out_path)
    seconds = exported.pop("fit_seconds")
    return {
        **exported,
        "training": training,
        "collection": collected,
        "seconds": {
            "collect": round(collected_at - began, 1),
            "fit": seconds,
            "total": round(time.perf_counter() - began, 1),
        },
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="where to write the ONNX q-model")
    parser.add_argument("--smoke", action="store_true", help="tiny plan (demo, 12 h) and fit, for CI")
    parser.add_argument("--models-dir", type=Path, help="risk model bundle to decide with (default: models/)")
    parser.add_argument("--workers", type=int, help="simulation worker processes (default 2, 1 with --smoke)")
    parser.add_argument("--summary", type=Path, help="also write the summary JSON here")
    parser.add_argument(
        "--outage-event-cost",
        type=float,
        help="USD per outage event in the reward (default: the plan's, chosen by `tune`)",
    )


def run_cli(args: argparse.Namespace) -> int:
    prices = None if args.outage_event_cost is None else Reward(outage_event_cost_usd=args.outage_event_cost)
    summary = train_rl(
        args.out, smoke=args.smoke, models_dir=args.models_dir, workers=args.workers, prices=prices
    )
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    if args.summary:
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(text)
    sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.rl.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
