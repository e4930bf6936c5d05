"""Kubernetes Events on the drained node, one per step, so ``kubectl describe node`` tells the drain's story.

A core/v1 Event in ``default`` (where Events about cluster-scoped objects live) whose ``involvedObject`` is
the Node. Its name is derived from the node, the job and the reason, so each step of a job is told once per
node: a retried request, a restarted drainer or a budget refusing the same eviction a hundred times yields an
``AlreadyExists`` instead of a second Event. Pure: the adapter (:mod:`spotvortex.drainer.recorder`) sends it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

COMPONENT = "spotvortex-drainer"
EVENT_NAMESPACE = "default"
MAX_MESSAGE = 1024


class EventReason(StrEnum):
    REPLACEMENT_REQUESTED = "SpotVortexReplacementRequested"
    REPLACEMENT_READY = "SpotVortexReplacementReady"
    REPLACEMENT_TIMED_OUT = "SpotVortexReplacementTimedOut"
    CORDON = "SpotVortexCordon"
    EVICTION_BLOCKED = "SpotVortexEvictionBlocked"
    DRAINED = "SpotVortexDrained"
    ROLLBACK = "SpotVortexRollback"
    UNCORDON = "SpotVortexUncordon"


_WARNINGS = frozenset({EventReason.REPLACEMENT_TIMED_OUT, EventReason.EVICTION_BLOCKED, EventReason.ROLLBACK})
_ACTIONS = {
    EventReason.REPLACEMENT_REQUESTED: "RequestReplacement",
    EventReason.REPLACEMENT_READY: "RequestReplacement",
    EventReason.REPLACEMENT_TIMED_OUT: "RequestReplacement",
    EventReason.CORDON: "Cordon",
    EventReason.EVICTION_BLOCKED: "Evict",
    EventReason.DRAINED: "Drain",
    EventReason.ROLLBACK: "Drain",
    EventReason.UNCORDON: "Uncordon",
}


def event_name(node: str, job_id: str, reason: EventReason) -> str:
    """``<node>.<hash>``: like the names kubelet gives, unique per (node, job, reason), at most 253 chars."""
    digest = hashlib.sha256(f"{node}\x00{job_id}\x00{reason}".encode()).hexdigest()[:16]
    return f"{node[:200].rstrip('.-')}.{digest}"


def event_type(reason: EventReason) -> str:
    return "Warning" if reason in _WARNINGS else "Normal"


def node_event(
    *,
    node: str,
    node_uid: str,
    job_id: str,
    reason: EventReason,
    message: str,
    now: datetime,
    instance: str = "",
) -> dict[str, Any]:
    """The Event manifest for one step of ``job_id`` on ``node``."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    involved: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "name": node}
    if node_uid:
        involved["uid"] = node_uid
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(node, job_id, reason),
            "namespace": EVENT_NAMESPACE,
            "annotations": {"spotvortex.io/drain-job": job_id},
        },
        "involvedObject": involved,
        "reason": str(reason),
        "message": message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…",
        "type": event_type(reason),
        "action": _ACTIONS[reason],
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance or COMPONENT,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
