"""The resource types the emulator serves, and how names map to them.

One table drives discovery, routing, storage keys and the per-type rules the real server applies
(status subresource, which fields a field selector may name, whether strategic merge is allowed), so
adding a type is one entry here rather than edits across the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .errors import ApiError

_COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})

_POD_FIELDS = frozenset(
    {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    }
)
_EVENT_FIELDS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)

KARPENTER_GROUP = "karpenter.sh"
KARPENTER_VERSIONS = ("v1", "v1beta1")
CRUD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource (all its versions share a single storage, like a multi-version CRD)."""

    group: str
    versions: tuple[str, ...]
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    status_subresource: bool = False
    custom: bool = False
    categories: tuple[str, ...] = ()
    extra_fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def storage_version(self) -> str:
        """The first served version; objects are stored and handed to in-process callers in it."""
        return self.versions[0]

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def field_selectors(self) -> frozenset[str]:
        """Field labels a ``fieldSelector`` may use; others are a 400 as on a real server."""
        return _COMMON_FIELDS | self.extra_fields

    @property
    def allows_strategic_merge(self) -> bool:
        """Custom resources have no Go struct tags, so the real server refuses strategic merge (415)."""
        return not self.custom

    def api_version(self, version: str | None = None) -> str:
        v = version or self.storage_version
        return f"{self.group}/{v}" if self.group else v


def _builtin_types() -> list[ResourceType]:
    return [
        ResourceType(
            "",
            ("v1",),
            "namespaces",
            "namespace",
            "Namespace",
            False,
            ("ns",),
            status_subresource=True,
            extra_fields=frozenset({"status.phase"}),
        ),
        ResourceType(
            "",
            ("v1",),
            "nodes",
            "node",
            "Node",
            False,
            ("no",),
            status_subresource=True,
            extra_fields=frozenset({"spec.unschedulable"}),
        ),
        ResourceType(
            "",
            ("v1",),
            "pods",
            "pod",
            "Pod",
            True,
            ("po",),
            status_subresource=True,
            categories=("all",),
            extra_fields=_POD_FIELDS,
        ),
        ResourceType("", ("v1",), "events", "event", "Event", True, ("ev",), extra_fields=_EVENT_FIELDS),
        ResourceType("", ("v1",), "configmaps", "configmap", "ConfigMap", True, ("cm",)),
        ResourceType("coordination.k8s.io", ("v1",), "leases", "lease", "Lease", True),
        ResourceType(
            "policy",
            ("v1",),
            "poddisruptionbudgets",
            "poddisruptionbudget",
            "PodDisruptionBudget",
            True,
            ("pdb",),
            status_subresource=True,
        ),
    ]


def _karpenter_types(versions: tuple[str, ...]) -> list[ResourceType]:
    if not versions:
        return []
    return [
        ResourceType(
            KARPENTER_GROUP,
            versions,
            "nodepools",
            "nodepool",
            "NodePool",
            False,
            status_subresource=True,
            custom=True,
            categories=("karpenter",),
        ),
        ResourceType(
            KARPENTER_GROUP,
            versions,
            "nodeclaims",
            "nodeclaim",
            "NodeClaim",
            False,
            status_subresource=True,
            custom=True,
            categories=("karpenter",),
        ),
    ]


class Registry:
    """Looks resource types up by URL parts, by object, or by any name kubectl would accept."""

    def __init__(self, karpenter_versions: Sequence[str] = KARPENTER_VERSIONS) -> None:
        unknown = set(karpenter_versions) - set(KARPENTER_VERSIONS)
        if unknown:
            raise ValueError(f"unsupported karpenter.sh versions: {sorted(unknown)}")
        ordered = tuple(v for v in KARPENTER_VERSIONS if v in karpenter_versions)
        self.types: list[ResourceType] = _builtin_types() + _karpenter_types(ordered)
        self._by_key = {t.key: t for t in self.types}

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self.types)

    def get(self, group: str, plural: str) -> ResourceType:
        return self._by_key[(group, plural)]

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        rt = self._by_key.get((group, plural))
        if rt is None or version not in rt.versions:
            return None
        return rt

    def group_versions(self) -> dict[str, list[str]]:
        """Every served group (``""`` is the legacy core group) with its versions, preferred first."""
        out: dict[str, list[str]] = {}
        for rt in self.types:
            versions = out.setdefault(rt.group, [])
            for v in rt.versions:
                if v not in versions:
                    versions.append(v)
        out.setdefault("policy", ["v1"])  # pods/eviction lives in policy/v1 even without PDBs
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self.types if rt.group == group and version in rt.versions]

    def for_object(self, obj: dict[str, object]) -> ResourceType:
        """The type of a manifest, from its ``apiVersion`` and ``kind``."""
        api_version = str(obj.get("apiVersion") or "")
        kind = str(obj.get("kind") or "")
        group, _, version = api_version.rpartition("/")
        for rt in self.types:
            if rt.group == group and rt.kind == kind and version in rt.versions:
                return rt
        raise ApiError(400, f'no matches for kind "{kind}" in version "{api_version}"')

    def resolve(self, name: str) -> ResourceType:
        """A type from a plural, singular, kind, short name or ``plural.group`` (case-insensitive)."""
        wanted = name.lower()
        for rt in self.types:
            names = {rt.plural, rt.singular, rt.kind.lower(), rt.qualified, *rt.short_names}
            if wanted in names:
                return rt
        raise KeyError(f"unknown resource type: {name}")
