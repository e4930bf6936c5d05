"""PodDisruptionBudget arithmetic, as the disruption controller computes a PDB's status.

Drainers decide from ``status.disruptionsAllowed`` and the eviction API enforces it, so the numbers must
follow the controller's rules exactly: percentages round up, and ``maxUnavailable`` turns into
``desiredHealthy = expected - roundup(pct * expected)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .selectors import label_selector_matches, labels_match, requirements_from_label_selector


def resolve_int_or_percent(value: int | str, total: int, round_up: bool = True) -> int:
    """An ``IntOrString`` against ``total``: ``3`` → 3, ``"50%"`` of 5 → 3 (or 2 without rounding up)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError as exc:
            raise ValueError(f"invalid value for IntOrString: invalid value {text!r}") from exc
        scaled = pct * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    if text.lstrip("-").isdigit():
        return int(text)
    raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage: {text!r}")


def _condition_true(pod: Mapping[str, Any], kind: str) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return bool(cond.get("status") == "True")
    return False


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    return _condition_true(pod, "Ready")


def is_pod_healthy(pod: Mapping[str, Any]) -> bool:
    """Counts toward ``currentHealthy``: Running, Ready, and not being deleted."""
    meta = pod.get("metadata") or {}
    phase = (pod.get("status") or {}).get("phase")
    return phase == "Running" and is_pod_ready(pod) and not meta.get("deletionTimestamp")


def pdb_selects(pdb: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """A PDB guards pods of its own namespace matching its selector (``{}`` guards all, none guards none)."""
    pdb_ns = (pdb.get("metadata") or {}).get("namespace")
    pod_meta = pod.get("metadata") or {}
    if pdb_ns != pod_meta.get("namespace"):
        return False
    return label_selector_matches((pdb.get("spec") or {}).get("selector"), pod_meta.get("labels"))


def desired_healthy(spec: Mapping[str, Any], expected: int) -> int:
    """Pods that must stay healthy, from ``minAvailable`` or ``maxUnavailable``."""
    if spec.get("maxUnavailable") is not None:
        unavailable = resolve_int_or_percent(spec["maxUnavailable"], expected, round_up=True)
        return max(0, expected - unavailable)
    if spec.get("minAvailable") is not None:
        return resolve_int_or_percent(spec["minAvailable"], expected, round_up=True)
    return 0


def disruptions_allowed(current_healthy: int, desired: int) -> int:
    return max(0, current_healthy - desired)


ScaleOf = Callable[[str, Mapping[str, Any]], "int | None"]
"""(namespace, controller ownerReference) → the controller's replica count, when known."""


def _controller(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def expected_count(
    spec: Mapping[str, Any], selected: list[Mapping[str, Any]], namespace: str, scale_of: ScaleOf | None
) -> int:
    """Like the disruption controller: an integer ``minAvailable`` counts pods; ``maxUnavailable`` and
    percentages count the controllers' replicas, so evicted pods still count until replaced."""
    min_available = spec.get("minAvailable")
    if scale_of is None or (min_available is not None and not str(min_available).endswith("%")):
        return len(selected)
    total, seen, loose = 0, set(), 0
    for pod in selected:
        ref = _controller(pod)
        key = (ref.get("kind"), ref.get("name")) if ref else None
        if key is None:
            loose += 1
            continue
        if key in seen:
            continue
        seen.add(key)
        scale = scale_of(namespace, ref) if ref else None
        total += scale if scale is not None else sum(1 for p in selected if _controller(p) == ref)
    return total + loose


def compute_pdb_status(
    pdb: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]],
    previous: Mapping[str, Any] | None,
    now: str,
    scale_of: ScaleOf | None = None,
) -> dict[str, Any]:
    """The status the disruption controller would write for ``pdb`` given the namespace's ``pods``.

    ``previous`` is the old status so the condition's ``lastTransitionTime`` only moves on a flip;
    ``scale_of`` tells controllers' replica counts (without it, the selected pods are the expectation).
    """
    selector = (pdb.get("spec") or {}).get("selector")
    namespace = (pdb.get("metadata") or {}).get("namespace")
    reqs = requirements_from_label_selector(selector) if selector is not None else None
    selected = [
        p
        for p in pods
        if reqs is not None
        and (p.get("metadata") or {}).get("namespace") == namespace
        and labels_match(reqs, (p.get("metadata") or {}).get("labels"))
    ]
    expected = expected_count(pdb.get("spec") or {}, selected, namespace or "", scale_of)
    healthy = sum(1 for p in selected if is_pod_healthy(p))
    desired = desired_healthy(pdb.get("spec") or {}, expected)
    allowed = disruptions_allowed(healthy, desired)
    generation = int((pdb.get("metadata") or {}).get("generation") or 0)
    flag = "True" if allowed > 0 else "False"
    old = next(
        (c for c in (previous or {}).get("conditions") or [] if c.get("type") == "DisruptionAllowed"),
        None,
    )
    since = old["lastTransitionTime"] if old and old.get("status") == flag else now
    return {
        "observedGeneration": generation,
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": flag,
                "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
                "message": "",
                "observedGeneration": generation,
                "lastTransitionTime": since,
            }
        ],
    }
