"""Benchmark: inference model load time, artifact sizes and per-batch latency at batch 1 and 256.

Targets (issue 8's runtime contract), reported as booleans: artifacts under 5 MB, load under 200 ms, one risk
call plus one q call for 256 pools under 2 ms.

Measures, with the shipped models: verifying and loading the bundle (manifest, SHA-256 of every artifact,
onnxruntime sessions, self-checks); one risk-model call and one q-model call per batch; and the whole core
(``decide_batch``: features, both model calls, the rules, building the events) per batch. Writes
``benchmarks/results/inference_batch.json``; timing goals live here, not in the test suite.
Run: ``.venv/bin/python benchmarks/inference_batch.py [--repeats 2000] [--loads 20]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import onnxruntime

from spotvortex.contracts import (
    MarketSeries,
    NodeCounts,
    PoolTelemetry,
    PricePoint,
    Provisioner,
    Utilisation,
    WorkloadProfile,
)
from spotvortex.contracts.risk_window import STEPS
from spotvortex.inference import RuntimeConfig, compile_params, decide_batch, load_models
from spotvortex.inference.features import N_FEATURES
from spotvortex.inference.risk import RiskModel
from spotvortex.inference.rl import N_STATE

RESULTS = Path(__file__).resolve().parent / "results" / "inference_batch.json"
BATCHES = (1, 256)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def snapshot(i: int) -> PoolTelemetry:
    """A varied pool: prices, spot share and a few risk signals differ from pool to pool."""
    rng = np.random.default_rng(i)
    od = 0.096
    spot = float(od * rng.uniform(0.25, 0.6))
    history = [
        PricePoint(time=NOW - timedelta(minutes=m), spot_price=float(od * rng.uniform(0.25, 0.6)))
        for m in (240, 45, 10)
    ]
    return PoolTelemetry(
        cluster="bench",
        pool=f"pool-{i}",
        time=NOW - timedelta(seconds=5),
        provisioner=Provisioner.KARPENTER,
        nodes=NodeCounts(spot=6, on_demand=4),
        current_spot_ratio=float(rng.uniform(0, 1)),
        instance_types=["m5.large"],
        zones=["us-east-1a", "us-east-1b"],
        dominant_instance_type="m5.large",
        utilisation=Utilisation(cpu_requested_cores=float(rng.uniform(3, 9)), cpu_allocatable_cores=10),
        workload=WorkloadProfile(
            pod_startup_p95_seconds=float(rng.uniform(5, 200)), outage_penalty_hours=2.0
        ),
        market=[
            MarketSeries(
                instance_type="m5.large",
                zone=zone,
                on_demand_price=od,
                spot_price=spot,
                prices=history,
                rebalances_1h=int(rng.random() < 0.1),
                advisor_band=1,
            )
            for zone in ("us-east-1a", "us-east-1b")
        ],
    )


def timed(call: Callable[[], object], repeats: int, warmup: int = 200) -> dict[str, float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {
        "p50_us": round(statistics.median(samples) * 1e6, 1),
        "p99_us": round(samples[int(0.99 * (len(samples) - 1))] * 1e6, 1),
        "mean_us": round(statistics.fmean(samples) * 1e6, 1),
        "calls": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2000, help="timed calls per measurement at batch 1")
    parser.add_argument("--loads", type=int, default=20, help="timed model loads")
    args = parser.parse_args()

    load_times = []
    for _ in range(args.loads):
        started = time.perf_counter()
        models = load_models()
        load_times.append(time.perf_counter() - started)
    params = compile_params(RuntimeConfig())
    assert models.rl is not None
    risk = models.risk
    assert isinstance(risk, RiskModel)

    batches = []
    for size in BATCHES:
        repeats = args.repeats if size == 1 else max(50, args.repeats // 4)
        rng = np.random.default_rng(size)
        features = rng.random((size, STEPS, N_FEATURES), dtype=np.float32)
        states = rng.random((size, N_STATE), dtype=np.float32)
        snapshots = [snapshot(i) for i in range(size)]
        core = timed(lambda s=snapshots: decide_batch(s, NOW, params, models), repeats, warmup=20)
        batches.append(
            {
                "batch": size,
                "risk_model_call": timed(lambda f=features, r=risk: r.raw_scores(f), repeats),
                "risk_assess_with_confidence_and_top_inputs": timed(
                    lambda f=features: models.risk.assess(f), repeats
                ),
                "q_model_call": timed(lambda s=states, rl=models.rl: rl.q_values(s), repeats),
                "decide_batch": core,
                "decide_batch_per_pool_us": round(core["p50_us"] / size, 2),
            }
        )
        print(json.dumps(batches[-1]), flush=True)

    sizes = {
        p.name: p.stat().st_size for p in sorted(models.directory.iterdir()) if p.suffix in {".onnx", ".data"}
    }
    at_256 = next(b for b in batches if b["batch"] == 256)
    targets = {
        "artifacts_under_5_mb": sum(sizes.values()) < 5 * 1024 * 1024,
        "load_under_200_ms": statistics.median(load_times) < 0.2,
        "risk_and_q_call_at_256_under_2_ms": (
            at_256["risk_model_call"]["p50_us"] + at_256["q_model_call"]["p50_us"] < 2000
        ),
    }
    report = {
        "benchmark": "inference_batch",
        "artifact_bytes": sizes,
        "targets": targets,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "machine": platform.machine(),
        "session": "CPUExecutionProvider, intra_op_num_threads=1, inter_op_num_threads=1, ORT_SEQUENTIAL",
        "models": {"risk": models.risk.version, "rl": models.rl.version},
        "load_ms": {
            "what": "manifest + sha256 of every artifact + onnxruntime sessions + self-checks",
            "p50": round(statistics.median(load_times) * 1e3, 2),
            "max": round(max(load_times) * 1e3, 2),
            "loads": args.loads,
        },
        "batches": batches,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
