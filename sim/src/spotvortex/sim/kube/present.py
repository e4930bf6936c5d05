"""How stored objects look on the wire: in the requested version, lists shaped like the real ones."""

from __future__ import annotations

import copy
from typing import Any

from .resources import ResourceType


def as_version(obj: dict[str, Any], rt: ResourceType, version: str) -> dict[str, Any]:
    """A copy labelled with the requested version (all versions share storage, no field conversion)."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = rt.api_version(version)
    out["kind"] = rt.kind
    return out


def list_body(
    rt: ResourceType, version: str, items: list[dict[str, Any]], resource_version: int
) -> dict[str, Any]:
    """An ``XList``. Built-in items carry no ``kind``/``apiVersion`` on the wire; custom ones do."""
    shown = []
    for item in items:
        if rt.custom:
            shown.append(as_version(item, rt, version))
        else:
            shown.append({k: v for k, v in item.items() if k not in ("kind", "apiVersion")})
    return {
        "kind": rt.list_kind,
        "apiVersion": rt.api_version(version),
        "metadata": {"resourceVersion": str(resource_version)},
        "items": shown,
    }


def success_status(code: int = 200, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    if code != 200:
        body["code"] = code
    return body
