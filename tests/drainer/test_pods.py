"""Pod classification: every skip and block reason, emergencies, and the node plan built from them."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.drainer import PodPolicy, Reason, Verdict, classify_pod, plan_node

from .support import pod


@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        (pod("ds", "n1", owner="DaemonSet"), Reason.DAEMONSET),
        (
            pod("static", "n1", owner="Node", annotations={"kubernetes.io/config.mirror": "abc"}),
            Reason.MIRROR,
        ),
        (pod("done", "n1", phase="Succeeded"), Reason.COMPLETED),
        (pod("crashed", "n1", phase="Failed"), Reason.COMPLETED),
        (pod("leaving", "n1", deleting=True), Reason.TERMINATING),
    ],
)
def test_pods_that_a_drain_leaves_where_they_are(manifest: dict[str, Any], reason: Reason) -> None:
    for emergency in (False, True):
        decision = classify_pod(manifest, emergency=emergency)
        assert (decision.verdict, decision.reason) == (Verdict.SKIP, reason)


@pytest.mark.parametrize(
    ("annotations", "reason"),
    [
        ({"karpenter.sh/do-not-disrupt": "true"}, Reason.DO_NOT_DISRUPT),
        ({"karpenter.sh/do-not-disrupt": "True"}, Reason.DO_NOT_DISRUPT),
        ({"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}, Reason.SAFE_TO_EVICT_FALSE),
    ],
)
def test_protected_pods_block_unless_it_is_an_emergency(annotations: dict[str, str], reason: Reason) -> None:
    manifest = pod("db-0", "n1", annotations=annotations)
    blocked = classify_pod(manifest)
    assert (blocked.verdict, blocked.reason, blocked.overridden) == (Verdict.BLOCK, reason, False)
    forced = classify_pod(manifest, emergency=True)
    assert (forced.verdict, forced.reason, forced.overridden) == (Verdict.EVICT, reason, True)


@pytest.mark.parametrize(
    "annotations",
    [
        {"karpenter.sh/do-not-disrupt": "false"},
        {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"},
        {"unrelated": "true"},
        None,
    ],
)
def test_ordinary_pods_are_evicted(annotations: dict[str, str] | None) -> None:
    decision = classify_pod(pod("web-0", "n1", annotations=annotations))
    assert (decision.verdict, decision.reason) == (Verdict.EVICT, Reason.NONE)
    assert (decision.pod.namespace, decision.pod.name, decision.pod.key) == (
        "default",
        "web-0",
        "default/web-0",
    )


def test_a_skip_reason_wins_over_a_protection() -> None:
    leaving = pod("db-0", "n1", deleting=True, annotations={"karpenter.sh/do-not-disrupt": "true"})
    assert classify_pod(leaving).verdict is Verdict.SKIP


def test_no_namespace_is_special_unless_configured() -> None:
    monitoring = pod("prometheus-0", "n1", namespace="monitoring")
    assert classify_pod(monitoring).verdict is Verdict.EVICT
    policy = PodPolicy(protected_namespaces=frozenset({"monitoring"}))
    decision = classify_pod(monitoring, policy=policy)
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.PROTECTED_NAMESPACE)


def test_bare_pods_block_only_when_configured() -> None:
    bare = pod("debug", "n1", owner=None)
    decision = classify_pod(bare)
    assert (decision.verdict, decision.standalone) == (Verdict.EVICT, True)
    decision = classify_pod(bare, policy=PodPolicy(block_standalone=True))
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.STANDALONE)
    forced = classify_pod(bare, emergency=True, policy=PodPolicy(block_standalone=True))
    assert (forced.verdict, forced.overridden) == (Verdict.EVICT, True)
    assert not classify_pod(pod("web-0", "n1")).standalone


def test_pending_pods_are_evicted() -> None:
    assert classify_pod(pod("new", "n1", phase="Pending", ready=False)).verdict is Verdict.EVICT


def test_node_plan_sorts_pods_and_keeps_the_listing_order() -> None:
    pods = [
        pod("web-1", "n1"),
        pod("ds", "n1", owner="DaemonSet"),
        pod("web-0", "n1"),
        pod("db-0", "n1", annotations={"karpenter.sh/do-not-disrupt": "true"}),
    ]
    plan = plan_node(pods)
    assert [d.pod.name for d in plan.evict] == ["web-1", "web-0"]
    assert [d.pod.name for d in plan.skip] == ["ds"]
    assert [d.pod.name for d in plan.protected] == ["db-0"]
    assert plan.blocked

    urgent = plan_node(pods, emergency=True)
    assert [d.pod.name for d in urgent.evict] == ["web-1", "web-0", "db-0"]
    assert [d.pod.name for d in urgent.protected] == ["db-0"]
    assert not urgent.blocked


def test_an_empty_node_has_nothing_to_do() -> None:
    plan = plan_node([])
    assert (plan.evict, plan.skip, plan.protected, plan.blocked) == ([], [], [], False)


def test_emptydir_pods_are_evicted_and_marked_unless_the_policy_protects_them() -> None:
    scratch = pod("cache-0", "n1", emptydir=True)
    decision = classify_pod(scratch)
    assert (decision.verdict, decision.emptydir) == (Verdict.EVICT, True)
    decision = classify_pod(scratch, policy=PodPolicy(block_emptydir=True))
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.EMPTYDIR)
    assert not classify_pod(pod("web-0", "n1")).emptydir


def test_another_drains_placeholder_is_left_to_its_own_job() -> None:
    placeholder = pod("spotvortex-placeholder-x", "n1", namespace="spotvortex", owner=None)
    placeholder["metadata"]["labels"]["spotvortex.io/placeholder"] = "true"
    decision = classify_pod(placeholder, policy=PodPolicy(block_standalone=True))
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, Reason.PLACEHOLDER)
