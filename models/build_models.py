"""Build the shipped models and their manifest: ``.venv/bin/python models/build_models.py [--out DIR] [--check]``.

Two small ONNX models, built with ``onnx.helper`` (no torch), and ``MODEL_MANIFEST.json`` with the SHA-256 of
each file. Both are honest placeholders that a later, properly trained model replaces:

- ``risk_model.onnx`` (``logistic-placeholder``): two logistic regressions over feature spec 1
  (``spotvortex.inference.features``), fitted here with numpy on labels derived from the shipped market fixtures
  (``spotvortex.sim.market``): synthetic spot prices of six instance types in three zones over 31 days, and the
  fixture availability traces mapped onto those markets by the simulator's trace-driven capacity model (with
  its rebalance recommendations). Every 10 minutes of every market is one row; labels look one hour ahead:
  ``capacity_score`` = spot capacity is missing at some moment of the next hour, ``runtime_score`` = a
  capacity-loss episode (which reclaims running spot nodes) begins within the next hour. Coefficients of the
  features that can only signal more risk (prices up, interruptions, rebalances, losses, worse advisor band)
  are constrained to be ≥ 0, so a price spike or an interruption never lowers a score; the calendar features
  get no weight (the fixtures' ten days of availability traces cannot teach a real daily or weekly pattern).
- ``rl_policy.onnx`` (``piecewise-linear-q-placeholder``): a hand-written q-function over rl state spec 1
  (``spotvortex.inference.rl``) that encodes the economics: growth only with headroom under the cap, a saving
  above 25 %, low risk, low recovery risk and a cheap migration; risk and overshoot favour reduction, alarm-level
  risk an emergency exit. It is not trained by reinforcement learning.

The output is a pure function of this script and the fixtures: rerunning it rewrites the same bytes
(``--check`` rebuilds into a temporary folder and compares with the committed files).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from spotvortex.contracts import MarketSeries, NodeCounts, PoolTelemetry, PricePoint, Provisioner
from spotvortex.inference.features import (
    FEATURE_NAMES,
    FEATURE_SPEC_VERSION,
    FEATURES,
    N_FEATURES,
    telemetry_features,
)
from spotvortex.inference.manifest import MANIFEST_NAME, RISK, RL
from spotvortex.inference.rl import N_ACTIONS, RL_STATE_NAMES, RL_STATE_VERSION
from spotvortex.inference.session import METADATA_KEY
from spotvortex.sim.market.advisor import load_advisor
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.capacity import CapacityTimeline, from_traces
from spotvortex.sim.market.fixtures import DAYS, START
from spotvortex.sim.market.ondemand import load_on_demand
from spotvortex.sim.market.prices import PriceSeries, load_spot_prices
from spotvortex.sim.market.sources import fixture_files

HERE = Path(__file__).resolve().parent
SEED = 20260302
STEP = timedelta(minutes=10)
HORIZON = timedelta(hours=1)
LOOKBACK = timedelta(hours=1)
HOLDOUT_FROM_DAY = 24
CALENDAR = ("hour_sin", "hour_cos", "week_sin", "week_cos")
L2 = 1.0
OPSET = 17
IR_VERSION = 9
# The date this recipe last changed; a fixed value keeps the manifest a pure function of the recipe.
GENERATED_AT = "2026-03-02T00:00:00Z"
RISK_FILE = "risk_model.onnx"
RL_FILE = "rl_policy.onnx"
# General-purpose, compute- and memory-optimised families (the scope the earlier bundle declared). The risk
# features are price ratios and event counts, not instance identities, so they carry over between these.
FAMILIES = [
    "c5", "c5a", "c5ad", "c5d", "c5n", "c6a", "c6g", "c6gd", "c6gn", "c6i", "c6id", "c6in", "c7a", "c7g",
    "c7gd", "c7gn", "c7i", "c7i-flex", "m5", "m5a", "m5ad", "m5d", "m5dn", "m5n", "m5zn", "m6a", "m6g",
    "m6gd", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7g", "m7gd", "m7i", "m7i-flex", "r5", "r5a", "r5ad",
    "r5b", "r5d", "r5dn", "r5n", "r6a", "r6g", "r6gd", "r6i", "r6id", "r6idn", "r6in", "r7a", "r7g", "r7gd",
    "r7i", "r7iz", "t2", "t3", "t3a", "t4g",
]  # fmt: skip


# --------------------------------------------------------------------------------------------------- data set


def _window_prices(series: PriceSeries, at: datetime) -> tuple[float, list[PricePoint]]:
    """The price in force at ``at`` and the history a collector would send: the change in force an hour before,
    then every change since."""
    hi = bisect.bisect_right(series.times, at)
    lo = bisect.bisect_right(series.times, at - LOOKBACK)
    first = max(lo - 1, 0)
    points = [PricePoint(time=series.times[i], spot_price=series.prices[i]) for i in range(first, hi)]
    current = series.prices[hi - 1] if hi else series.prices[0]
    return current, points


def _count(times: list[datetime], start: datetime, end: datetime) -> int:
    """Events with ``start < time <= end``."""
    return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)


def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Feature rows, capacity labels, runtime labels, the row times (days from the start), and a description."""
    files = fixture_files()
    book = load_spot_prices(files.spot_prices)
    on_demand = load_on_demand(files.on_demand, book.region)
    advisor = load_advisor(files.advisor)
    traces = load_availability(files.availability)
    end = START + timedelta(days=DAYS)
    pools = sorted(book.series)
    timeline: CapacityTimeline = from_traces(pools, traces, START, end, seed=SEED)
    rows: list[list[float]] = []
    capacity: list[float] = []
    runtime: list[float] = []
    days: list[float] = []
    for itype, zone in pools:
        series = book.series[(itype, zone)]
        od = on_demand.price(itype)
        outages = timeline.outages.get((itype, zone), [])
        starts = [o.start for o in outages]
        rebalances = sorted(r.time for r in timeline.rebalances if (r.instance_type, r.zone) == (itype, zone))
        band = advisor.bands.get((book.region, itype))
        at = START + LOOKBACK
        while at + HORIZON <= end:
            spot, points = _window_prices(series, at)
            lost = _count(starts, at - LOOKBACK, at)
            market = MarketSeries(
                instance_type=itype,
                zone=zone,
                on_demand_price=od,
                spot_price=spot,
                prices=points,
                spot_available=timeline.available(itype, zone, at),
                interruptions_1h=lost,
                rebalances_1h=_count(rebalances, at - LOOKBACK, at),
                capacity_losses_1h=lost,
                advisor_band=band,
            )
            telemetry = PoolTelemetry(
                cluster="training",
                pool=f"{itype}-{zone}",
                time=at,
                provisioner=Provisioner.KARPENTER,
                nodes=NodeCounts(spot=1),
                current_spot_ratio=1.0,
                instance_types=[itype],
                zones=[zone],
                dominant_instance_type=itype,
                market=[market],
            )
            features = telemetry_features(telemetry)
            assert features is not None
            rows.append(features)
            capacity.append(float(any(o.start <= at + HORIZON and o.end > at for o in outages)))
            runtime.append(float(_count(starts, at, at + HORIZON) > 0))
            days.append((at - START).total_seconds() / 86400)
            at += STEP
    description = {
        "source": "shipped market fixtures (spotvortex/sim/fixtures, generated by spotvortex.sim.market.fixtures)",
        "markets": [f"{t}/{z}" for t, z in pools],
        "window": f"{START.isoformat()} + {DAYS} days",
        "capacity_process": f"spotvortex.sim.market.capacity.from_traces(fixture availability traces, seed={SEED})",
        "sampling": f"every {int(STEP.total_seconds() // 60)} minutes per market",
        "capacity_label": "spot capacity missing at some moment of the next hour",
        "runtime_label": "a capacity-loss episode begins within the next hour",
    }
    return (
        np.asarray(rows, dtype=np.float64),
        np.asarray(capacity),
        np.asarray(runtime),
        np.asarray(days),
        description,
    )


# --------------------------------------------------------------------------------------------------- fitting


def _newton(x: np.ndarray, y: np.ndarray, free: np.ndarray) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method over the ``free`` columns (intercept last, free)."""
    design = np.hstack([x[:, free], np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], L2)
    penalty[-1] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ beta)))
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients (one per feature) and intercept, with risk-raising features constrained to be ≥ 0.

    Active set: fit, pin every constrained coefficient that came out negative to 0, refit, until none is.
    The calendar features are pinned to 0 from the start: ten days of synthetic availability traces, repeated,
    cannot teach anything true about hours and weekdays, and whatever the fit would find there is an artefact.
    Rounded to 6 decimals so that the bytes do not depend on the last bits of the linear algebra library.
    """
    constrained = np.array([f.raises_risk for f in FEATURES])
    free = np.array([name not in CALENDAR for name in FEATURE_NAMES])
    while True:
        beta = _newton(x, y, free)
        coef = np.zeros(N_FEATURES)
        coef[free] = beta[:-1]
        negative = constrained & free & (coef < 0)
        if not negative.any():
            return np.round(coef, 6), round(float(beta[-1]), 6)
        free &= ~negative


def _predict(x: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-(x @ coef + intercept))))


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    # average ranks of ties, so the AUC does not depend on the order of equal scores
    for value in np.unique(p):
        tied = p == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    positives = y == 1
    n_pos, n_neg = positives.sum(), (~positives).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluation(x: np.ndarray, y: np.ndarray, days: np.ndarray) -> dict[str, float]:
    """Fit on the first days, score the last ones (time split), so the numbers are out of sample."""
    train, test = days < HOLDOUT_FROM_DAY, days >= HOLDOUT_FROM_DAY
    coef, intercept = fit_logistic(x[train], y[train])
    p = _predict(x[test], coef, intercept)
    base = float(y[train].mean())
    return {
        "holdout_from_day": HOLDOUT_FROM_DAY,
        "holdout_rows": int(test.sum()),
        "holdout_positive_rate": round(float(y[test].mean()), 4),
        "auc": round(_auc(y[test], p), 4),
        "brier": round(float(np.mean((p - y[test]) ** 2)), 4),
        "brier_of_base_rate": round(float(np.mean((base - y[test]) ** 2)), 4),
    }


# --------------------------------------------------------------------------------------------------- onnx


def _finish(graph: onnx.GraphProto, meta: dict[str, Any], doc: str) -> bytes:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="spotvortex"
    )
    model.ir_version = IR_VERSION
    model.producer_version = "1"
    model.doc_string = doc
    helper.set_model_props(model, {METADATA_KEY: json.dumps(meta, sort_keys=True, separators=(",", ":"))})
    onnx.checker.check_model(model, full_check=True)
    return bytes(model.SerializeToString(deterministic=True))


def risk_model(coefs: dict[str, tuple[np.ndarray, float]], x: np.ndarray, training: dict[str, Any]) -> bytes:
    nodes = []
    initializers = []
    for head, (coef, intercept) in coefs.items():
        initializers.append(
            numpy_helper.from_array(coef.astype(np.float32).reshape(N_FEATURES, 1), f"{head}_w")
        )
        initializers.append(numpy_helper.from_array(np.array([intercept], dtype=np.float32), f"{head}_b"))
        nodes.append(helper.make_node("Gemm", ["features", f"{head}_w", f"{head}_b"], [f"{head}_logit"]))
        nodes.append(helper.make_node("Sigmoid", [f"{head}_logit"], [f"{head}_score"]))
    graph = helper.make_graph(
        nodes,
        "spotvortex_risk_logistic",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", N_FEATURES])],
        [helper.make_tensor_value_info(f"{h}_score", TensorProto.FLOAT, ["batch", 1]) for h in coefs],
        initializers,
    )
    meta = {
        "kind": "logistic-placeholder",
        "feature_spec_version": FEATURE_SPEC_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "feature_low": [round(float(v), 6) for v in x.min(axis=0)],
        "feature_high": [round(float(v), 6) for v in x.max(axis=0)],
        "feature_mean": [round(float(v), 6) for v in x.mean(axis=0)],
        **{
            h: {"coef": [float(c) for c in coef], "intercept": intercept}
            for h, (coef, intercept) in coefs.items()
        },
        "training": training,
    }
    return _finish(
        graph, meta, "SpotVortex risk placeholder: logistic regressions fitted on the market fixtures"
    )


# The q-function, written by hand in three stages (no training):
# 1. signals: ReLU of linear combinations of the state (headroom to the cap, overshoot, saving above 25 %, room
#    below a risk level, risk above a level, ...);
# 2. growth = the smallest of the scaled "may grow" signals (headroom, saving, risk room, recovery room, cheap
#    migration): growth is positive only when every one of them is; big_growth also needs 25 points of headroom;
# 3. q-values: a linear combination of the signals, growth, big_growth and the out-of-distribution flag, in Action
#    order; HOLD is the zero line the others must beat.
SIGNALS: dict[str, dict[str, float]] = {
    "headroom": {"effective_cap": 1.0, "current_spot_ratio": -1.0},
    "overshoot": {"current_spot_ratio": 1.0, "effective_cap": -1.0},
    "big_headroom": {"effective_cap": 1.0, "current_spot_ratio": -1.0, "bias": -0.25},
    "big_overshoot": {"current_spot_ratio": 1.0, "effective_cap": -1.0, "bias": -0.25},
    "saving_edge": {"spot_price_ratio": -1.0, "bias": 0.75},
    "capacity_room": {"capacity_score": -1.0, "bias": 0.5},
    "runtime_room": {"runtime_score": -1.0, "bias": 0.5},
    "recovery_room": {"recovery_risk": -1.0, "bias": 0.6},
    "migration_room": {"migration_cost_usd": -1.0, "bias": 0.2},
    "capacity_excess": {"capacity_score": 1.0, "bias": -0.55},
    "runtime_excess": {"runtime_score": 1.0, "bias": -0.55},
    "capacity_alarm": {"capacity_score": 1.0, "bias": -0.85},
    "runtime_alarm": {"runtime_score": 1.0, "bias": -0.83},
}
GROWTH_GATES = {"headroom": 5.0, "saving_edge": 2.0, "capacity_room": 2.0, "runtime_room": 2.0,
                "recovery_room": 2.0, "migration_room": 5.0}  # fmt: skip
BIG_GROWTH_HEADROOM = 5.0
_RISK = {"capacity_excess": 1.0, "runtime_excess": 1.0}
Q_TERMS: dict[str, dict[str, float]] = {
    "HOLD": {},
    "DECREASE_10": {"overshoot": 2.0, **_RISK, "bias": -0.03},
    "DECREASE_30": {"overshoot": 2.0, "big_overshoot": 40.0, "capacity_excess": 2.5, "runtime_excess": 2.5,
                    "bias": -0.38},
    "INCREASE_10": {"growth": 1.0, "out_of_distribution": -0.05, "bias": -0.02},
    "INCREASE_30": {"growth": 1.0, "big_growth": 1.0, "out_of_distribution": -1.0, "bias": -0.06},
    "EMERGENCY_EXIT": {"overshoot": 2.0, "big_overshoot": 40.0, "capacity_excess": 2.5, "runtime_excess": 2.5,
                       "capacity_alarm": 30.0, "runtime_alarm": 30.0, "bias": -1.58},
}  # fmt: skip
STAGE3 = (*SIGNALS, "growth", "big_growth", "out_of_distribution")


def _linear(rows: list[str], terms: dict[str, dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Weights [len(rows), len(terms)] and biases [len(terms)] from named terms."""
    weights = np.zeros((len(rows), len(terms)), dtype=np.float32)
    bias = np.zeros(len(terms), dtype=np.float32)
    for j, definition in enumerate(terms.values()):
        for name, value in definition.items():
            if name == "bias":
                bias[j] = value
            else:
                weights[rows.index(name), j] = value
    return weights, bias


def q_model() -> bytes:
    signal_w, signal_b = _linear(list(RL_STATE_NAMES), SIGNALS)
    q_w, q_b = _linear(list(STAGE3), Q_TERMS)
    names = list(SIGNALS)
    gates = np.array([names.index(g) for g in GROWTH_GATES], dtype=np.int64)
    tensors = {
        "signal_w": signal_w,
        "signal_b": signal_b,
        "gate_index": gates,
        "gate_scale": np.array(list(GROWTH_GATES.values()), dtype=np.float32),
        "big_index": np.array([names.index("big_headroom")], dtype=np.int64),
        "big_scale": np.array([BIG_GROWTH_HEADROOM], dtype=np.float32),
        "ood_index": np.array([RL_STATE_NAMES.index("out_of_distribution")], dtype=np.int64),
        "q_w": q_w,
        "q_b": q_b,
    }
    nodes = [
        helper.make_node("Gemm", ["state", "signal_w", "signal_b"], ["signal_linear"]),
        helper.make_node("Relu", ["signal_linear"], ["signals"]),
        helper.make_node("Gather", ["signals", "gate_index"], ["gates_raw"], axis=1),
        helper.make_node("Mul", ["gates_raw", "gate_scale"], ["gates"]),
        helper.make_node("ReduceMin", ["gates"], ["growth"], axes=[1], keepdims=1),
        helper.make_node("Gather", ["signals", "big_index"], ["big_raw"], axis=1),
        helper.make_node("Mul", ["big_raw", "big_scale"], ["big_gate"]),
        helper.make_node("Concat", ["growth", "big_gate"], ["big_gates"], axis=1),
        helper.make_node("ReduceMin", ["big_gates"], ["big_growth"], axes=[1], keepdims=1),
        helper.make_node("Gather", ["state", "ood_index"], ["ood"], axis=1),
        helper.make_node("Concat", ["signals", "growth", "big_growth", "ood"], ["stage3"], axis=1),
        helper.make_node("Gemm", ["stage3", "q_w", "q_b"], ["q_values"]),
    ]
    graph = helper.make_graph(
        nodes,
        "spotvortex_piecewise_linear_q",
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, ["batch", len(RL_STATE_NAMES)])],
        [helper.make_tensor_value_info("q_values", TensorProto.FLOAT, ["batch", N_ACTIONS])],
        [numpy_helper.from_array(v, k) for k, v in tensors.items()],
    )
    meta = {
        "kind": "piecewise-linear-q-placeholder",
        "rl_state_version": RL_STATE_VERSION,
        "state_names": list(RL_STATE_NAMES),
        "actions": list(Q_TERMS),
        "signals": SIGNALS,
        "growth_gates": GROWTH_GATES,
        "big_growth_headroom": BIG_GROWTH_HEADROOM,
        "q_terms": Q_TERMS,
    }
    return _finish(
        graph, meta, "SpotVortex rl placeholder: a hand-written piecewise-linear q-function, not trained"
    )


# --------------------------------------------------------------------------------------------------- manifest


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(risk: bytes, rl: bytes, training: dict[str, Any]) -> dict[str, Any]:
    scope = {"cloud": "aws", "supported_instance_families": FAMILIES}
    return {
        "schema_version": "v1",
        "generated_at": GENERATED_AT,
        **scope,
        "model_scope": scope,
        "feature_spec_version": FEATURE_SPEC_VERSION,
        "rl_state_version": RL_STATE_VERSION,
        "artifacts": {
            RISK_FILE: {
                "path": RISK_FILE,
                "sha256": _sha(risk),
                "role": RISK,
                "kind": "logistic-placeholder",
                "version": f"risk-logistic-placeholder-1+sha256:{_sha(risk)[:12]}",
                "external_data": [],
                "description": (
                    "Placeholder risk model: two logistic regressions (capacity_score, runtime_score) over "
                    f"feature spec {FEATURE_SPEC_VERSION}, fitted with numpy by models/build_models.py on labels "
                    "derived from the shipped synthetic market fixtures. It is not trained on real interruption "
                    "data; a model trained on real market and interruption data replaces it."
                ),
                "inputs": {"features": f"float32 [batch, {N_FEATURES}]"},
                "outputs": {"capacity_score": "float32 [batch, 1]", "runtime_score": "float32 [batch, 1]"},
                "training": training,
            },
            RL_FILE: {
                "path": RL_FILE,
                "sha256": _sha(rl),
                "role": RL,
                "kind": "piecewise-linear-q-placeholder",
                "version": f"rl-piecewise-linear-q-placeholder-1+sha256:{_sha(rl)[:12]}",
                "external_data": [],
                "description": (
                    "Placeholder q-value model: a hand-written piecewise-linear q-function over rl state spec "
                    f"{RL_STATE_VERSION} encoding the economics (growth only with headroom under the cap, a "
                    "saving above 25 %, low risk, low recovery risk and a cheap migration; risk and overshoot "
                    "favour reduction, alarm-level risk an emergency exit). Not trained by reinforcement "
                    "learning; it runs in the shadow of the deterministic policy until a trained policy "
                    "replaces it."
                ),
                "inputs": {"state": f"float32 [batch, {len(RL_STATE_NAMES)}]"},
                "outputs": {"q_values": f"float32 [batch, {N_ACTIONS}] in Action order"},
            },
        },
        "parity": {
            "status": "not-applicable",
            "notes": "New models with their own contracts; no earlier model's outputs are reproduced.",
        },
    }


def build(out: Path) -> dict[str, str]:
    x, y_capacity, y_runtime, days, description = dataset()
    coefs = {"capacity": fit_logistic(x, y_capacity), "runtime": fit_logistic(x, y_runtime)}
    training = {
        **description,
        "rows": len(x),
        "capacity_positive_rate": round(float(y_capacity.mean()), 4),
        "runtime_positive_rate": round(float(y_runtime.mean()), 4),
        "fit": f"L2-regularised logistic regression (lambda={L2}), Newton's method, coefficients of risk-raising "
        "features constrained >= 0 (active set), rounded to 6 decimals",
        "evaluation": {
            "capacity": evaluation(x, y_capacity, days),
            "runtime": evaluation(x, y_runtime, days),
        },
    }
    risk = risk_model(coefs, x, training)
    rl = q_model()
    out.mkdir(parents=True, exist_ok=True)
    (out / RISK_FILE).write_bytes(risk)
    (out / RL_FILE).write_bytes(rl)
    text = json.dumps(manifest(risk, rl, training), indent=2, sort_keys=False) + "\n"
    (out / MANIFEST_NAME).write_text(text)
    return {name: _sha((out / name).read_bytes()) for name in (RISK_FILE, RL_FILE, MANIFEST_NAME)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    parser.add_argument("--check", action="store_true", help="rebuild elsewhere and compare with --out")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build(Path(tmp))
        stale = [
            n
            for n, sha in fresh.items()
            if not (args.out / n).exists() or _sha((args.out / n).read_bytes()) != sha
        ]
        print("up to date" if not stale else f"differs from a fresh build: {', '.join(stale)}")
        return 1 if stale else 0
    for name, sha in build(args.out).items():
        print(f"{sha}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
