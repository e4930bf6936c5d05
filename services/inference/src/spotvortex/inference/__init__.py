"""SpotVortex inference service.

Scores each pool snapshot with the verified risk model, decides with the deterministic rules or the rl policy,
and publishes a risk assessment and a proposed action per snapshot. The pure core is :func:`decide` /
:func:`decide_batch` over models from :func:`load_models`; the simulator and the evaluation call it directly.

    models = load_models()                          # the repository's models/, verified against the manifest
    risk, action = decide(telemetry, now, RuntimeConfig(), models)
"""

from spotvortex.inference.config import RuntimeConfig, load_runtime_config
from spotvortex.inference.decide import Outcome, decide, decide_batch, decide_rules, decision_id
from spotvortex.inference.features import FEATURE_NAMES, FEATURE_SPEC_VERSION, market_view, window_rows
from spotvortex.inference.manifest import ManifestError
from spotvortex.inference.models import Models, default_models_dir, load_models
from spotvortex.inference.params import PolicyParams, compile_params
from spotvortex.inference.policy import PolicyDecision, PolicyInputs, decide_deterministic
from spotvortex.inference.service import build
from spotvortex.inference.settings import InferenceConfig, InferenceSettings, preflight
from spotvortex.runtime.service import ServiceSpec

SPEC = ServiceSpec(name="inference", build=build, preflight=preflight)
SETTINGS = InferenceSettings

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SPEC_VERSION",
    "SETTINGS",
    "SPEC",
    "InferenceConfig",
    "InferenceSettings",
    "ManifestError",
    "Models",
    "Outcome",
    "PolicyDecision",
    "PolicyInputs",
    "PolicyParams",
    "RuntimeConfig",
    "compile_params",
    "decide",
    "decide_batch",
    "decide_deterministic",
    "decide_rules",
    "decision_id",
    "default_models_dir",
    "load_models",
    "load_runtime_config",
    "market_view",
    "window_rows",
]
