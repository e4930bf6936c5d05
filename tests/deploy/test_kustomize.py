"""Every overlay renders with kubectl kustomize and its built-in kinds validate offline against the
Kubernetes 1.37 schemas (kubernetes-validate ships them); overlays set their knobs in one place."""

from __future__ import annotations

import kubernetes_validate
import pytest

from .paths import KUSTOMIZE, OVERLAYS
from .rendered import env_file, named, of_kind, render

TARGETS = ("base", *(f"overlays/{o}" for o in OVERLAYS))
SERVICES = ("collector", "inference", "gates", "router", "drainer")
CRD_GROUPS = ("karpenter.sh/", "monitoring.coreos.com/")


@pytest.mark.parametrize("target", TARGETS)
def test_renders_and_validates(target: str) -> None:
    resources = render(target)
    assert resources
    for resource in resources:
        if resource["apiVersion"].startswith(CRD_GROUPS):
            continue
        try:
            kubernetes_validate.validate(resource, "1.37.0", strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(
                f"{resource['kind']}/{resource['metadata']['name']}: {err.message} at {list(err.path)}"
            )


@pytest.mark.parametrize("target", TARGETS)
def test_every_service_is_deployed_hardened_and_probed(target: str) -> None:
    resources = render(target)
    for service in SERVICES:
        deployment = named(resources, "Deployment", f"spotvortex-{service}")
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["args"] == ["run", service]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert pod["serviceAccountName"] == f"spotvortex-{service}"
        user = {e["name"]: e for e in container["env"]}["SPOTVORTEX_NATS__USER"]
        assert user["value"] == service
        named(resources, "Service", f"spotvortex-{service}-metrics")
        named(resources, "PodDisruptionBudget", f"spotvortex-{service}")
    hpa = named(resources, "HorizontalPodAutoscaler", "spotvortex-inference")
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert named(resources, "StatefulSet", "spotvortex-nats")["spec"]["template"]["spec"]["containers"][0][
        "image"
    ].startswith("nats:")
    assert of_kind(resources, "NetworkPolicy")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_mode_cluster_scope_and_budgets_come_from_the_overlay_settings_file(overlay: str) -> None:
    """One place per overlay: its settings.env becomes the ConfigMap every service reads its environment from."""
    settings = env_file((KUSTOMIZE / "overlays" / overlay / "settings.env").read_text())
    for key in (
        "SPOTVORTEX_CLUSTER",
        "SPOTVORTEX_MODE",
        "SPOTVORTEX_INFERENCE__SUPPORTED_INSTANCE_FAMILIES",
        "SPOTVORTEX_GATES__POOL_DRAIN_FRACTION",
        "SPOTVORTEX_GATES__CLUSTER_DRAIN_FRACTION",
    ):
        assert key in settings, key
    resources = render(f"overlays/{overlay}")
    (config,) = [
        c for c in of_kind(resources, "ConfigMap") if c["metadata"]["name"].startswith("spotvortex-settings")
    ]
    assert config["data"] == settings
    for deployment in of_kind(resources, "Deployment"):
        if deployment["metadata"]["name"] == "spotvortex-sim":
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
        assert not any(e["name"] in settings for e in container["env"])


def test_modes_follow_the_overlay_names() -> None:
    modes = {
        o: env_file((KUSTOMIZE / "overlays" / o / "settings.env").read_text())["SPOTVORTEX_MODE"]
        for o in OVERLAYS
    }
    assert modes == {
        "local-sim": "enforce",
        "karpenter-shadow": "shadow",
        "karpenter-enforce": "enforce",
        "asg-enforce": "enforce",
    }


@pytest.mark.parametrize("overlay", ["karpenter-shadow", "karpenter-enforce", "asg-enforce"])
def test_irsa_roles_are_annotated_on_the_aws_callers_only(overlay: str) -> None:
    resources = render(f"overlays/{overlay}")
    annotated = {
        sa["metadata"]["name"]
        for sa in of_kind(resources, "ServiceAccount")
        if "eks.amazonaws.com/role-arn" in (sa["metadata"].get("annotations") or {})
    }
    asg = {"spotvortex-router", "spotvortex-drainer"} if overlay == "asg-enforce" else set()
    assert annotated == {"spotvortex-collector"} | asg
