"""Replacement first from twin Auto Scaling groups, the pure part: when a scale-up's new instances can take
the evicted pods, and what a node left without a replacement is told.

Auto Scaling says an instance is InService long before Kubernetes can schedule on it, so readiness needs both
views: every new instance of the preparation InService and Healthy, *and* its node (found by
``spec.providerID``, ``aws:///<zone>/<instance id>``) Ready, schedulable and of the target capacity type.
Plain values in, values out; the adapter (:mod:`spotvortex.drainer.twins`) reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spotvortex.aws.groups import AsgGroupView, instance_id
from spotvortex.aws.shift import Preparation
from spotvortex.drainer.replacement import Readiness, node_problem

UNIT = "new instance(s)"


def nodes_by_instance(nodes: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """EC2 instance id → the node it runs, for nodes whose ``spec.providerID`` names one."""
    found: dict[str, Mapping[str, Any]] = {}
    for node in nodes:
        iid = instance_id((node.get("spec") or {}).get("providerID"))
        if iid is not None:
            found[iid] = node
    return found


def scale_up_readiness(
    preparation: Preparation, group: AsgGroupView, nodes: Iterable[Mapping[str, Any]], target: str
) -> Readiness:
    """Ready once ``prepared`` instances that were not in the group before the scale-up are InService and
    Healthy and run Ready, schedulable nodes of ``target``; ``waiting`` says what each other new instance
    still lacks. A preparation of 0 is never ready: there is no capacity to wait for."""
    before = set(preparation.existing)
    by_instance = nodes_by_instance(nodes)
    bound: list[str] = []
    waiting: list[str] = []
    for instance in group.instances:
        if instance.instance_id in before or instance.leaving:
            continue
        if not instance.in_service:
            waiting.append(f"{instance.instance_id}: {instance.lifecycle_state} ({instance.health_status})")
            continue
        node = by_instance.get(instance.instance_id)
        if node is None:
            waiting.append(f"{instance.instance_id}: no Kubernetes node yet")
            continue
        name = str((node.get("metadata") or {}).get("name") or "")
        problem = node_problem(node, name, target)
        if problem is not None:
            waiting.append(f"{instance.instance_id}: {problem}")
            continue
        bound.append(name)
    missing = preparation.prepared - len(bound) - len(waiting)
    if missing > 0:
        waiting.append(f"{missing} instance(s) not launched yet in {preparation.group}")
    return Readiness(
        ready=preparation.prepared > 0 and len(bound) >= preparation.prepared,
        total=preparation.prepared,
        bound=min(len(bound), preparation.prepared),
        nodes=sorted(bound),
        waiting=waiting,
        unit=UNIT,
    )


def no_slot_detail(preparation: Preparation) -> str:
    """Why a node gets no replacement: the target group's MaxSize let fewer be prepared than were asked."""
    return (
        f"not drained: {preparation.group} could be scaled up by only {preparation.prepared} of the "
        f"{preparation.requested} replacement(s) asked for (its MaxSize), and each is taken by an earlier "
        "node of this job; nothing was cordoned or evicted"
    )
