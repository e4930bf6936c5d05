"""A minimal OpenAPI v3 surface: enough for kubectl to choose server-side field validation.

``kubectl apply``/``create`` refuse to run ("failed to download openapi") unless they can learn from
OpenAPI whether the server supports the ``fieldValidation`` parameter. We publish, per group/version,
one PATCH operation per resource carrying that parameter and the ``x-kubernetes-group-version-kind``
extension, and no schemas. PATCH does not advertise strategic merge, so kubectl computes apply patches
from its compiled-in types (built-ins) or as merge patches (custom resources), both of which we serve.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import Registry, ResourceType


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _object_path(rt: ResourceType, version: str) -> str:
    prefix = "/" + _gv_path(rt.group, version)
    if rt.namespaced:
        return f"{prefix}/namespaces/{{namespace}}/{rt.plural}/{{name}}"
    return f"{prefix}/{rt.plural}/{{name}}"


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def group_version_document(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = registry.in_group_version(group, version)
    if not types:
        return None
    paths: dict[str, Any] = {}
    for rt in types:
        gvk = {"group": rt.group, "version": version, "kind": rt.kind}
        paths[_object_path(rt, version)] = {
            "patch": {
                "operationId": f"patch{rt.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [_query(p) for p in ("dryRun", "fieldManager", "fieldValidation", "force")],
                "requestBody": {
                    "content": {
                        "application/json-patch+json": {"schema": {"type": "object"}},
                        "application/merge-patch+json": {"schema": {"type": "object"}},
                    },
                    "required": True,
                },
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def index_document(registry: Registry) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for group, versions in registry.group_versions().items():
        for version in versions:
            doc = group_version_document(registry, group, version)
            if doc is None:
                continue
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
            key = _gv_path(group, version)
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}


def document_for_path(registry: Registry, path: str) -> dict[str, Any] | None:
    """``/openapi/v3`` or ``/openapi/v3/apis/policy/v1`` → its document, ``None`` if not served."""
    rest = [p for p in path.split("/") if p][2:]
    if not rest:
        return index_document(registry)
    if rest[0] == "api" and len(rest) == 2:
        return group_version_document(registry, "", rest[1])
    if rest[0] == "apis" and len(rest) == 3:
        return group_version_document(registry, rest[1], rest[2])
    return None
