"""Pods: requests, owner, and the per-pod inputs of the workload profile (upstream-spec §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spotvortex.collector import labels as L
from spotvortex.collector.quantity import quantity
from spotvortex.collector.records.common import (
    TERMINAL_PHASES,
    Obj,
    OwnerKey,
    PodKey,
    condition,
    labels_of,
    meta_of,
    parse_time,
)


@dataclass(frozen=True, slots=True)
class PodRecord:
    namespace: str
    name: str
    node: str | None
    labels: Mapping[str, str]
    owner: OwnerKey | None
    daemonset: bool
    stateful: bool
    cpu_request: float
    memory_request: float
    weight: float
    startup_seconds: float | None
    penalty_hours: float
    penalty_override: bool
    priority_score: float
    critical: bool
    do_not_disrupt: bool
    placeholder: bool = False  # holds room for a drain's replacement capacity: not a workload

    @property
    def key(self) -> PodKey:
        return (self.namespace, self.name)


def parse_seconds(raw: str) -> float | None:
    """``45``, ``45s``, ``2m``, ``500ms``, ``1h`` → seconds; anything else → None."""
    text = raw.strip().lower()
    scale = 1.0
    for suffix, factor in (("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)], factor
            break
    try:
        value = float(text) * scale
    except ValueError:
        return None
    return value if value > 0 else None


def parse_hours(raw: str) -> float | None:
    """``10h`` or a bare ``10`` → 10 hours; ``30m`` → 0.5; anything else → None."""
    text = raw.strip().lower()
    if not text:
        return None
    try:
        hours = float(text.removesuffix("h"))
    except ValueError:
        seconds = parse_seconds(text)
        hours = seconds / 3600 if seconds is not None else 0.0
    return hours if hours > 0 else None


def _requests(containers: list[Mapping[str, Any]]) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in containers:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += quantity(req.get("cpu"))
        mem += quantity(req.get("memory"))
    return cpu, mem


def _effective_requests(spec: Mapping[str, Any]) -> tuple[float, float, float]:
    """What the scheduler reserves: max(sum of containers, largest init container) plus pod overhead.

    Also returns the containers' own CPU requests, which weigh the pod in the workload profile.
    """
    cpu, mem = _requests(spec.get("containers") or [])
    own_cpu = cpu
    for init in spec.get("initContainers") or []:
        icpu, imem = _requests([init])
        cpu, mem = max(cpu, icpu), max(mem, imem)
    overhead = spec.get("overhead") or {}
    return cpu + quantity(overhead.get("cpu")), mem + quantity(overhead.get("memory")), own_cpu


def _startup(annotations: Mapping[str, str], obj: Obj) -> float | None:
    override = parse_seconds(annotations.get(L.STARTUP_TIME, ""))
    if override is not None:
        return override
    ready = condition(obj, "Ready")
    if ready is None or ready.get("status") != "True":
        return None
    began = parse_time((obj.get("status") or {}).get("startTime"))
    became = parse_time(ready.get("lastTransitionTime"))
    if began is None or became is None:
        return None
    seconds = (became - began).total_seconds()
    return seconds if seconds > 0 else None


SYSTEM_PRIORITY = 2_000_000_000
"""The value of ``system-cluster-critical``; admission writes a pod's resolved priority to ``spec.priority``."""


def _system_critical(priority_class: str, priority: object) -> bool:
    """Either system class by name, or their priority value under any name (a renamed or cloned class)."""
    if priority_class in ("system-node-critical", "system-cluster-critical"):
        return True
    return isinstance(priority, int) and not isinstance(priority, bool) and priority >= SYSTEM_PRIORITY


def _base_penalty(priority_class: str, system: bool) -> float:
    if system:
        return 48.0
    if "high" in priority_class:
        return 12.0
    if "low" in priority_class:
        return 1.0
    return 4.0


def _priority(annotations: Mapping[str, str], priority_class: str, system: bool) -> float:
    tier = annotations.get(L.MIGRATION_TIER, "").strip()
    if tier in ("0", "1", "2"):
        return {"0": 1.0, "1": 0.5, "2": 0.25}[tier]
    if system or "system" in priority_class:
        return 1.0
    if "high" in priority_class:
        return 0.75
    if "low" in priority_class:
        return 0.25
    return 0.5


def _controller(meta: Mapping[str, Any], namespace: str) -> OwnerKey | None:
    refs = meta.get("ownerReferences") or []
    chosen = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    if chosen is None:
        return None
    return (namespace, str(chosen.get("kind", "")), str(chosen.get("name", "")))


def is_terminal(obj: Obj) -> bool:
    return (obj.get("status") or {}).get("phase") in TERMINAL_PHASES


def pod_record(obj: Obj) -> PodRecord:
    """Per-pod inputs of the workload profile (upstream-spec §2.4).

    Priority follows the upstream rules (migration-tier annotation, then the PriorityClass name), except
    that a pod at system-critical priority counts as system-critical whatever its class is called. An
    ``spotvortex.io/outage-penalty`` annotation is the owner's own statement of the cost and is used as
    written; the multipliers only adjust the derived default.
    """
    meta = meta_of(obj)
    spec = obj.get("spec") or {}
    namespace = str(meta.get("namespace") or "default")
    annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    owner = _controller(meta, namespace)
    priority_class = str(spec.get("priorityClassName") or "")
    cpu, mem, own_cpu = _effective_requests(spec)
    penalty_hours = parse_hours(annotations.get(L.OUTAGE_PENALTY, ""))
    system = _system_critical(priority_class, spec.get("priority"))
    priority = _priority(annotations, priority_class, system)
    return PodRecord(
        namespace=namespace,
        name=str(meta.get("name", "")),
        node=spec.get("nodeName") or None,
        labels=labels_of(meta),
        owner=owner,
        daemonset=owner is not None and owner[1] == "DaemonSet",
        stateful=owner is not None and owner[1] == "StatefulSet",
        cpu_request=cpu,
        memory_request=mem,
        weight=own_cpu if own_cpu > 0 else 1.0,
        startup_seconds=_startup(annotations, obj),
        penalty_hours=penalty_hours if penalty_hours is not None else _base_penalty(priority_class, system),
        penalty_override=penalty_hours is not None,
        priority_score=priority,
        critical=annotations.get(L.CRITICAL, "").strip().lower() == "true" or priority >= 0.75,
        do_not_disrupt=annotations.get(L.DO_NOT_DISRUPT, "").strip().lower() == "true"
        or annotations.get(L.SAFE_TO_EVICT, "").strip().lower() == "false",
        placeholder=str(labels_of(meta).get(L.PLACEHOLDER, "")).lower() == "true",
    )
