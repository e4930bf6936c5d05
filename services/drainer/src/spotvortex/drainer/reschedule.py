"""Whether the evicted pods came back elsewhere: judged only where it can be, by counting the owner's pods.

A pod evicted from a node is gone; what matters is that its controller made a replacement that runs on
another node. That is checkable for ReplicaSets and StatefulSets (Deployments act through ReplicaSets): before
the first eviction, count the owner's Running pods (on every node); after, count its Running pods that are not
on the drained node. When the second count is back to the first, the owner's pods were rescheduled. Jobs,
bare pods and other controllers are not judged (their pods need not come back), and the result says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

JUDGED_KINDS = frozenset({"ReplicaSet", "StatefulSet"})


class OwnerCount(msgspec.Struct, frozen=True, kw_only=True):
    """One controller of evicted pods and how many of its pods were Running before the drain."""

    kind: str
    namespace: str
    name: str
    uid: str
    running_before: int = 0

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.name} ({self.kind})"


def _controller(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def _running(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not (pod.get("metadata") or {}).get(
        "deletionTimestamp"
    )


def owners_of(pods: Iterable[Mapping[str, Any]]) -> list[OwnerCount]:
    """The judged controllers of ``pods`` (the pods to evict), each once, counts not yet known."""
    found: dict[str, OwnerCount] = {}
    for pod in pods:
        ref = _controller(pod)
        if ref is None or ref.get("kind") not in JUDGED_KINDS or not ref.get("uid"):
            continue
        uid = str(ref["uid"])
        if uid not in found:
            found[uid] = OwnerCount(
                kind=str(ref["kind"]),
                namespace=str((pod.get("metadata") or {}).get("namespace") or "default"),
                name=str(ref.get("name") or ""),
                uid=uid,
            )
    return list(found.values())


def _count(owner: OwnerCount, pods: Iterable[Mapping[str, Any]], *, not_on: str | None = None) -> int:
    total = 0
    for pod in pods:
        ref = _controller(pod)
        if ref is None or ref.get("uid") != owner.uid or not _running(pod):
            continue
        if not_on is not None and (pod.get("spec") or {}).get("nodeName") == not_on:
            continue
        total += 1
    return total


def with_baseline(owners: Iterable[OwnerCount], pods: Iterable[Mapping[str, Any]]) -> list[OwnerCount]:
    """``owners`` with ``running_before`` counted from ``pods`` (the pods of their namespaces, any node)."""
    listed = list(pods)
    return [msgspec.structs.replace(o, running_before=_count(o, listed)) for o in owners]


class Rescheduled(msgspec.Struct, frozen=True, kw_only=True):
    """``waiting`` holds the owners whose pods are not all back, with how many run elsewhere now."""

    owners: int
    waiting: list[tuple[OwnerCount, int]] = []

    @property
    def done(self) -> bool:
        return not self.waiting

    def describe(self) -> str:
        if not self.owners:
            return ""
        if self.done:
            return f"replacements of the evicted pods of {self.owners} owner(s) are Running elsewhere"
        parts = [f"{o.label} {n} of {o.running_before} Running elsewhere" for o, n in self.waiting[:5]]
        more = len(self.waiting) - 5
        return f"{len(self.waiting)} of {self.owners} owner(s) not rescheduled yet: {', '.join(parts)}" + (
            f" and {more} more" if more > 0 else ""
        )


def rescheduled(owners: Iterable[OwnerCount], pods: Iterable[Mapping[str, Any]], node: str) -> Rescheduled:
    """Whether every owner has as many Running pods off ``node`` as it had Running before the drain."""
    listed = list(pods)
    known = list(owners)
    waiting = []
    for owner in known:
        elsewhere = _count(owner, listed, not_on=node)
        if elsewhere < owner.running_before:
            waiting.append((owner, elsewhere))
    return Rescheduled(owners=len(known), waiting=waiting)
