"""Benchmark: ``spotvortex eval`` over 30 simulated days of the ``large`` scenario (24 pools), 5 seeds and
5 policies, with the worker processes the machine has (target: under 180 s).

It runs the command as a user would (a subprocess), so start-up, worker processes, the report and the
charts are all counted. Writes ``benchmarks/results/<name>.json`` (default ``eval_month``); timing goals live here, not in tests.
Run: ``.venv/bin/python benchmarks/eval_month.py [--days 30] [--seeds 5] [--policies ...] [--workers N]
[--name NAME]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_SECONDS = 180.0
RESULTS = Path(__file__).resolve().parent / "results"
START = datetime(2021, 3, 1, tzinfo=UTC)
POLICIES = "spot-first,on-demand,static-0.5,upstream-rules,spotvortex"
SPOTVORTEX = Path(sys.executable).with_name("spotvortex")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--policies", default=POLICIES)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--name", default="eval_month", help="results file name (without .json)")
    args = parser.parse_args()
    end = START + timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as out:
        command = [
            str(SPOTVORTEX),
            "eval",
            "--scenario",
            args.scenario,
            "--start",
            START.isoformat(),
            "--end",
            end.isoformat(),
            "--seeds",
            str(args.seeds),
            "--policies",
            args.policies,
            "--workers",
            str(args.workers),
            "--out",
            out,
        ]
        started = time.perf_counter()
        finished = subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        if finished.returncode not in (0, 1):  # 1: the gate failed, which is a finding, not an error
            raise SystemExit(f"spotvortex eval exited {finished.returncode}")
        result = json.loads((Path(out) / "result.json").read_text())
    per_run = {
        f"{r['policy']}/seed-{r['seed']}": r["metrics"].get("simulated_days") for r in result.get("runs", [])
    }
    report = {
        "benchmark": "eval_month",
        "command": " ".join(["spotvortex", *command[1:-2]]),
        "scenario": args.scenario,
        "simulated_days": args.days,
        "seeds": args.seeds,
        "policies": args.policies.split(","),
        "runs": len(per_run),
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "target_seconds": TARGET_SECONDS,
        "within_target": wall < TARGET_SECONDS,
        "gate_passed": finished.returncode == 0,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
