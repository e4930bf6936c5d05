"""Loading the verified model bundle: manifest checks, onnxruntime sessions, and the family scope.

The default models folder is the repository's ``models/`` found relative to this package (a source checkout);
an installed package (a container image) sets ``inference.models_dir``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spotvortex.inference.manifest import VerifiedBundle, verify
from spotvortex.inference.risk import RiskModel
from spotvortex.inference.rl import QModel
from spotvortex.inference.scope import FamilyScope


def default_models_dir() -> Path:
    """``<repository>/models`` for a source checkout (services/inference/src/spotvortex/inference → repo)."""
    return Path(__file__).resolve().parents[5] / "models"


@dataclass(frozen=True)
class Models:
    risk: RiskModel
    rl: QModel | None
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
    return Models(
        risk=RiskModel(bundle.risk),
        rl=QModel(bundle.rl) if bundle.rl is not None and (load_rl or require_rl) else None,
        scope=FamilyScope.of(families),
        cloud=bundle.manifest.model_cloud,
        directory=bundle.directory,
    )
