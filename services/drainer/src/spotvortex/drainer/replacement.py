"""Replacement first, the pure part: placeholder pods that make Karpenter bring up capacity, and when it
is there.

Before a node is drained, the capacity its pods will move to must exist, or the evicted pods sit Pending (and
a move to On-Demand made because Spot is at risk would make things worse). With Karpenter the way to ask for
capacity of a given type is the over-provisioning pattern: one placeholder pod per pod the drain will evict,
with the same cpu and memory requests, pinned to the target capacity type (and to the pool's NodePools).
Karpenter launches nodes for them like for any Pending pod; once every placeholder runs on a Ready,
schedulable node of the target type, the placeholders are deleted and the evicted pods take their place.

Plain dicts in, values out, no I/O: the drainer and the evaluation simulator call these same functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from spotvortex.contracts import DrainJob
from spotvortex.contracts.capacity import capacity_type
from spotvortex.drainer.requests import request_texts

PLACEHOLDER_IMAGE = "registry.k8s.io/pause:3.10"
CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"
NODEPOOL_LABEL = "karpenter.sh/nodepool"

PLACEHOLDER_LABEL = "spotvortex.io/placeholder"
"""``"true"`` on every placeholder: how a drain recognises one on a node (and leaves it to its own job)."""
JOB_LABEL = "spotvortex.io/placeholder-job"
NODE_LABEL = "spotvortex.io/placeholder-node"
JOB_ANNOTATION = "spotvortex.io/drain-job"
NODE_ANNOTATION = "spotvortex.io/drained-node"
REPLACES_ANNOTATION = "spotvortex.io/replaces-pod"
MANAGED_BY = ("app.kubernetes.io/managed-by", "spotvortex-drainer")

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class PlaceholderPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Where placeholders live and how they rank: with a (negative) ``priority_class_name`` the scheduler
    preempts a placeholder for any real pod, so a placeholder never keeps a real pod Pending."""

    namespace: str = "spotvortex"
    priority_class_name: str = ""
    image: str = PLACEHOLDER_IMAGE


def _digest(*parts: str, size: int = 16) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:size]


def label_value(text: str) -> str:
    """``text`` if it is a valid label value, else a stable hash of it (job ids and node names may not be)."""
    if len(text) <= 63 and _LABEL_VALUE.match(text):
        return text
    return f"h-{_digest(text, size=32)}"


def placeholder_name(job_id: str, node: str, pod_key: str) -> str:
    """The placeholder for ``pod_key`` (``namespace/name``) when ``node`` is drained by ``job_id``.

    Derived, never random, so a drainer that restarts finds (or re-creates) exactly the placeholders it
    recorded and never creates a second set.
    """
    return f"spotvortex-placeholder-{_digest(job_id, node, pod_key)}"


def placeholder_selector(job_id: str, node: str) -> str:
    """The label selector of a node's placeholders for one job."""
    return f"{PLACEHOLDER_LABEL}=true,{JOB_LABEL}={label_value(job_id)},{NODE_LABEL}={label_value(node)}"


def is_placeholder(pod: Mapping[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return str(labels.get(PLACEHOLDER_LABEL, "")).lower() == "true"


def _pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"


def _affinity(nodepools: Sequence[str]) -> dict[str, Any]:
    term = {"matchExpressions": [{"key": NODEPOOL_LABEL, "operator": "In", "values": list(nodepools)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def placeholder_pod(
    job: DrainJob, node: str, pod: Mapping[str, Any], policy: PlaceholderPolicy | None = None
) -> dict[str, Any]:
    """The placeholder for one pod the drain of ``node`` will evict (the pod as the API returns it)."""
    policy = policy or PlaceholderPolicy()
    key = _pod_key(pod)
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "pause",
                "image": policy.image,
                "resources": {"requests": request_texts(pod)},
            }
        ],
        "nodeSelector": {CAPACITY_TYPE_LABEL: str(job.target_capacity_type)},
        "terminationGracePeriodSeconds": 0,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if job.nodepools:
        spec["affinity"] = _affinity(job.nodepools)
    if policy.priority_class_name:
        spec["priorityClassName"] = policy.priority_class_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": placeholder_name(job.job_id, node, key),
            "namespace": policy.namespace,
            "labels": {
                PLACEHOLDER_LABEL: "true",
                JOB_LABEL: label_value(job.job_id),
                NODE_LABEL: label_value(node),
                MANAGED_BY[0]: MANAGED_BY[1],
            },
            "annotations": {JOB_ANNOTATION: job.job_id, NODE_ANNOTATION: node, REPLACES_ANNOTATION: key},
        },
        "spec": spec,
    }


def placeholder_pods(
    job: DrainJob, node: str, pods: Iterable[Mapping[str, Any]], policy: PlaceholderPolicy | None = None
) -> list[dict[str, Any]]:
    """One placeholder per pod in ``pods`` — the pods the drain of ``node`` will evict, in that order."""
    return [placeholder_pod(job, node, pod, policy) for pod in pods]


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    """Whether the replacement is there: ``ready`` once every placeholder runs where the evicted pods can go.

    ``waiting`` says, per placeholder (or instance) that is not there yet, why (``namespace/name: reason``);
    ``missing`` names the expected placeholders that do not exist (to be created again); ``nodes`` are the
    nodes the ready placeholders (or instances) are.
    """

    ready: bool
    total: int
    bound: int
    nodes: list[str] = []
    waiting: list[str] = []
    missing: list[str] = []
    unit: str = "placeholder pod(s)"
    """What ``total`` counts: placeholder pods, or an Auto Scaling group's new instances."""

    def summary(self) -> str:
        text = f"{self.bound} of {self.total} {self.unit} on Ready nodes of the target type"
        if self.waiting:
            shown = ", ".join(self.waiting[:5])
            more = len(self.waiting) - 5
            text += f"; waiting for {shown}" + (f" and {more} more" if more > 0 else "")
        return text


def node_is_ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def node_problem(node: Mapping[str, Any] | None, name: str, target: str) -> str | None:
    """Why ``node`` cannot take evicted pods of capacity type ``target``, or ``None`` when it can."""
    if node is None:
        return f"node {name} not found"
    if (node.get("metadata") or {}).get("deletionTimestamp"):
        return f"node {name} is being deleted"
    if not node_is_ready(node):
        return f"node {name} is not Ready"
    if (node.get("spec") or {}).get("unschedulable"):
        return f"node {name} is cordoned"
    found = capacity_type((node.get("metadata") or {}).get("labels") or {})
    if found != target:
        return f"node {name} is {found or 'of unknown capacity type'}, not {target}"
    return None


def replacement_readiness(
    placeholders: Iterable[Mapping[str, Any]],
    nodes: Iterable[Mapping[str, Any]],
    target: str,
    *,
    expected: Iterable[str] | None = None,
) -> Readiness:
    """Whether the placeholders (as the API returns them) all run on Ready, schedulable nodes of ``target``
    (``"spot"`` or ``"on-demand"``); ``nodes`` are the node objects they may be bound to. Names in
    ``expected`` that are not among ``placeholders`` count as missing. No placeholder at all is not ready:
    there is nothing that shows capacity was made."""
    by_name = {str((n.get("metadata") or {}).get("name")): n for n in nodes}
    present = list(placeholders)
    seen = {str((p.get("metadata") or {}).get("name")) for p in present}
    missing = sorted(set(expected or ()) - seen)
    waiting = [f"{name}: not created" for name in missing]
    bound_nodes: list[str] = []
    for pod in present:
        meta = pod.get("metadata") or {}
        label = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
        node_name = (pod.get("spec") or {}).get("nodeName")
        if meta.get("deletionTimestamp"):
            waiting.append(f"{label}: being deleted")
            continue
        if not node_name:
            waiting.append(f"{label}: not scheduled")
            continue
        problem = node_problem(by_name.get(node_name), node_name, target)
        if problem is not None:
            waiting.append(f"{label}: {problem}")
            continue
        bound_nodes.append(node_name)
    return Readiness(
        ready=bool(present) and not waiting,
        total=len(present) + len(missing),
        bound=len(bound_nodes),
        nodes=sorted(set(bound_nodes)),
        waiting=waiting,
        missing=missing,
    )
