"""``spotvortex models``: check a model bundle before it is shipped or mounted, and score the risk model on data.

- ``verify [DIR]`` runs exactly the checks the inference service runs at start (manifest, every checksum, the
  cloud, every model loaded by onnxruntime with its own load checks), so a bundle that passes here starts there.
  Exit 0 with a JSON summary, 1 with the reason on stderr.
- ``evaluate --availability FILE …`` scores the risk model on availability traces the way the model report does:
  examples from ``spotvortex.sim.modeling.dataset.build_examples`` at the horizons the model was trained for,
  next to the persistence baseline fitted at training time (it travels in the model's metadata), so new data is
  judged against the very baseline of the report. Exit 0 with JSON, 1 when the models fail verification, 2 on
  unusable input. Without ``--prices`` the spot price is a fixed share of on-demand and without ``--advisor``
  the advisor band is unknown, as in training without those files; pass the files the model was trained with
  for comparable numbers.

The inference and simulator packages are imported only when a command runs: the CLI image may lack them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_CLOUD = "aws"
BATCH = 4096  # rows per risk-model call while evaluating (bounded memory, visible progress)


class InputError(Exception):
    """Unusable input for ``evaluate`` (exit 2)."""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "models",
        help="verify a model bundle or evaluate the risk model on availability traces",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="<models command>")
    verify = commands.add_parser("verify", help="verify the manifest, checksums and cloud, load every model")
    verify.add_argument("dir", nargs="?", type=Path, default=None, help="models folder (default: models/)")
    verify.add_argument(
        "--expected-cloud",
        default=DEFAULT_CLOUD,
        help=f"cloud the models must be built for (default {DEFAULT_CLOUD}; empty skips the check)",
    )
    verify.set_defaults(handler=run_verify)
    evaluate = commands.add_parser("evaluate", help="score the risk model and the persistence baseline")
    evaluate.add_argument("--availability", type=Path, required=True, help="availability traces (CSV, .gz)")
    evaluate.add_argument("--prices", type=Path, default=None, help="spot price history")
    evaluate.add_argument("--advisor", type=Path, default=None, help="Spot Advisor bands (JSON)")
    evaluate.add_argument("--ondemand", type=Path, default=None, help="on-demand prices (CSV)")
    evaluate.add_argument("--models", type=Path, default=None, help="models folder (default: models/)")
    evaluate.add_argument(
        "--sample-seconds", type=float, default=600.0, help="one example every this many seconds of a trace"
    )
    evaluate.add_argument("--expected-cloud", default=DEFAULT_CLOUD, help=argparse.SUPPRESS)
    evaluate.set_defaults(handler=run_evaluate)


def _progress(message: str) -> None:
    print(f"models: {message}", file=sys.stderr, flush=True)


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


def run_verify(args: argparse.Namespace) -> int:
    try:
        from spotvortex.inference.manifest import ManifestError
        from spotvortex.inference.models import default_models_dir
    except ModuleNotFoundError as err:
        print(f"models verify needs the inference package (spotvortex-inference): {err}", file=sys.stderr)
        return 1
    directory = Path(args.dir) if args.dir is not None else default_models_dir()
    try:
        summary = verify_summary(directory, args.expected_cloud)
    except ManifestError as err:
        print(str(err), file=sys.stderr)
        return 1
    except Exception as err:  # a bundle that breaks a runner in an unforeseen way is still a failed check
        print(f"models: {directory}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    _print_json(summary)
    return 0


def verify_summary(directory: Path, expected_cloud: str | None) -> dict[str, Any]:
    """Verify and load the bundle as the service does; what was verified and loaded."""
    from spotvortex.inference.features import FEATURE_SPEC_VERSION
    from spotvortex.inference.legacy import LegacyRiskModel
    from spotvortex.inference.manifest import roles_of, verify
    from spotvortex.inference.models import load_models

    bundle = verify(directory, expected_cloud=expected_cloud)
    models = load_models(directory, expected_cloud=expected_cloud)
    roles = roles_of(bundle.manifest)
    entries = bundle.manifest.entries
    legacy = isinstance(models.risk, LegacyRiskModel)
    loaded: dict[str, Any] = {
        "risk": {"name": models.risk.name, "kind": models.risk.kind, "version": models.risk.version}
    }
    if models.rl is not None:
        loaded["rl"] = {"name": models.rl.name, "kind": models.rl.kind, "version": models.rl.version}
    return {
        "ok": True,
        "directory": str(directory),
        "schema_version": bundle.manifest.schema_version,
        "cloud": models.cloud,
        "bundle": "upstream" if legacy else "spotvortex",
        "feature_spec_version": None if legacy else FEATURE_SPEC_VERSION,
        "supported_instance_families": list(bundle.manifest.families),
        "models": loaded,
        "files": [
            {
                "name": name,
                "path": entry.path,
                "role": roles.get(name),
                "sha256": entry.sha256.strip().lower().removeprefix("sha256:"),
                "bytes": (directory / entry.path).stat().st_size,
            }
            for name, entry in sorted(entries.items())
        ],
    }


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        from spotvortex.inference.manifest import ManifestError
    except ModuleNotFoundError as err:
        print(f"models evaluate needs the inference package (spotvortex-inference): {err}", file=sys.stderr)
        return 2
    try:
        document = evaluate(args)
    except InputError as err:
        print(f"models evaluate: {err}", file=sys.stderr)
        return 2
    except ManifestError as err:
        print(str(err), file=sys.stderr)
        return 1
    _print_json(document)
    return 0


def _existing(option: str, path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise InputError(f"{option} {path}: no such file")
    return path


def _load(what: str, path: Path, loader: Any) -> Any:
    """A market file through its loader; any read or parse failure becomes a message naming the file."""
    _progress(f"reading {what} from {path}")
    try:
        return loader(path)
    except (OSError, EOFError, ValueError, LookupError) as err:  # MarketDataError is a ValueError
        detail = str(err) if str(path) in str(err) else f"{path}: {err}"
        raise InputError(f"cannot read {what}: {detail}") from None
    except Exception as err:  # e.g. csv.Error on a mangled file
        raise InputError(f"cannot read {what}: {path}: {type(err).__name__}: {err}") from None


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    try:
        from spotvortex.sim.market.advisor import load_advisor
        from spotvortex.sim.market.availability import load_availability
        from spotvortex.sim.market.ondemand import load_on_demand
        from spotvortex.sim.market.prices import load_spot_prices
        from spotvortex.sim.modeling import baselines, metrics
        from spotvortex.sim.modeling.dataset import Horizons, build_examples
    except ModuleNotFoundError as err:
        raise InputError(f"needs the simulator package (spotvortex-sim): {err}") from None
    import numpy as np

    from spotvortex.inference.models import load_models, resolve_dir
    from spotvortex.inference.risk import RiskModel

    availability = _existing("--availability", args.availability)
    assert availability is not None
    prices_file = _existing("--prices", args.prices)
    advisor_file = _existing("--advisor", args.advisor)
    ondemand_file = _existing("--ondemand", args.ondemand)
    if args.sample_seconds <= 0:
        raise InputError("--sample-seconds must be positive")
    traces = _load("availability traces", availability, load_availability)
    book = _load("spot prices", prices_file, load_spot_prices) if prices_file else None
    advisor = _load("advisor bands", advisor_file, load_advisor) if advisor_file else None
    on_demand: dict[str, float] = {}
    if ondemand_file is not None:
        table = _load("on-demand prices", ondemand_file, load_on_demand)
        on_demand = {
            t.instance_type: table.prices[t.instance_type] for t in traces if t.instance_type in table.prices
        }
    directory = resolve_dir(args.models)
    _progress(f"verifying and loading the models in {directory}")
    models = load_models(directory, expected_cloud=args.expected_cloud, load_rl=False)
    risk = models.risk
    if not isinstance(risk, RiskModel):
        raise InputError(
            f"{directory} holds a risk model of kind {risk.kind}; evaluate scores feature-spec-2 models "
            "(the earlier bundle is scored with spotvortex.inference.legacy.legacy_window)"
        )
    defaults = Horizons()
    horizons = Horizons(
        capacity=timedelta(seconds=float(risk.horizons.get("capacity", defaults.capacity.total_seconds()))),
        runtime=timedelta(seconds=float(risk.horizons.get("runtime", defaults.runtime.total_seconds()))),
    )
    _progress(f"building examples from {len(traces)} traces")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # its progress lines must not mix with the JSON
            examples = build_examples(
                traces,
                book=book,
                on_demand=on_demand,
                advisor=advisor,
                horizons=horizons,
                sample_seconds=args.sample_seconds,
                progress=True,
            )
    except ValueError as err:
        raise InputError(f"{availability}: {err}") from None

    n = len(examples)
    _progress(f"scoring {n} examples with {risk.version}")
    capacity_parts, runtime_parts = [], []
    for start in range(0, n, BATCH):
        outputs = risk.assess(examples.windows[start : start + BATCH])
        capacity_parts.append(outputs.capacity)
        runtime_parts.append(outputs.runtime)
    scores = {"capacity": np.concatenate(capacity_parts), "runtime": np.concatenate(runtime_parts)}
    labels = {"capacity": examples.capacity, "runtime": examples.runtime}
    heads: dict[str, Any] = {}
    for head in ("capacity", "runtime"):
        persistence = risk.persistence.get(head)
        heads[head] = {
            "model": metrics.summary(labels[head], scores[head]),
            "persistence": (
                metrics.summary(labels[head], baselines.predict_persistence(persistence, examples.windows))
                if persistence
                else None
            ),
        }
    return {
        "model": {"name": risk.name, "kind": risk.kind, "version": risk.version},
        "model_version": risk.version,
        "examples": n,
        "horizons_seconds": {
            "capacity": int(horizons.capacity.total_seconds()),
            "runtime": int(horizons.runtime.total_seconds()),
        },
        "sample_seconds": args.sample_seconds,
        "data": {
            "availability": str(availability),
            "prices": str(prices_file) if prices_file else None,
            "advisor": str(advisor_file) if advisor_file else None,
            "ondemand": str(ondemand_file) if ondemand_file else None,
            "traces": len(traces),
            "notes": examples.notes,
        },
        "heads": heads,
    }
