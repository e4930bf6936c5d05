"""Benchmark: a 30-simulated-day run of the ``large`` scenario in virtual time (target: under 60 s).

Writes ``benchmarks/results/sim_month.json``; timing goals live here, not in the test suite.
Run: ``.venv/bin/python benchmarks/sim_month.py [--scenario large] [--days 30] [--seeds 11 12 13]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spotvortex.sim.scenario import load_scenario
from spotvortex.sim.world.build import build

TARGET_SECONDS = 60.0
RESULTS = Path(__file__).resolve().parent / "results" / "sim_month.json"


def run_once(scenario_name: str, days: float, seed: int | None) -> dict[str, object]:
    scenario = load_scenario(scenario_name)
    started = time.perf_counter()
    cluster = build(scenario, seed=seed, duration=timedelta(days=days))
    built = time.perf_counter()
    cluster.run_until(cluster.world.now + timedelta(days=days))
    finished = time.perf_counter()
    costs = cluster.ledger.costs()
    counts = cluster.world.journal.counts
    return {
        "seed": cluster.world.seed,
        "wall_seconds": round(finished - started, 3),
        "build_seconds": round(built - started, 3),
        "run_seconds": round(finished - built, 3),
        "nodes_at_start": counts["warm"] and cluster.world.journal.of_kind("warm")[0]["nodes"],
        "pods": len(cluster.world.state.pods),
        "nodepools": len(cluster.world.store.list("nodepools")),
        "instances_launched": len(cluster.fleet.history),
        "interruptions": costs.interruptions,
        "outage_events": costs.outage_events,
        "journal_entries": len(cluster.world.journal.entries),
        "within_target": finished - started < TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, nargs="*", default=[])
    args = parser.parse_args()
    runs = []
    for seed in args.seeds or [None]:
        result = run_once(args.scenario, args.days, seed)
        print(json.dumps(result), flush=True)
        runs.append(result)
    report = {
        "benchmark": "sim_month",
        "scenario": args.scenario,
        "simulated_days": args.days,
        "target_seconds": TARGET_SECONDS,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": runs,
        "all_within_target": all(bool(r["within_target"]) for r in runs),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
