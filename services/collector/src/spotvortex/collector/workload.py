"""The request-weighted workload profile of a pool (upstream-spec §2.4), with the upstream bugs fixed.

Fixes, each deliberate:
- DaemonSet pods and completed (Succeeded/Failed) pods are not workload: they neither move with a drain
  nor suffer an outage from one, so they are left out of every statistic here (the index drops completed
  pods entirely; DaemonSet pods still count towards utilisation, since they hold node resources).
- A pod is "restricted" when a PDB that selects *that pod* has no disruption to spare, not when any PDB of
  its namespace is exhausted.
- Every PDB selecting a pod is considered, not only the first found: a pod is evictable only when no PDB
  guards it, or exactly one does and allows a disruption (the eviction API refuses pods guarded by two).
- Replicas are counted among live pods of the same controller in the same namespace, so two ReplicaSets
  with one name in different namespaces never borrow each other's replica count.
- Pods that ask not to be disrupted (``karpenter.sh/do-not-disrupt: "true"``,
  ``cluster-autoscaler.kubernetes.io/safe-to-evict: "false"``) are counted and are not evictable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spotvortex.contracts.telemetry import WorkloadProfile

DEFAULT_STARTUP_SECONDS = 60.0
DEFAULT_PENALTY_HOURS = 4.0
DEFAULT_PRIORITY = 0.5


@dataclass(frozen=True, slots=True)
class PodFacts:
    """One workload pod of the pool, with what its pool and its PDBs make of it."""

    weight: float
    startup_seconds: float | None
    penalty_hours: float
    priority_score: float
    critical: bool
    stateful: bool
    evictable: bool
    do_not_disrupt: bool
    on_spot: bool


def outage_penalty(
    base_hours: float, *, override: bool, restricted: bool, stateful: bool, replicas: int
) -> float:
    """Hours of outage cost: doubled when its PDB is exhausted, doubled again for StatefulSet pods, halved
    for replicated pods that are not restricted. An annotated penalty is used as written."""
    if override:
        return base_hours
    hours = base_hours * (2.0 if restricted else 1.0)
    if stateful:
        return hours * 2.0
    if replicas >= 2 and not restricted:
        return hours * 0.5
    return hours


def weighted_p95(samples: Sequence[tuple[float, float]]) -> float | None:
    """The first value (ascending) whose cumulative weight reaches 95 % of the total."""
    if not samples:
        return None
    ordered = sorted(samples)
    total = sum(w for _, w in ordered)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= 0.95 * total:
            return value
    return ordered[-1][0]


def profile(pods: Sequence[PodFacts]) -> WorkloadProfile:
    """Weighted means and maxima over the workload pods; the defaults when the pool has none."""
    if not pods:
        return WorkloadProfile()
    total = sum(p.weight for p in pods)
    startup = weighted_p95([(p.startup_seconds, p.weight) for p in pods if p.startup_seconds is not None])
    return WorkloadProfile(
        pod_startup_p95_seconds=startup if startup is not None else DEFAULT_STARTUP_SECONDS,
        outage_penalty_hours=sum(p.penalty_hours * p.weight for p in pods) / total,
        max_outage_penalty_hours=max(p.penalty_hours for p in pods),
        priority_score=min(1.0, sum(p.priority_score * p.weight for p in pods) / total),
        max_priority_score=max(p.priority_score for p in pods),
        has_critical_pod=any(p.critical for p in pods),
        workload_pods=len(pods),
        stateful_pods=sum(p.stateful for p in pods),
        do_not_disrupt_pods=sum(p.do_not_disrupt for p in pods),
    )
