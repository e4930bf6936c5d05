"""Turn a request path into the resource, namespace, name and subresource it addresses.

The server routes by hand rather than with one aiohttp route per type because the URL grammar is
recursive (``/api/v1/namespaces/{ns}`` is an object, ``/api/v1/namespaces/{ns}/pods`` a collection) and
unknown paths must answer with a ``Status`` 404 the way the real server does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .resources import Registry, ResourceType


@dataclass(frozen=True)
class ResourcePath:
    """A request for a resource collection, object or subresource."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass(frozen=True)
class GroupVersionPath:
    """Discovery of one group/version (``/api/v1``, ``/apis/policy/v1``)."""

    group: str
    version: str


def split_group_version(parts: list[str]) -> tuple[str, str, list[str]] | None:
    """``["api","v1",...]`` or ``["apis",group,version,...]`` → group, version and the rest."""
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


def parse_resource_path(path: str, registry: Registry) -> ResourcePath | GroupVersionPath | None:
    """What ``path`` addresses, or ``None`` if nothing is served there (a 404)."""
    parts = [p for p in path.split("/") if p]
    split = split_group_version(parts)
    if split is None:
        return None
    group, version, rest = split
    if version not in registry.group_versions().get(group, []):
        return None
    if not rest:
        return GroupVersionPath(group, version)
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = registry.by_path(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    rt = registry.by_path(group, version, rest[0])
    if rt is None or len(rest) > 3:
        return None
    if rt.namespaced and namespace is None and len(rest) > 1:
        return None  # a namespaced object must be addressed through its namespace
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return ResourcePath(rt, version, namespace, name, sub)
