"""Strategic-merge rules of the built-in kinds, as their Go struct tags declare them.

The real server reads ``patchStrategy``/``patchMergeKey`` tags; we list the ones our kinds carry. A field
not listed is atomic: lists are replaced whole. That is why node ``taints`` and pod ``tolerations`` are
replaced (neither has a merge key upstream) while ``containers`` merge by ``name``.
Paths name fields from the object root and skip list levels: ``("spec", "containers", "env")``.
"""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple[str, ...]


@dataclass(frozen=True)
class MergeByKey:
    """A list of objects merged element-wise, matched on ``key``."""

    key: str


@dataclass(frozen=True)
class MergePrimitives:
    """A list of scalars merged as a set union (``patchStrategy:"merge"`` on ``[]string``)."""


@dataclass(frozen=True)
class Replace:
    """A field replaced whole even though it is a map (``patchStrategy:"replace"``)."""


Rule = MergeByKey | MergePrimitives | Replace


def _containers(prefix: Path) -> dict[Path, Rule]:
    return {
        prefix: MergeByKey("name"),
        (*prefix, "ports"): MergeByKey("containerPort"),
        (*prefix, "env"): MergeByKey("name"),
        (*prefix, "volumeMounts"): MergeByKey("mountPath"),
        (*prefix, "volumeDevices"): MergeByKey("devicePath"),
    }


_METADATA: dict[Path, Rule] = {
    ("metadata", "ownerReferences"): MergeByKey("uid"),
    ("metadata", "finalizers"): MergePrimitives(),
}

_POD: dict[Path, Rule] = {
    **_containers(("spec", "containers")),
    **_containers(("spec", "initContainers")),
    **_containers(("spec", "ephemeralContainers")),
    ("spec", "volumes"): MergeByKey("name"),
    ("spec", "imagePullSecrets"): MergeByKey("name"),
    ("spec", "hostAliases"): MergeByKey("ip"),
    ("spec", "topologySpreadConstraints"): MergeByKey("topologyKey"),
    ("spec", "schedulingGates"): MergeByKey("name"),
    ("spec", "resourceClaims"): MergeByKey("name"),
    ("status", "conditions"): MergeByKey("type"),
    ("status", "podIPs"): MergeByKey("ip"),
    ("status", "hostIPs"): MergeByKey("ip"),
    ("status", "resourceClaimStatuses"): MergeByKey("name"),
}

_NODE: dict[Path, Rule] = {
    ("spec", "podCIDRs"): MergePrimitives(),
    ("status", "conditions"): MergeByKey("type"),
    ("status", "addresses"): MergeByKey("type"),
}

_BY_KIND: dict[str, dict[Path, Rule]] = {
    "Pod": _POD,
    "Node": _NODE,
    "Namespace": {("status", "conditions"): MergeByKey("type")},
    "PodDisruptionBudget": {
        ("spec", "selector"): Replace(),
        ("status", "conditions"): MergeByKey("type"),
    },
}


def rules_for(kind: str) -> dict[Path, Rule]:
    """Every non-default rule for ``kind``, metadata rules included."""
    return {**_METADATA, **_BY_KIND.get(kind, {})}
