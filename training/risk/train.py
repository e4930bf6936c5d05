"""Train, calibrate, compare and export the risk model: ``python -m training.risk.train --out DIR [--smoke]``.

Steps, all seeded (``SEED``), single-threaded and deterministic:

1. examples from the availability traces (``spotvortex.sim.modeling.dataset``), the real ones in ``shared/data``
   when present, else the shipped fixtures; split by time *and* zone (``split``);
2. candidates fitted on the training split: the compact TFT and the window logistic regression (torch, early
   stopping on the calibration split), the persistence and advisor-prior baselines (numpy);
3. Platt calibration of each network on the calibration split;
4. the candidate with the lowest mean Brier score of the two heads on the calibration split's real examples is
   shipped
   (choosing on validation would flatter the report), exported to ONNX with its metadata;
5. every candidate is scored on the validation split, which nothing above has seen.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spotvortex.contracts.risk_window import (
    N_MARKET_FEATURES,
    N_WINDOW_FEATURES,
    SPEC_VERSION,
    STEP,
    STEPS,
    WINDOW_FEATURE_NAMES,
    WINDOW_FEATURES,
)
from spotvortex.sim.market.advisor import load_advisor
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.ondemand import load_on_demand
from spotvortex.sim.market.prices import load_spot_prices
from spotvortex.sim.market.sources import MarketFiles, default_market_files
from spotvortex.sim.modeling import baselines, metrics
from spotvortex.sim.modeling.dataset import Examples, Horizons, build_examples, concatenate
from spotvortex.sim.modeling.rollouts import hazard_rollout
from spotvortex.sim.modeling.split import VALIDATION_ZONES, Split, time_zone_split
from training.risk.export import export_onnx
from training.risk.networks import CompactTFT, WindowLogistic

SEED = 20261124
RAISES_RISK = torch.tensor([f.raises_risk for f in WINDOW_FEATURES])
PRICE = WINDOW_FEATURE_NAMES.index("price_ratio")
CHANGE = WINDOW_FEATURE_NAMES.index("price_change")
MONOTONE = (PRICE, CHANGE)
SPIKE_TOLERANCE = 1e-4
BATCH = 256


@dataclass(frozen=True)
class Recipe:
    epochs: int = 40
    patience: int = 6
    learning_rate: float = 3e-3
    hidden: int = 12
    sample_seconds: float = 600.0
    rollout_markets: int = 24
    rollout_rate: float = (
        20.0  # × the advisor-calibrated loss rate, so rollouts hold enough losses to learn from
    )
    rollout_sample_seconds: float = 3600.0


SMOKE = Recipe(
    epochs=2, patience=1, hidden=8, sample_seconds=1800.0, rollout_markets=3, rollout_sample_seconds=7200.0
)


def _seed() -> None:
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_data(files: MarketFiles, horizons: Horizons, recipe: Recipe, progress: bool) -> Examples:
    """Real availability traces, plus simulator rollouts over real prices for what the traces cannot teach."""
    traces = load_availability(files.availability)
    on_demand = load_on_demand(files.on_demand)
    book = load_spot_prices(files.spot_prices)
    advisor = load_advisor(files.advisor)
    rollout = hazard_rollout(
        book, advisor, markets=recipe.rollout_markets, seed=SEED, rate_multiplier=recipe.rollout_rate
    )
    types = {t.instance_type for t in [*traces, *rollout.traces]}
    prices = {t: on_demand.prices[t] for t in types if t in on_demand.prices}
    real = build_examples(
        traces,
        book=book,
        on_demand=prices,
        advisor=advisor,
        horizons=horizons,
        sample_seconds=recipe.sample_seconds,
        progress=progress,
    )
    simulated = build_examples(
        rollout.traces,
        book=book,
        on_demand=prices,
        advisor=advisor,
        horizons=horizons,
        sample_seconds=recipe.rollout_sample_seconds,
        rebalances=rollout.rebalances,
        simulated=True,
    )
    if progress:
        print(f"risk model: {len(real)} examples from real traces, {len(simulated)} from simulator rollouts")
    return concatenate([real, simulated])


def choose_validation_zones(examples: Examples) -> tuple[str, ...]:
    """The documented zones when the data has them, else the last zone of every region (fixtures)."""
    zones = set(examples.zone)
    if set(VALIDATION_ZONES) <= zones:
        return VALIDATION_ZONES
    by_region: dict[str, list[str]] = {}
    for zone, region in sorted(set(zip(examples.zone, examples.region, strict=True))):
        by_region.setdefault(region, []).append(zone)
    return tuple(sorted(z[-1] for z in by_region.values() if len(z) > 1))


def _tensors(ex: Examples) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(ex.windows)
    y = torch.from_numpy(np.stack([ex.capacity, ex.runtime], axis=1))
    return x, y


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        logits, _ = model.logits(x)  # type: ignore[operator]
        return float(nn.functional.binary_cross_entropy_with_logits(logits, y))


def fit(model: nn.Module, split: Split, recipe: Recipe, progress: bool, name: str) -> dict[str, Any]:
    x, y = _tensors(split.train)
    xc, yc = _tensors(split.calibration)
    optimiser = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=1e-3)
    generator = torch.Generator().manual_seed(SEED)
    best = (float("inf"), 0, {k: v.clone() for k, v in model.state_dict().items()})
    epoch = 0
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            index = order[start : start + BATCH]
            logits, _ = model.logits(x[index])  # type: ignore[operator]
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if isinstance(model, WindowLogistic):
                model.keep_monotone(RAISES_RISK)
        model.eval()
        held = _loss(model, xc, yc)
        if progress:
            print(f"  {name}: epoch {epoch:2d} calibration loss {held:.4f}")
        if held < best[0] - 1e-5:
            best = (held, epoch, {k: v.clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= recipe.patience:
            break
    model.load_state_dict(best[2])
    return {"epochs_run": epoch, "best_epoch": best[1], "calibration_loss": round(best[0], 5)}


def calibrate(model: nn.Module, split: Split) -> dict[str, list[float]]:
    """Platt scaling per head on the calibration split (a and b of ``sigmoid(a · logit + b)``)."""
    x, y = _tensors(split.calibration)
    with torch.no_grad():
        logits, _ = model.logits(x)  # type: ignore[operator]
    scale = torch.ones(2, requires_grad=True)
    bias = torch.zeros(2, requires_grad=True)
    optimiser = torch.optim.LBFGS([scale, bias], lr=0.5, max_iter=200)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(logits * scale + bias, y)
        loss.backward()
        return loss

    optimiser.step(closure)
    calibration = model.calibration  # type: ignore[union-attr]
    calibration.scale.copy_(scale.detach())
    calibration.bias.copy_(bias.detach())
    return {
        "scale": [round(float(v), 5) for v in scale.detach()],
        "bias": [round(float(v), 5) for v in bias.detach()],
    }


def _predict(model: nn.Module, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        c, r, _ = model(torch.from_numpy(windows))
    return c.numpy().ravel().astype(np.float64), r.numpy().ravel().astype(np.float64)


def _scores(ex: Examples, capacity: np.ndarray, runtime: np.ndarray) -> dict[str, Any]:
    return {
        "capacity": metrics.summary(ex.capacity, capacity),
        "runtime": metrics.summary(ex.runtime, runtime),
    }


def price_spike(windows: np.ndarray) -> np.ndarray:
    """The same windows with the spot price 30 points of on-demand higher over the last hour."""
    spiked = windows.copy()
    spiked[:, -2:, PRICE] = np.minimum(1.0, spiked[:, -2:, PRICE] + 0.3)
    spiked[:, -2, CHANGE] = np.minimum(1.0, spiked[:, -2, CHANGE] + 0.3)
    return spiked


def _simulated(ex: Examples) -> np.ndarray:
    return ex.simulated if ex.simulated is not None else np.zeros(len(ex), dtype=bool)


def _mean_brier(s: dict[str, Any]) -> float:
    return float((s["capacity"]["brier"] + s["runtime"]["brier"]) / 2)


def train_risk(
    out_dir: Path,
    *,
    smoke: bool = False,
    files: MarketFiles | None = None,
    horizons: Horizons | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train every candidate, ship the best one as ``out_dir/risk_model.onnx``; returns the training summary
    (and the validation predictions under ``"predictions"`` for the report's reliability diagram)."""
    began = time.monotonic()
    _seed()
    recipe = SMOKE if smoke else Recipe()
    files = files or default_market_files()
    horizons = horizons or Horizons()
    if progress:
        print(
            f"risk model: examples from {files.availability.name} ({'real' if files.real else 'fixture'} data)"
        )
    examples = load_data(files, horizons, recipe, progress)
    split = time_zone_split(examples, choose_validation_zones(examples))
    if progress:
        print(
            f"risk model: {len(split.train)} train, {len(split.calibration)} calibration, "
            f"{len(split.validation)} validation examples ({split.description})"
        )
    x = split.train.windows
    summary_x = baselines.summary_features(x)
    mean = torch.tensor(summary_x.mean(axis=0), dtype=torch.float32)
    std = torch.tensor(np.maximum(summary_x.std(axis=0), 1e-6), dtype=torch.float32)
    networks: dict[str, nn.Module] = {
        "compact-tft": CompactTFT(N_WINDOW_FEATURES, recipe.hidden, monotone=MONOTONE),
        "window-logistic": WindowLogistic(N_WINDOW_FEATURES, N_MARKET_FEATURES, mean, std),
    }
    fitting: dict[str, Any] = {}
    for name, net in networks.items():
        fitting[name] = fit(net, split, recipe, progress, name)
        fitting[name]["platt"] = calibrate(net, split)
        net.eval()
    tables = {
        "persistence": {
            "capacity": baselines.fit_persistence(x, split.train.capacity),
            "runtime": baselines.fit_persistence(x, split.train.runtime),
        },
        "advisor-prior": {
            "capacity": baselines.fit_band_prior(x, split.train.capacity),
            "runtime": baselines.fit_band_prior(x, split.train.runtime),
        },
    }
    predictors = {
        "persistence": baselines.predict_persistence,
        "advisor-prior": baselines.predict_band_prior,
    }

    def predictions(
        ex: Examples, windows: np.ndarray | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        w = ex.windows if windows is None else windows
        found = {name: _predict(net, w) for name, net in networks.items()}
        for name, table in tables.items():
            predict = predictors[name]
            found[name] = (predict(table["capacity"], w), predict(table["runtime"], w))
        return found

    real_calibration = split.calibration.subset(~_simulated(split.calibration))
    on_calibration = {k: _scores(real_calibration, *v) for k, v in predictions(real_calibration).items()}
    shipped = min(networks, key=lambda k: _mean_brier(on_calibration[k]))
    validation_predictions = predictions(split.validation)
    on_validation = {k: _scores(split.validation, *v) for k, v in validation_predictions.items()}
    spiked = predictions(split.validation, price_spike(split.validation.windows))
    for name, (capacity, runtime) in spiked.items():
        before_c, before_r = validation_predictions[name]
        on_validation[name]["price_spike_lowers"] = {
            "capacity": round(float(np.mean(capacity < before_c - SPIKE_TOLERANCE)), 4),
            "runtime": round(float(np.mean(runtime < before_r - SPIKE_TOLERANCE)), 4),
        }
    feature_low = x.reshape(-1, N_WINDOW_FEATURES).min(axis=0)
    feature_high = x.reshape(-1, N_WINDOW_FEATURES).max(axis=0)
    training = {
        "data": {
            "availability": files.availability.name,
            "prices": files.spot_prices.name,
            "advisor": files.advisor.name,
            "real": files.real,
            "notes": examples.notes,
        },
        "split": split.description,
        "examples": {
            "train": len(split.train),
            "calibration": len(split.calibration),
            "validation": len(split.validation),
        },
        "sample_seconds": recipe.sample_seconds,
        "seed": SEED,
        "recipe": recipe.__dict__,
        "fitting": fitting,
        "chosen_by": "lowest mean Brier score of the two heads on the real examples of the calibration split",
        "calibration_scores": on_calibration,
    }
    metadata = {
        "feature_spec_version": SPEC_VERSION,
        "feature_names": list(WINDOW_FEATURE_NAMES),
        "steps": STEPS,
        "step_seconds": int(STEP.total_seconds()),
        "horizons_seconds": {
            "capacity": int(horizons.capacity.total_seconds()),
            "runtime": int(horizons.runtime.total_seconds()),
        },
        "kind": shipped,
        "feature_low": [round(float(v), 6) for v in feature_low],
        "feature_high": [round(float(v), 6) for v in feature_high],
        "persistence": tables["persistence"],
        "validation": on_validation[shipped],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "risk_model.onnx"
    export_onnx(networks[shipped], path, metadata)
    if progress:
        print(f"risk model: shipped {shipped} ({path}), {time.monotonic() - began:.0f} s")
    return {
        "kind": shipped,
        "path": str(path),
        "metadata": metadata,
        "training": training,
        "validation": on_validation,
        "validation_zones": list(split.validation_zones),
        "seconds": round(time.monotonic() - began, 1),
        "predictions": {
            "labels": {"capacity": split.validation.capacity, "runtime": split.validation.runtime},
            "scores": validation_predictions,
            "examples": split.validation,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.risk.train", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for risk_model.onnx")
    parser.add_argument("--smoke", action="store_true", help="tiny recipe on the shipped fixtures (CI)")
    parser.add_argument("--capacity-horizon-minutes", type=float, default=60.0)
    parser.add_argument("--runtime-horizon-hours", type=float, default=6.0)
    args = parser.parse_args(argv)
    from spotvortex.sim.market.sources import fixture_files

    result = train_risk(
        args.out,
        smoke=args.smoke,
        files=fixture_files() if args.smoke else None,
        horizons=Horizons(
            capacity=timedelta(minutes=args.capacity_horizon_minutes),
            runtime=timedelta(hours=args.runtime_horizon_hours),
        ),
    )
    print(json.dumps({k: result[k] for k in ("kind", "path", "validation", "seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
