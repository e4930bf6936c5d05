"""Manifests the emulator tests create, kept small and explicit."""

from __future__ import annotations

from typing import Any


def node(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}


def pod(
    name: str,
    *,
    namespace: str = "default",
    node_name: str | None = None,
    labels: dict[str, str] | None = None,
    ready: bool = False,
    phase: str | None = None,
) -> dict[str, Any]:
    """A pod manifest; ``ready=True`` gives it the status a kubelet reports for a Running, Ready pod."""
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "registry.local/app:1"}]}
    if node_name:
        spec["nodeName"] = node_name
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": spec,
    }
    if ready:
        body["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    elif phase:
        body["status"] = {"phase": phase}
    return body


def pdb(
    name: str,
    match_labels: dict[str, str],
    *,
    namespace: str = "default",
    min_available: int | str | None = None,
    max_unavailable: int | str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": match_labels}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def nodepool(name: str, version: str = "v1", finalizers: list[str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if finalizers:
        meta["finalizers"] = finalizers
    return {
        "apiVersion": f"karpenter.sh/{version}",
        "kind": "NodePool",
        "metadata": meta,
        "spec": {"limits": {"cpu": "100"}, "disruption": {"consolidationPolicy": "WhenEmpty"}},
    }
