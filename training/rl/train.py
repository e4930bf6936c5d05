"""Training the rl q-value policy in the simulator: collect transitions, fit a q-network, export it to ONNX.

    .venv/bin/python -m training.rl train --out /tmp/rl_policy.onnx          # full: large, 4 seeds × 7 days
    .venv/bin/python -m training.rl train --out /tmp/rl_smoke.onnx --smoke  # CI: demo, 2 seeds × 12 h

1. **Collect** (``training.rl.collect``): the behaviour policy ``spotvortex-explore`` (the deterministic rules,
   each decision replaced by a uniformly random action with probability ε, seeded from the run seed) runs
   through the evaluation's in-process swarm on the training plan (``training.rl.plans``); every pool decision
   is logged with its rl state (spec 1, as ``decide_batch`` built it), the proposed action and the reward over
   the interval to the pool's next decision (``spotvortex.sim.eval.transitions``).
2. **Fit** (``training.rl.fqi``): fitted-Q iteration, γ per 600 simulated seconds, fixed torch seeds,
   deterministic algorithms, one thread.
3. **Export** (``training.rl.export``): one ONNX file with the ``spotvortex`` metadata ``QModel`` checks and a
   ``training`` summary; the file is then loaded through ``QModel`` and compared with the torch network.

Validation is a separate step on other seeds and another week: ``python -m training.rl compare``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from spotvortex.inference.rl import N_ACTIONS, N_STATE
from spotvortex.sim.eval.attribution import EVICTION_COST_USD
from spotvortex.sim.eval.proposers import rl_model_file
from training.rl.collect import STEP_SECONDS, collect
from training.rl.plans import plans

REWARD = (
    "-(compute cost of the pool's nodes + outage penalty of the pool's workloads + "
    f"{EVICTION_COST_USD:.2f} USD per pod the pool's drains evicted), USD, over the interval from the decision "
    "to the pool's next decision"
)
BEHAVIOUR = "spotvortex-explore: the deterministic rules, each decision replaced by a uniformly random action with probability epsilon"


def train_rl(
    out_path: Path, *, smoke: bool = False, models_dir: Path | None = None, workers: int | None = None
) -> dict[str, Any]:
    """Collect, fit and export; writes the ONNX file to ``out_path`` and returns a JSON-ready summary."""
    began = time.perf_counter()
    train_plan, validation_plan = plans(smoke)
    data, collected = collect(train_plan, models_dir=models_dir, workers=workers or (1 if smoke else 2))
    collected_at = time.perf_counter()

    import torch  # training only: the services and the simulator never import torch

    from training.rl.export import metadata, onnx_bytes
    from training.rl.fqi import FULL, SMOKE, fit_q

    config = SMOKE if smoke else FULL
    net, fit = fit_q(data, config)
    fitted_at = time.perf_counter()
    training = {
        "algorithm": "fitted-Q iteration",
        "scenarios": [train_plan.scenario],
        "seeds": list(train_plan.seeds),
        "window": {"start": train_plan.start.isoformat(), "end": train_plan.end.isoformat()},
        "epsilon_per_seed": dict(zip(map(str, train_plan.seeds), train_plan.epsilons, strict=True)),
        "cadence_seconds": train_plan.cadence_seconds,
        "behaviour_policy": BEHAVIOUR,
        "reward": REWARD,
        "rows": data.rows,
        "discount": {"gamma": config.gamma, "per_simulated_seconds": STEP_SECONDS},
        "iterations": config.iterations,
        "epochs": config.epochs,
        "fit": config.as_dict(),
        "validation": validation_plan.as_dict(),
        "smoke": smoke,
    }
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
        "training": training,
        "collection": collected,
        "fit": fit,
        "onnx_vs_torch_max_abs_diff_usd": round(difference, 8),
        "seconds": {
            "collect": round(collected_at - began, 1),
            "fit": round(fitted_at - collected_at, 1),
            "total": round(time.perf_counter() - began, 1),
        },
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="where to write the ONNX q-model")
    parser.add_argument("--smoke", action="store_true", help="tiny plan (demo, 12 h) and fit, for CI")
    parser.add_argument("--models-dir", type=Path, help="risk model bundle to decide with (default: models/)")
    parser.add_argument("--workers", type=int, help="simulation worker processes (default 2, 1 with --smoke)")
    parser.add_argument("--summary", type=Path, help="also write the summary JSON here")


def run_cli(args: argparse.Namespace) -> int:
    summary = train_rl(args.out, smoke=args.smoke, models_dir=args.models_dir, workers=args.workers)
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
