"""Whether a pod may run on a node: the scheduler's filters, shared with the Karpenter simulator.

Karpenter decides where a pending pod *could* go by asking the same questions of the labels and taints a
node would have, so both use these functions and can never disagree about a pod's placement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .quantity import cpu_millis, memory_mib

Obj = Mapping[str, Any]
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def requests_of(pod: Obj) -> tuple[int, int]:
    """(CPU millicores, memory MiB) the pod requests: the sum over containers, or the largest init one."""
    spec = pod.get("spec") or {}

    def total(containers: Iterable[Obj]) -> tuple[int, int]:
        cpu = mem = 0
        for c in containers:
            req = (c.get("resources") or {}).get("requests") or {}
            cpu += cpu_millis(req.get("cpu", 0))
            mem += memory_mib(req.get("memory", 0))
        return cpu, mem

    cpu, mem = total(spec.get("containers") or [])
    for init in spec.get("initContainers") or []:
        icpu, imem = total([init])
        cpu, mem = max(cpu, icpu), max(mem, imem)
    return cpu, mem


def priority_of(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def _toleration_matches(toleration: Obj, taint: Obj) -> bool:
    effect = toleration.get("effect")
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key")
    operator = toleration.get("operator") or "Equal"
    if not key:
        return operator == "Exists"
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def tolerates(pod: Obj, taints: Iterable[Obj]) -> bool:
    """True when every NoSchedule/NoExecute taint is tolerated (PreferNoSchedule never blocks)."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in taints:
        if taint.get("effect") not in BLOCKING_EFFECTS:
            continue
        if not any(_toleration_matches(t, taint) for t in tolerations):
            return False
    return True


def _expression_matches(expr: Obj, labels: Mapping[str, str]) -> bool:
    key, op = expr.get("key", ""), expr.get("operator", "In")
    values = [str(v) for v in expr.get("values") or []]
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        try:
            have, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > bound if op == "Gt" else have < bound
    return False


def selector_matches(pod: Obj, labels: Mapping[str, str]) -> bool:
    """``nodeSelector`` and required node affinity (terms OR-ed, expressions AND-ed) against node labels."""
    spec = pod.get("spec") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = affinity.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(
        all(_expression_matches(e, labels) for e in term.get("matchExpressions") or []) for term in terms
    )


def node_admits(pod: Obj, labels: Mapping[str, str], taints: Iterable[Obj]) -> bool:
    """Labels and taints allow the pod (capacity is checked separately)."""
    return selector_matches(pod, labels) and tolerates(pod, taints)
