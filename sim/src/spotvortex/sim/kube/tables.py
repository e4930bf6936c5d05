"""Server-side printing: the ``Table`` a real API server returns when kubectl asks for ``as=Table``.

kubectl shows exactly the columns the server sends, so this is what makes ``kubectl get nodes`` show
``Ready,SchedulingDisabled`` for a cordoned node, and ages measured on the emulator's clock (the simulated
world's time) rather than the terminal's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .resources import ResourceType

Column = tuple[str, str, Callable[[dict[str, Any], datetime], Any]]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def human_age(seconds: float) -> str:
    """kubectl's short duration format (``45s``, ``3m12s``, ``47m``, ``5h3m``, ``36h``, ``4d2h``, ``20d``)."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if d < 8:
        return f"{d}d{h % 24}h"
    return f"{d}d"


def _age(obj: dict[str, Any], now: datetime) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    return human_age((now - datetime.fromisoformat(str(created).replace("Z", "+00:00"))).total_seconds())


def _name(obj: dict[str, Any], _: datetime) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _node_status(obj: dict[str, Any], _: datetime) -> str:
    conditions = (obj.get("status") or {}).get("conditions") or []
    ready = next((c.get("status") for c in conditions if c.get("type") == "Ready"), None)
    status = {"True": "Ready", "False": "NotReady"}.get(str(ready), "Unknown")
    if (obj.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    return status


def _node_roles(obj: dict[str, Any], _: datetime) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    return ",".join(roles) or "<none>"


def _node_version(obj: dict[str, Any], _: datetime) -> str:
    return str(((obj.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""))


def _pod_ready(obj: dict[str, Any], _: datetime) -> str:
    containers = (obj.get("spec") or {}).get("containers") or []
    statuses = (obj.get("status") or {}).get("containerStatuses")
    if statuses is None:  # no kubelet report: the pod-level Ready condition stands for every container
        conditions = (obj.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        return f"{len(containers) if ready else 0}/{len(containers)}"
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(containers)}"


def _pod_status(obj: dict[str, Any], _: datetime) -> str:
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    return str((obj.get("status") or {}).get("phase") or "Pending")


def _pod_restarts(obj: dict[str, Any], _: datetime) -> int:
    return sum(
        int(s.get("restartCount", 0)) for s in (obj.get("status") or {}).get("containerStatuses") or []
    )


def _pod_node(obj: dict[str, Any], _: datetime) -> str:
    return str((obj.get("spec") or {}).get("nodeName") or "<none>")


COLUMNS: dict[str, list[Column]] = {
    "Node": [
        ("Name", "string", _name),
        ("Status", "string", _node_status),
        ("Roles", "string", _node_roles),
        ("Age", "string", _age),
        ("Version", "string", _node_version),
    ],
    "Pod": [
        ("Name", "string", _name),
        ("Ready", "string", _pod_ready),
        ("Status", "string", _pod_status),
        ("Restarts", "integer", _pod_restarts),
        ("Age", "string", _age),
        ("Node", "string", _pod_node),
    ],
}
DEFAULT: list[Column] = [("Name", "string", _name), ("Age", "string", _age)]
WIDE_ONLY = {("Pod", "Node")}


def table_body(
    rt: ResourceType, version: str, items: list[dict[str, Any]], resource_version: int, now: datetime
) -> dict[str, Any]:
    columns = COLUMNS.get(rt.kind, DEFAULT)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": [
            {
                "name": name,
                "type": kind,
                "format": "name" if name == "Name" else "",
                "description": "",
                "priority": 1 if (rt.kind, name) in WIDE_ONLY else 0,
            }
            for name, kind, _ in columns
        ],
        "rows": [
            {
                "cells": [cell(item, now) for _, _, cell in columns],
                "object": {**copy.deepcopy(item), "kind": rt.kind, "apiVersion": rt.api_version(version)},
            }
            for item in items
        ],
    }
