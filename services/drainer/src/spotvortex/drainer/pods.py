"""Which pods a drain evicts, which it leaves where they are, and which forbid the drain.

Decided from the pod manifest alone (the JSON the API server returns), so the simulator, the evaluation and
the service classify a node the same way:

- *skipped* pods are not evicted and do not stop the drain: DaemonSet pods (their controller ignores
  cordons and would recreate them), mirror pods of static manifests (the API cannot remove them), and pods
  already terminating or completed (nothing left to disrupt);
- *blocked* pods carry an explicit "do not disrupt me" (``karpenter.sh/do-not-disrupt: "true"``,
  ``cluster-autoscaler.kubernetes.io/safe-to-evict: "false"``, or a configured protected namespace): the
  node is not drained. An emergency (the instance is going away anyway) evicts them regardless, and still
  reports them, so the override is never silent;
- everything else is evicted through the Eviction API, which enforces PodDisruptionBudgets.

Skip reasons win over block reasons: a terminating pod protected by an annotation is already leaving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import msgspec

DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
MIRROR = "kubernetes.io/config.mirror"


class Verdict(StrEnum):
    EVICT = "evict"
    SKIP = "skip"
    BLOCK = "block"


class Reason(StrEnum):
    """Why a pod is skipped or blocked; ``NONE`` for an ordinary evictable pod."""

    NONE = ""
    DAEMONSET = "daemonset"
    MIRROR = "mirror"
    TERMINATING = "terminating"
    COMPLETED = "completed"
    DO_NOT_DISRUPT = "do-not-disrupt"
    SAFE_TO_EVICT_FALSE = "safe-to-evict-false"
    PROTECTED_NAMESPACE = "protected-namespace"
    UNMANAGED = "unmanaged"


class PodPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Operator choices on top of the annotations: extra protected namespaces, and whether pods without a
    controller (nothing would recreate them) block a drain, as ``kubectl drain`` does without ``--force``."""

    protected_namespaces: frozenset[str] = frozenset()
    block_unmanaged: bool = False


class PodRef(msgspec.Struct, frozen=True, kw_only=True):
    namespace: str
    name: str
    uid: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class PodDecision(msgspec.Struct, frozen=True, kw_only=True):
    """``overridden`` marks a blocked pod that an emergency evicts anyway."""

    pod: PodRef
    verdict: Verdict
    reason: Reason = Reason.NONE
    overridden: bool = False


def pod_ref(pod: Mapping[str, Any]) -> PodRef:
    meta = pod.get("metadata") or {}
    return PodRef(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or ""),
        uid=str(meta.get("uid") or ""),
    )


def _skip_reason(pod: Mapping[str, Any]) -> Reason | None:
    meta = pod.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if MIRROR in annotations:
        return Reason.MIRROR
    if any(ref.get("kind") == "DaemonSet" for ref in meta.get("ownerReferences") or []):
        return Reason.DAEMONSET
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return Reason.COMPLETED
    if meta.get("deletionTimestamp"):
        return Reason.TERMINATING
    return None


def _block_reason(pod: Mapping[str, Any], policy: PodPolicy) -> Reason | None:
    meta = pod.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if str(annotations.get(DO_NOT_DISRUPT, "")).strip().lower() == "true":
        return Reason.DO_NOT_DISRUPT
    if str(annotations.get(SAFE_TO_EVICT, "")).strip().lower() == "false":
        return Reason.SAFE_TO_EVICT_FALSE
    if meta.get("namespace") in policy.protected_namespaces:
        return Reason.PROTECTED_NAMESPACE
    if policy.block_unmanaged and not any(ref.get("controller") for ref in meta.get("ownerReferences") or []):
        return Reason.UNMANAGED
    return None


def classify_pod(
    pod: Mapping[str, Any], *, emergency: bool = False, policy: PodPolicy | None = None
) -> PodDecision:
    """The drain's verdict on one pod (a Kubernetes Pod as JSON, camelCase keys as on the wire)."""
    ref = pod_ref(pod)
    skip = _skip_reason(pod)
    if skip is not None:
        return PodDecision(pod=ref, verdict=Verdict.SKIP, reason=skip)
    block = _block_reason(pod, policy or PodPolicy())
    if block is None:
        return PodDecision(pod=ref, verdict=Verdict.EVICT)
    if emergency:
        return PodDecision(pod=ref, verdict=Verdict.EVICT, reason=block, overridden=True)
    return PodDecision(pod=ref, verdict=Verdict.BLOCK, reason=block)


class NodePlan(msgspec.Struct, frozen=True, kw_only=True):
    """A node's pods sorted by verdict. ``protected`` lists every pod with a block reason: in an emergency
    they are also in ``evict`` (overridden), otherwise the node is ``blocked`` and nothing is evicted."""

    evict: list[PodDecision] = []
    skip: list[PodDecision] = []
    protected: list[PodDecision] = []
    emergency: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.protected) and not self.emergency


def plan_node(
    pods: Iterable[Mapping[str, Any]], *, emergency: bool = False, policy: PodPolicy | None = None
) -> NodePlan:
    """Classify every pod of a node; the order of ``evict`` follows the input (the API's listing order)."""
    evict: list[PodDecision] = []
    skip: list[PodDecision] = []
    protected: list[PodDecision] = []
    for pod in pods:
        decision = classify_pod(pod, emergency=emergency, policy=policy)
        if decision.verdict is Verdict.SKIP:
            skip.append(decision)
            continue
        if decision.reason is not Reason.NONE:
            protected.append(decision)
        if decision.verdict is Verdict.EVICT:
            evict.append(decision)
    return NodePlan(evict=evict, skip=skip, protected=protected, emergency=emergency)
