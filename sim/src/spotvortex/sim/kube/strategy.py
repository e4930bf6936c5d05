"""Per-type rules the real server's registry strategies apply on writes made through the API.

In-process callers (the simulator playing kubelet and controllers) may write status freely; HTTP clients
get the real behaviour: a created Pod starts ``Pending`` and a custom resource's status is dropped, so a
controller under test cannot accidentally rely on writing status through the main endpoint.
"""

from __future__ import annotations

import enum
from typing import Any

from .resources import ResourceType


class Scope(enum.Enum):
    """Which parts of an object a write may change."""

    ALL = "all"
    """In-process writes: spec, metadata and status together."""
    MAIN = "main"
    """The main endpoint: status is kept as stored when the type has a status subresource."""
    STATUS = "status"
    """The ``/status`` endpoint: only status changes."""


def prepare_for_create(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Reset status on create the way the type's strategy does on a real server."""
    if rt.custom and rt.status_subresource:
        obj.pop("status", None)
    elif rt.kind == "Pod":
        obj["status"] = {"phase": "Pending"}
    elif rt.kind == "Namespace":
        obj["status"] = {"phase": "Active"}
    elif rt.kind == "PodDisruptionBudget":
        obj.pop("status", None)


def names_are_dns_labels(rt: ResourceType) -> bool:
    """Namespaces must be RFC 1123 labels; everything else here accepts subdomains."""
    return rt.kind == "Namespace"


def allows_unconditional_update(rt: ResourceType) -> bool:
    """Built-in types accept a PUT without ``metadata.resourceVersion``; custom resources demand one (422)."""
    return not rt.custom


def returns_deleted_object(rt: ResourceType) -> bool:
    """Pods and custom resources answer DELETE with the object; other types answer with a Status."""
    return rt.kind == "Pod" or rt.custom


_STRUCT_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec", "status"),
    "Node": ("spec", "status"),
    "Namespace": ("spec", "status"),
    "PodDisruptionBudget": ("spec", "status"),
    "Lease": ("spec",),
}


def apply_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Built-in kinds always serialise ``spec``/``status`` (Go structs), so clients never see them absent."""
    for field in _STRUCT_FIELDS.get(rt.kind, ()):
        if not isinstance(obj.get(field), dict):
            obj[field] = {}
