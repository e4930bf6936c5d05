"""``make train``: rebuild the shipped bundle from the data, then its manifest and the model report.

``python -m training.build [--out models] [--smoke] [--no-report]``. Seeds are fixed, torch runs single-threaded
and deterministic, so rerunning gives the same models on the same machine. ``--smoke`` trains tiny versions on
the shipped fixtures (the CI check that the training code works) and never touches ``models/``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from spotvortex.sim.market.sources import default_market_files, fixture_files
from training.manifest import fingerprint, manifest, write_manifest
from training.risk.train import train_risk
from training.rl_stage import provisional, train_policy

ROOT = Path(__file__).resolve().parents[1]


def risk_description(result: dict[str, Any]) -> str:
    v = result["validation"][result["kind"]]
    return (
        f"{result['kind']} over feature spec 2 windows, trained by training/risk on "
        f"{result['training']['data']['availability']} (split by time and zone; validation zones "
        f"{', '.join(result['validation_zones'])}). Validation ROC-AUC capacity {v['capacity']['roc_auc']}, "
        f"runtime {v['runtime']['roc_auc']}; Brier {v['capacity']['brier']} / {v['runtime']['brier']}."
    )


def build(out: Path, *, smoke: bool = False, report: bool = True) -> dict[str, Any]:
    began = time.monotonic()
    files = fixture_files() if smoke else default_market_files()
    risk = train_risk(out, smoke=smoke, files=files)
    risk["description"] = risk_description(risk)
    data = fingerprint([files.availability, files.spot_prices, files.on_demand, files.advisor])
    write_manifest(out, manifest(out, risk, provisional(out), data))  # the simulator decides with this bundle
    rl = train_policy(out, smoke=smoke)
    document = manifest(out, risk, rl, data)
    write_manifest(out, document)
    if report and not smoke:
        from training.report import write_report

        write_report(ROOT, risk, rl, document)
    seconds = round(time.monotonic() - began, 1)
    print(f"train: bundle in {out} ({seconds} s)")
    return {
        "risk": risk["kind"],
        "rl": rl["kind"],
        "default_policy": rl["default_policy"],
        "seconds": seconds,
        "manifest": document,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke and args.out.resolve() == (ROOT / "models").resolve():
        parser.error("--smoke never writes the shipped models: pass --out DIR")
    result = build(args.out, smoke=args.smoke, report=not args.no_report)
    print(json.dumps({k: v for k, v in result.items() if k != "manifest"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
