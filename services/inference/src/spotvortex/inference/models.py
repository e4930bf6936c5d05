"""Loading the verified model bundle: manifest checks, onnxruntime sessions, and the family scope.

The default models folder is the repository's ``models/`` found relative to this package (a source checkout);
an installed package (a container image) sets ``inference.models_dir``.

Two bundles are served: ours (risk input ``window``, feature spec 2; :class:`RiskModel`, :class:`QModel`) and the
earlier implementation's (risk input ``input`` ``[1, 12, 10]``; :mod:`spotvortex.inference.legacy`), told apart
by the risk model's input, because the earlier manifest says nothing about its models. The rl state belongs to
the bundle, so the q-model class follows the risk model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.risk_window import StepCache
from spotvortex.contracts.telemetry import PoolTelemetry
from spotvortex.inference.features import MarketView
from spotvortex.inference.legacy import LegacyQModel, LegacyRiskModel, is_legacy_risk
from spotvortex.inference.manifest import VerifiedBundle, VerifiedModel, verify
from spotvortex.inference.risk import RiskModel, RiskOutputs
from spotvortex.inference.rl import QModel, StateInputs
from spotvortex.inference.scope import FamilyScope
from spotvortex.inference.session import open_session


def default_models_dir() -> Path:
    """``<repository>/models`` for a source checkout (services/inference/src/spotvortex/inference → repo)."""
    return Path(__file__).resolve().parents[5] / "models"


class RiskScorer(Protocol):
    """What ``decide`` needs of a risk model: its own input per pool, stacked, and one call per batch.
    Shipped models (feature spec 2) and the earlier bundle's fixed ``[1, 12, 10]`` model both provide it."""

    name: str
    version: str
    kind: str

    def prepare(self, view: MarketView, telemetry: PoolTelemetry, cache: StepCache | None = None) -> Any: ...

    def stack(self, rows: Sequence[Any]) -> npt.NDArray[np.float32]: ...

    def assess(self, inputs: npt.NDArray[np.float32]) -> RiskOutputs: ...


class QScorer(Protocol):
    """What ``decide`` needs of a q-model: its state encoding and q-values for a batch of states."""

    name: str
    version: str
    kind: str

    def state(self, s: StateInputs) -> list[float]: ...

    def q_values(self, states: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]: ...


@dataclass(frozen=True)
class Models:
    risk: RiskScorer
    rl: QScorer | None
    scope: FamilyScope
    cloud: str
    directory: Path


def resolve_dir(models_dir: str | Path | None) -> Path:
    return Path(models_dir) if models_dir else default_models_dir()


def check_bundle(
    models_dir: str | Path | None = None, *, expected_cloud: str | None = "aws", require_rl: bool = False
) -> VerifiedBundle:
    """Verify the manifest and every artifact without creating sessions (cheap; used when settings load)."""
    return verify(resolve_dir(models_dir), expected_cloud=expected_cloud, require_rl=require_rl)


def load_models(
    models_dir: str | Path | None = None,
    *,
    expected_cloud: str | None = "aws",
    supported_instance_families: Sequence[str] | None = None,
    load_rl: bool = True,
    require_rl: bool = False,
) -> Models:
    """Verify and load the models; raises :class:`~spotvortex.inference.manifest.ManifestError` on any doubt.

    ``supported_instance_families`` overrides the manifest's scope (an empty list supports every type).
    """
    bundle = check_bundle(models_dir, expected_cloud=expected_cloud, require_rl=require_rl)
    families = (
        bundle.manifest.families if supported_instance_families is None else supported_instance_families
    )
    risk, legacy = _risk_model(bundle.risk)
    rl: QScorer | None = None
    if bundle.rl is not None and (load_rl or require_rl):
        rl = LegacyQModel(bundle.rl) if legacy else QModel(bundle.rl)
    return Models(
        risk=risk,
        rl=rl,
        scope=FamilyScope.of(families),
        cloud=bundle.manifest.model_cloud,
        directory=bundle.directory,
    )


def _risk_model(model: VerifiedModel) -> tuple[RiskScorer, bool]:
    """The runner for the risk model's input contract, and whether it is the earlier bundle's."""
    opened = open_session(model)
    if is_legacy_risk(opened[0]):
        return LegacyRiskModel(model, opened), True
    return RiskModel(model), False
