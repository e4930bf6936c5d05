"""What a node's drain result says: the event itself, and the human-readable ``detail`` that explains it.

Details name pods (bounded, so a node with hundreds of pods still yields a small event) because an operator
reading a shadow report or a rollback wants to know *which* pod would go or stood in the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from spotvortex.contracts import DrainJob, DrainResult, Mode
from spotvortex.drainer.jobs import JobRecord
from spotvortex.drainer.pods import NodePlan, PodDecision, PodPolicy, plan_node

MAX_NAMED = 10


def name_pods(decisions: Sequence[PodDecision], *, with_reason: bool = False) -> str:
    """``ns/a, ns/b (daemonset), … and 3 more``."""
    names = [
        f"{d.pod.key} ({d.reason})" if with_reason and d.reason else d.pod.key for d in decisions[:MAX_NAMED]
    ]
    rest = len(decisions) - MAX_NAMED
    return ", ".join(names) + (f" and {rest} more" if rest > 0 else "")


def name_keys(keys: Sequence[str]) -> str:
    """``ns/a, ns/b, … and 3 more`` from ``namespace/name`` keys."""
    rest = len(keys) - MAX_NAMED
    return ", ".join(keys[:MAX_NAMED]) + (f" and {rest} more" if rest > 0 else "")


def reasons(decisions: Sequence[PodDecision]) -> str:
    """``daemonset ×2, mirror ×1``."""
    counts = Counter(str(d.reason) for d in decisions)
    return ", ".join(f"{reason} ×{n}" for reason, n in sorted(counts.items()))


def describe_blockers(plan: NodePlan) -> str:
    return (
        f"{len(plan.protected)} pod(s) must not be disrupted: {name_pods(plan.protected, with_reason=True)}"
    )


def describe_traits(decisions: Sequence[PodDecision]) -> list[str]:
    """Among pods a drain would evict: those nothing recreates, and those whose ``emptyDir`` data goes."""
    parts = []
    standalone = [d for d in decisions if d.standalone]
    if standalone:
        parts.append(
            f"would evict {len(standalone)} standalone pod(s) nothing recreates: {name_pods(standalone)}"
        )
    emptydir = [d for d in decisions if d.emptydir]
    if emptydir:
        parts.append(f"would delete the emptyDir data of {len(emptydir)} pod(s): {name_pods(emptydir)}")
    return parts


def describe_replacement_preview(job: DrainJob, plan: NodePlan, provider: str | None, timeout: float) -> str:
    """What a shadow drain says about replacement capacity: asked for first, awaited or not, or not at all."""
    if plan.blocked or not plan.evict or not job.replacement_first:
        return ""
    if provider is None:
        return f"would not wait for replacement capacity: no replacement provider for {job.provisioner}"
    target = job.target_capacity_type
    if job.emergency:
        return f"would request {target} replacement capacity ({provider}) and drain at once (emergency)"
    return f"would first wait up to {timeout:.0f}s for {target} replacement capacity ({provider})"


def describe_preview(plan: NodePlan, grace_period_seconds: int, replacement: str = "") -> str:
    """What a shadow drain would have done to the node, in one sentence per verdict."""
    parts: list[str] = []
    if plan.blocked:
        parts.append(f"would not drain: {describe_blockers(plan)}")
    elif plan.evict:
        if replacement:
            parts.append(replacement)
        parts.append(
            f"would cordon and evict {len(plan.evict)} pod(s) with a {grace_period_seconds}s grace period: "
            f"{name_pods(plan.evict)}"
        )
        if plan.protected:
            parts.append(f"emergency overrides protection of {name_pods(plan.protected, with_reason=True)}")
        parts.extend(describe_traits(plan.evict))
    else:
        parts.append("would cordon; no pod to evict")
    if plan.skip:
        parts.append(f"would leave {len(plan.skip)} pod(s): {name_pods(plan.skip, with_reason=True)}")
    return "; ".join(parts)


def describe_drained(
    evicted: int,
    skipped: Sequence[PodDecision],
    overridden: int,
    grace: int,
    *,
    standalone: Sequence[str] = (),
    emptydir: Sequence[str] = (),
) -> str:
    parts = [f"evicted {evicted} pod(s) with a {grace}s grace period"]
    if skipped:
        parts.append(f"left {len(skipped)} ({reasons(skipped)})")
    if overridden:
        parts.append(f"emergency overrode the protection of {overridden} pod(s)")
    if standalone:
        parts.append(f"{len(standalone)} standalone pod(s) not recreated: {name_keys(standalone)}")
    if emptydir:
        parts.append(f"emptyDir data of {len(emptydir)} pod(s) deleted: {name_keys(emptydir)}")
    return "; ".join(parts)


def result_for(record: JobRecord, i: int, *, cluster: str | None = None) -> DrainResult:
    """The result event of node ``i``, built only from the record so a re-publish is byte-identical."""
    node = record.nodes[i]
    if node.outcome is None or node.finished_at is None:
        raise ValueError(f"node {node.node} of job {record.job_id} has no outcome yet")
    job = record.job
    return DrainResult(
        job_id=job.job_id,
        cluster=cluster or job.cluster,
        pool=job.pool,
        node=node.node,
        time=node.finished_at,
        mode=record.mode,
        outcome=node.outcome,
        pods_evicted=node.pods_evicted,
        pods_skipped=node.pods_skipped,
        pods_blocked=node.pods_blocked,
        detail=node.detail,
    )


def preview_node(
    job: DrainJob,
    node: str,
    pods: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    grace_period_seconds: int,
    policy: PodPolicy | None = None,
    replacement_provider: str | None = None,
    replacement_timeout: float = 600.0,
) -> DrainResult:
    """The ``would-drain`` result of one node from its pods: what shadow mode publishes, without any I/O.

    ``replacement_provider`` names what would bring up replacement capacity for the job's provisioner
    (``None``: nothing would, and the drain would not wait)."""
    plan = plan_node(pods, emergency=job.emergency, policy=policy)
    replacement = describe_replacement_preview(job, plan, replacement_provider, replacement_timeout)
    return DrainResult(
        job_id=job.job_id,
        cluster=job.cluster,
        pool=job.pool,
        node=node,
        time=now,
        mode=Mode.SHADOW,
        outcome="would-drain",
        pods_evicted=0 if plan.blocked else len(plan.evict),
        pods_skipped=len(plan.skip),
        pods_blocked=len(plan.protected),
        detail=describe_preview(plan, grace_period_seconds, replacement),
    )
