"""Node classification (upstream-spec §6.1): capacity type, the autoscaler that owns a node, its pool.

A node belongs to a pool only when an autoscaler is recognised and a pool key is found; unknown and
control-plane nodes belong to none, so SpotVortex never counts or steers capacity it does not manage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spotvortex.collector import labels as L
from spotvortex.contracts.capacity import capacity_type
from spotvortex.contracts.enums import Provisioner

_MANAGERS = {p.value: p for p in Provisioner}


def provisioner(labels: Mapping[str, str], fallback: Provisioner | None = None) -> Provisioner | None:
    """Which autoscaler owns the node; an unrecognised override value falls through to detection.

    Cluster Autoscaler leaves no label of its own, so it is only recognised through the override (or the
    configured fallback).
    """
    override = _MANAGERS.get((labels.get(L.MANAGER) or "").strip().lower())
    if override is not None:
        return override
    if L.NODEPOOL in labels:
        return Provisioner.KARPENTER
    if L.KARPENTER_CAPACITY_TYPE in labels and L.EKS_NODEGROUP not in labels:
        return Provisioner.KARPENTER
    if L.EKS_NODEGROUP in labels:
        return Provisioner.MANAGED_NODEGROUP
    return fallback


def strip_suffix(name: str, suffixes: Sequence[str]) -> str:
    """``web-spot`` → ``web``: the longest configured twin suffix is removed, never the whole name."""
    for suffix in sorted(suffixes, key=len, reverse=True):
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def pool_key(labels: Mapping[str, str], suffixes: Sequence[str]) -> str | None:
    """``spotvortex.io/pool``, else the Karpenter NodePool or EKS node group name without its twin suffix."""
    explicit = (labels.get(L.POOL) or "").strip()
    if explicit:
        return explicit
    group = (labels.get(L.NODEPOOL) or labels.get(L.EKS_NODEGROUP) or "").strip()
    return strip_suffix(group, suffixes) if group else None


def is_control_plane(labels: Mapping[str, str]) -> bool:
    return any(key in labels for key in L.CONTROL_PLANE_LABELS)


@dataclass(frozen=True, slots=True)
class NodeClass:
    capacity_type: str | None
    provisioner: Provisioner | None
    pool: str | None
    control_plane: bool

    @property
    def managed(self) -> bool:
        return self.pool is not None


def classify(
    labels: Mapping[str, str], suffixes: Sequence[str], fallback: Provisioner | None = None
) -> NodeClass:
    control = is_control_plane(labels)
    manager = provisioner(labels, fallback)
    key = pool_key(labels, suffixes) if manager is not None and not control else None
    return NodeClass(capacity_type(labels), manager, key, control)
