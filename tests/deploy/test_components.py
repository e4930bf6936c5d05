"""The optional components (TLS to NATS, ServiceMonitor, scaling inference on its backlog) render on top of
the base and validate, and do what they say: every service then connects with TLS and verifies the server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kubernetes_validate
import yaml

from .paths import KUSTOMIZE
from .rendered import KUBECTL, named, of_kind

OPTIONAL = ("nats-tls", "service-monitor", "inference-pending-hpa")


def test_optional_components_render_validate_and_apply(tmp_path: Path) -> None:
    root = os.path.relpath(KUSTOMIZE, tmp_path)  # kustomize wants relative paths to other roots
    components = "\n".join(f"  - {root}/components/{c}" for c in OPTIONAL)
    (tmp_path / "kustomization.yaml").write_text(f"resources:\n  - {root}/base\ncomponents:\n{components}\n")
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    resources = [r for r in yaml.safe_load_all(done.stdout) if r]
    for resource in resources:
        if not resource["apiVersion"].startswith("monitoring.coreos.com/"):
            kubernetes_validate.validate(resource, "1.37.0", strict=True)
    (settings,) = [
        c for c in of_kind(resources, "ConfigMap") if c["metadata"]["name"].startswith("spotvortex-settings")
    ]
    assert settings["data"]["SPOTVORTEX_NATS__SERVERS"] == "tls://spotvortex-nats:4222"
    for deployment in of_kind(resources, "Deployment"):
        mounts = deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        assert {"name": "nats-tls", "mountPath": "/etc/spotvortex/nats-tls", "readOnly": True} in mounts
    nats = named(resources, "StatefulSet", "spotvortex-nats")["spec"]["template"]["spec"]["containers"][0]
    assert nats["args"][1] == "/etc/nats/nats-server-tls.conf"
    (nats_config,) = [
        c
        for c in of_kind(resources, "ConfigMap")
        if c["metadata"]["name"].startswith("spotvortex-nats-config")
    ]
    assert {"nats-server.conf", "auth.conf", "tls.conf", "nats-server-tls.conf"} <= set(nats_config["data"])
    assert of_kind(resources, "ServiceMonitor")
    metrics = named(resources, "HorizontalPodAutoscaler", "spotvortex-inference")["spec"]["metrics"]
    assert [m["type"] for m in metrics] == ["Resource", "External"]
