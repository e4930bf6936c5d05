"""Which pods a drain evicts, which it leaves where they are, and which forbid the drain.

Decided from the pod manifest alone (the JSON the API server returns), so the simulator, the evaluation and
the service classify a node the same way:

- *skipped* pods are not evicted and do not stop the drain: DaemonSet pods (their controller ignores
  cordons and would recreate them), mirror pods of static manifests (the API cannot remove them), pods
  already terminating or completed (nothing left to disrupt), and another drain's replacement placeholders
  (their own job deletes them);
- *blocked* pods carry an explicit "do not disrupt me" (``karpenter.sh/do-not-disrupt: "true"``,
  ``cluster-autoscaler.kubernetes.io/safe-to-evict: "false"``, or a configured protected namespace), or are
  what the operator chose to protect: standalone pods (no controller would recreate them, as ``kubectl
  drain`` refuses without ``--force``) and pods with ``emptyDir`` data (lost on eviction, as ``kubectl
  drain`` refuses without ``--delete-emptydir-data``). The node is not drained. An emergency (the instance
  is going away anyway) evicts them regardless, and still reports them, so the override is never silent;
- everything else is evicted through the Eviction API, which enforces PodDisruptionBudgets.

Skip reasons win over block reasons: a terminating pod protected by an annotation is already leaving.
Every decision also says whether the pod is standalone or has ``emptyDir`` data, so a result can name the
evicted pods that will not come back or whose scratch data was deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import msgspec

from spotvortex.drainer.replacement import is_placeholder

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
    PLACEHOLDER = "placeholder"
    DO_NOT_DISRUPT = "do-not-disrupt"
    SAFE_TO_EVICT_FALSE = "safe-to-evict-false"
    PROTECTED_NAMESPACE = "protected-namespace"
    STANDALONE = "standalone"
    EMPTYDIR = "emptydir"


class PodPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Operator choices on top of the annotations: extra protected namespaces, whether standalone pods
    (no controller: nothing would recreate them) block a drain, and whether pods with ``emptyDir`` volumes
    do. ``PodPolicy()`` blocks neither; the drainer's own default (``DrainerConfig().pod_policy()``) blocks
    standalone pods."""

    protected_namespaces: frozenset[str] = frozenset()
    block_standalone: bool = False
    block_emptydir: bool = False


class PodRef(msgspec.Struct, frozen=True, kw_only=True):
    namespace: str
    name: str
    uid: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class PodDecision(msgspec.Struct, frozen=True, kw_only=True):
    """``overridden`` marks a blocked pod that an emergency evicts anyway; ``standalone`` and ``emptydir``
    describe the pod whatever the verdict (nothing recreates it; it has ``emptyDir`` data)."""

    pod: PodRef
    verdict: Verdict
    reason: Reason = Reason.NONE
    overridden: bool = False
    standalone: bool = False
    emptydir: bool = False


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
    if is_placeholder(pod):
        return Reason.PLACEHOLDER
    return None


def is_standalone(pod: Mapping[str, Any]) -> bool:
    """No controller owns the pod: once evicted, nothing recreates it."""
    return not any(ref.get("controller") for ref in (pod.get("metadata") or {}).get("ownerReferences") or [])


def has_emptydir(pod: Mapping[str, Any]) -> bool:
    """The pod has an ``emptyDir`` volume, whose data an eviction deletes."""
    return any("emptyDir" in (v or {}) for v in (pod.get("spec") or {}).get("volumes") or [])


def _block_reason(pod: Mapping[str, Any], policy: PodPolicy) -> Reason | None:
    meta = pod.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if str(annotations.get(DO_NOT_DISRUPT, "")).strip().lower() == "true":
        return Reason.DO_NOT_DISRUPT
    if str(annotations.get(SAFE_TO_EVICT, "")).strip().lower() == "false":
        return Reason.SAFE_TO_EVICT_FALSE
    if meta.get("namespace") in policy.protected_namespaces:
        return Reason.PROTECTED_NAMESPACE
    if policy.block_standalone and is_standalone(pod):
        return Reason.STANDALONE
    if policy.block_emptydir and has_emptydir(pod):
        return Reason.EMPTYDIR
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
    standalone, emptydir = is_standalone(pod), has_emptydir(pod)
    if block is None:
        return PodDecision(pod=ref, verdict=Verdict.EVICT, standalone=standalone, emptydir=emptydir)
    return PodDecision(
        pod=ref,
        verdict=Verdict.EVICT if emergency else Verdict.BLOCK,
        reason=block,
        overridden=emergency,
        standalone=standalone,
        emptydir=emptydir,
    )


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

    def evicted_manifests(self, pods: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The manifests among ``pods`` (those the plan was made from) that this plan evicts, in its order."""
        by_key = {pod_ref(p).key: p for p in pods}
        return [by_key[d.pod.key] for d in self.evict if d.pod.key in by_key]


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
