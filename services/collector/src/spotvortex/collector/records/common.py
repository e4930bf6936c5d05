"""What every record parser shares: object keys and the small readers of API dictionaries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

Obj = Mapping[str, Any]
PodKey = tuple[str, str]  # (namespace, name)
PdbKey = tuple[str, str]
OwnerKey = tuple[str, str, str]  # (namespace, kind, name): namespaced, so equal names never collide

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def meta_of(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def condition(obj: Obj, kind: str) -> Mapping[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond  # type: ignore[no-any-return]
    return None


def labels_of(meta: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
