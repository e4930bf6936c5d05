"""The inference service's settings (section ``inference``) and the checks that stop a bad start early.

Keys (environment: ``SPOTVORTEX_INFERENCE__<KEY>``, nested with ``__``):

- ``models_dir``: folder with ``MODEL_MANIFEST.json`` and the models (default: the repository's ``models/``);
- ``expected_cloud``: the cloud the manifest's models must be for (``aws``; empty skips the check);
- ``supported_instance_families``: replaces the manifest's family scope (``[]`` supports every type);
- ``runtime``: the policy's runtime config (the keys of the earlier ``runtime.json``, defaults = shipped values);
- ``runtime_config_path``: a ``runtime.json`` (or the same keys in YAML) that replaces the ``runtime`` section.

:func:`preflight` verifies the manifest, every artifact's SHA-256 and the cloud, and resolves the runtime config,
so ``spotvortex run inference`` exits with the reason instead of starting a service that cannot decide. The
service verifies again the exact bytes it loads.
"""

from __future__ import annotations

import msgspec

from spotvortex.inference.config import RuntimeConfig, load_runtime_config
from spotvortex.inference.manifest import ManifestError
from spotvortex.inference.models import check_bundle
from spotvortex.inference.params import compile_params
from spotvortex.runtime.config import ServiceSettings
from spotvortex.runtime.errors import ConfigError


class InferenceConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    models_dir: str | None = None
    expected_cloud: str = "aws"
    supported_instance_families: list[str] | None = None
    runtime_config_path: str | None = None
    runtime: RuntimeConfig = RuntimeConfig()

    def runtime_config(self) -> RuntimeConfig:
        """The runtime config in force: the file at ``runtime_config_path`` if set, else the ``runtime`` section."""
        return load_runtime_config(self.runtime_config_path) if self.runtime_config_path else self.runtime


class InferenceSettings(ServiceSettings, frozen=True, kw_only=True):
    inference: InferenceConfig = msgspec.field(default_factory=InferenceConfig)


def preflight(settings: InferenceSettings) -> None:
    """Refuse to start on a model bundle or runtime config the service could not serve (``ConfigError``)."""
    section = settings.inference
    runtime = section.runtime_config()
    try:
        check_bundle(
            section.models_dir, expected_cloud=section.expected_cloud, require_rl=runtime.policy_mode == "rl"
        )
    except ManifestError as err:
        raise ConfigError(f"config error: {err}") from None
    compile_params(runtime)
