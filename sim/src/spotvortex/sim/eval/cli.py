"""``spotvortex eval``: compare policies on one scenario and market over seeds, in virtual time.

Writes ``DIR/result.json``, ``DIR/result.md`` and PNG charts; exits 1 when a SpotVortex policy fails the
gate (median net-profit improvement over spot-first below ``--gate-improvement``, or more outages than
spot-first on any seed), 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spotvortex.sim.scenario import ScenarioError, load_scenario
from spotvortex.sim.scenario.durations import seconds

from .northstar import Gate, north_star
from .report import markdown, result_document, write_charts, write_json
from .runs import BASELINE, RunResult, RunSpec, check_policy, run


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "eval",
        help="compare policies on a scenario and a market, over seeds (the north star)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", default="demo", help="a shipped scenario name or a YAML file")
    parser.add_argument("--prices", type=Path, help="spot price history CSV (default: the scenario's market)")
    parser.add_argument("--ondemand", type=Path, help="on-demand price table CSV (with --prices)")
    parser.add_argument("--availability", type=Path, help="availability traces CSV (with --prices)")
    parser.add_argument("--advisor", type=Path, help="Spot Advisor bands JSON (with --prices)")
    parser.add_argument(
        "--capacity",
        choices=["hazard", "traces", "none"],
        help="capacity process: the calibrated hazard model, the availability traces, or none (default: scenario's)",
    )
    parser.add_argument(
        "--hazard-rate", type=float, help="multiply the hazard model's loss rates (default: scenario's)"
    )
    parser.add_argument("--start", type=datetime.fromisoformat, help="window start (ISO 8601, with a zone)")
    parser.add_argument("--end", type=datetime.fromisoformat, help="window end (ISO 8601, with a zone)")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (1 … N)")
    parser.add_argument(
        "--policies", default="spot-first,on-demand,static-0.5,spotvortex", help="comma-separated policies"
    )
    parser.add_argument("--cadence", type=float, default=600.0, help="decision cadence in simulated seconds")
    parser.add_argument("--out", type=Path, default=Path("eval-out"), help="output directory")
    parser.add_argument("--workers", type=int, default=2, help="parallel worker processes")
    parser.add_argument("--gate-improvement", type=float, default=2.0, help="median improvement %% to pass")
    parser.add_argument(
        "--gate-outage-delta", type=int, default=0, help="most extra outages allowed per seed"
    )
    parser.add_argument("--no-charts", action="store_true")
    parser.add_argument(
        "--via-bus",
        action="store_true",
        help="run the spotvortex policy through the real swarm (nats-server, five services, the API emulator over "
        "HTTP) on a scaled clock; slow, for short windows",
    )
    parser.add_argument(
        "--speed", type=float, default=120.0, help="world seconds per wall second with --via-bus"
    )
    parser.set_defaults(handler=main)


def _files(args: argparse.Namespace) -> tuple[str, str, str, str] | None:
    if args.prices is None:
        if args.ondemand or args.availability or args.advisor:
            raise ValueError("--ondemand, --availability and --advisor go with --prices")
        return None
    from spotvortex.sim.market.sources import default_market_files

    fallback = default_market_files(prefer_real=True)
    chosen = (args.prices, args.ondemand or fallback.on_demand, args.availability or fallback.availability,
              args.advisor or fallback.advisor)  # fmt: skip
    for path in chosen:
        if not Path(path).is_file():
            raise ValueError(f"{path}: no such file")
    return tuple(str(p) for p in chosen)  # type: ignore[return-value]


def main(args: argparse.Namespace) -> int:
    try:
        policies = list(dict.fromkeys(check_policy(p.strip()) for p in args.policies.split(",") if p.strip()))
        if BASELINE not in policies:
            policies.insert(0, BASELINE)
        if args.seeds < 1:
            raise ValueError("--seeds must be at least 1")
        if args.hazard_rate is not None and args.hazard_rate < 0:
            raise ValueError("--hazard-rate must not be negative")
        if args.via_bus and [p for p in policies if p.startswith("spotvortex") and p != "spotvortex"]:
            raise ValueError(
                "--via-bus runs the services as deployed: of the SpotVortex policies, only spotvortex"
            )
        if args.speed <= 0:
            raise ValueError("--speed must be positive")
        if args.cadence <= 0:
            raise ValueError("--cadence must be a positive number of simulated seconds")
        if args.out.exists() and not args.out.is_dir():
            raise ValueError(f"{args.out}: exists and is not a directory")
        scenario = load_scenario(args.scenario)
        for when in (args.start, args.end):
            if when is not None and when.tzinfo is None:
                raise ValueError(
                    f"{when.isoformat()}: give times with a zone, e.g. 2021-03-01T00:00:00+00:00"
                )
        files = _files(args)
    except (ValueError, ScenarioError) as err:
        print(f"spotvortex eval: {err}", file=sys.stderr)
        return 2
    base_seed = scenario.seed
    seeds = [base_seed + i for i in range(args.seeds)]
    specs = [
        RunSpec(
            args.scenario,
            p,
            s,
            args.start,
            args.end,
            args.cadence,
            files,
            args.capacity,
            args.hazard_rate,
            via_bus=args.via_bus,
            speed=args.speed,
        )
        for p in policies
        for s in seeds
    ]
    started = time.perf_counter()
    results: list[RunResult] = []
    try:
        with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
            futures = {pool.submit(run, spec): spec for spec in specs}
            for i, future in enumerate(as_completed(futures), 1):
                spec = futures[future]
                result = future.result()
                results.append(result)
                _progress(
                    i, len(specs), spec.key, result.metrics["wall_seconds"], time.perf_counter() - started
                )
    except (ValueError, ScenarioError) as err:
        print(f"\nspotvortex eval: {err}", file=sys.stderr)
        return 2
    start = args.start or scenario.start
    end = args.end or start + timedelta(seconds=seconds(scenario.duration))
    inputs = {
        "scenario": scenario.name,
        "market": "files" if files else scenario.market.data,
        "files": [Path(f).name for f in files] if files else None,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seeds": seeds,
        "policies": policies,
        "cadence_seconds": args.cadence,
        "transport": "bus" if args.via_bus else "in-process",
        "capacity": args.capacity or scenario.market.capacity,
        "hazard_rate": args.hazard_rate
        if args.hazard_rate is not None
        else scenario.market.hazard.rate_multiplier,
    }
    gate = Gate(args.gate_improvement, args.gate_outage_delta)
    star = north_star(results, gate)
    document = result_document(inputs, results, star)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "result.json", document)
    (args.out / "result.md").write_text(markdown(document))
    if not args.no_charts:
        write_charts(args.out, results)
    sys.stderr.write("\n")
    print(f"\n{markdown(document)}", end="")
    print(f"wrote {args.out}/result.json, result.md{'' if args.no_charts else ', timeline.png, cost_vs_outage.png'}"
          f" in {time.perf_counter() - started:.1f}s")  # fmt: skip
    failed = [p for p, e in star.items() if p.startswith("spotvortex") and not e["gate"]["passed"]]
    if failed:
        print(f"gate failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _progress(done: int, total: int, key: str, run_seconds: float, elapsed: float) -> None:
    width = 30
    filled = int(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total} runs  {elapsed:5.1f}s  last: {key} ({run_seconds:.1f}s)   ")
    sys.stderr.flush()
