"""The eviction subresource's decision: may this pod go now, given the PDBs that guard it?

Mirrors the API server's checks in order, because a drainer's behaviour (retry on 429, give up on 500)
depends on which error comes back: terminal, pending or already-terminating pods skip the budget; more
than one matching PDB is a 500; an exhausted budget is a 429 with a ``DisruptionBudget`` cause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ApiError
from .pdb import is_pod_ready

PDB_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_PDBS = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)


def ignores_budget(pod: Mapping[str, Any]) -> bool:
    """Pods that cause no new disruption when removed are evicted without consulting any PDB."""
    phase = (pod.get("status") or {}).get("phase")
    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    return phase in ("Succeeded", "Failed", "Pending") or deleting


def _too_many_requests(pdb: Mapping[str, Any], status: Mapping[str, Any]) -> ApiError:
    name = (pdb.get("metadata") or {}).get("name")
    cause = (
        f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy pods "
        f"and has {status.get('currentHealthy', 0)} currently"
    )
    return ApiError(
        429,
        PDB_VIOLATION,
        details={"causes": [{"reason": "DisruptionBudget", "message": cause}]},
    )


def eviction_refusal(pod: Mapping[str, Any], pdbs: Sequence[Mapping[str, Any]]) -> ApiError | None:
    """Why the eviction must be refused, or ``None`` to delete the pod; ``pdbs`` are those matching it."""
    if ignores_budget(pod) or not pdbs:
        return None
    if len(pdbs) > 1:
        return ApiError(500, MULTIPLE_PDBS)
    pdb = pdbs[0]
    status = pdb.get("status") or {}
    generation = int((pdb.get("metadata") or {}).get("generation") or 0)
    if int(status.get("observedGeneration") or 0) < generation:
        name = (pdb.get("metadata") or {}).get("name")
        return ApiError(
            429,
            f"{PDB_VIOLATION} The disruption budget {name} is still being processed by the server.",
            details={"causes": [{"reason": "DisruptionBudget", "message": "still being processed"}]},
        )
    if not is_pod_ready(pod):
        # An unready pod adds no disruption; the default IfHealthyBudget policy only needs the
        # budget itself to be met, AlwaysAllow does not even need that.
        policy = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
        if policy == "AlwaysAllow":
            return None
        if int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy") or 0):
            return None
        return _too_many_requests(pdb, status)
    if int(status.get("disruptionsAllowed") or 0) < 1:
        return _too_many_requests(pdb, status)
    return None
