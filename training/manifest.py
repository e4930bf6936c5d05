"""``MODEL_MANIFEST.json`` for a freshly trained bundle: schema v1 as the earlier bundle wrote it (cloud, family
scope, artifacts with SHA-256), plus what makes a bundle auditable: feature spec and rl state versions, the
label horizons, a fingerprint of the training data, and the validation metrics."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from spotvortex.contracts.risk_window import N_WINDOW_FEATURES, SPEC_VERSION, STEPS
from spotvortex.inference.manifest import MANIFEST_NAME, RISK, RL
from spotvortex.inference.rl import N_ACTIONS, N_STATE, RL_STATE_VERSION

# The date the recipe last changed; a fixed value keeps the manifest a pure function of recipe and data.
GENERATED_AT = "2026-11-24T00:00:00Z"
RISK_FILE = "risk_model.onnx"
RL_FILE = "rl_policy.onnx"
# General-purpose, compute- and memory-optimised families (the scope the earlier bundle declared). The risk
# inputs are price ratios and capacity events, not instance identities, so they carry over between these.
FAMILIES = [
    "c5", "c5a", "c5ad", "c5d", "c5n", "c6a", "c6g", "c6gd", "c6gn", "c6i", "c6id", "c6in", "c7a", "c7g",
    "c7gd", "c7gn", "c7i", "c7i-flex", "m5", "m5a", "m5ad", "m5d", "m5dn", "m5n", "m5zn", "m6a", "m6g",
    "m6gd", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7g", "m7gd", "m7i", "m7i-flex", "r5", "r5a", "r5ad",
    "r5b", "r5d", "r5dn", "r5n", "r6a", "r6g", "r6gd", "r6i", "r6id", "r6idn", "r6in", "r7a", "r7g", "r7gd",
    "r7i", "r7iz", "t2", "t3", "t3a", "t4g",
]  # fmt: skip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every data file training read, by file name."""
    return {p.name: sha256(p.read_bytes()) for p in sorted(paths)}


def manifest(out: Path, risk: dict[str, Any], rl: dict[str, Any], data: dict[str, str]) -> dict[str, Any]:
    risk_bytes = (out / RISK_FILE).read_bytes()
    rl_bytes = (out / RL_FILE).read_bytes()
    scope = {"cloud": "aws", "supported_instance_families": FAMILIES}
    return {
        "schema_version": "v1",
        "generated_at": GENERATED_AT,
        **scope,
        "model_scope": scope,
        "feature_spec_version": SPEC_VERSION,
        "rl_state_version": RL_STATE_VERSION,
        "horizons_seconds": risk["metadata"]["horizons_seconds"],
        "training_data": data,
        "metrics": {"risk_validation": risk["validation"][risk["kind"]], "rl": rl.get("metrics", {})},
        "default_policy": rl.get("default_policy", "deterministic"),
        "artifacts": {
            RISK_FILE: {
                "path": RISK_FILE,
                "sha256": sha256(risk_bytes),
                "role": RISK,
                "kind": risk["kind"],
                "version": f"risk-{risk['kind']}-2+sha256:{sha256(risk_bytes)[:12]}",
                "external_data": [],
                "description": risk["description"],
                "inputs": {"window": f"float32 [batch, {STEPS}, {N_WINDOW_FEATURES}]"},
                "outputs": {
                    "capacity_score": "float32 [batch, 1]",
                    "runtime_score": "float32 [batch, 1]",
                    "feature_weights": f"float32 [batch, {N_WINDOW_FEATURES}]",
                },
                "training": risk["training"],
            },
            RL_FILE: {
                "path": RL_FILE,
                "sha256": sha256(rl_bytes),
                "role": RL,
                "kind": rl["kind"],
                "version": f"rl-{rl['kind']}-1+sha256:{sha256(rl_bytes)[:12]}",
                "external_data": [],
                "description": rl["description"],
                "inputs": {"state": f"float32 [batch, {N_STATE}]"},
                "outputs": {"q_values": f"float32 [batch, {N_ACTIONS}] in Action order"},
                "training": rl.get("training", {}),
            },
        },
        "parity": {
            "status": "not-applicable",
            "notes": "New models with their own contracts; the earlier bundle still loads through its adapter.",
        },
    }


def write_manifest(out: Path, document: dict[str, Any]) -> None:
    (out / MANIFEST_NAME).write_text(json.dumps(document, indent=2) + "\n")
