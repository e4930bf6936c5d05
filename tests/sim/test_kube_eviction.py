"""PDB status as the disruption controller derives it, and the eviction API enforcing it."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import pdb, pod


def eviction(name: str, grace: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
    if grace is not None:
        body["deleteOptions"] = {"gracePeriodSeconds": grace}
    return body


def web_pods(kube: KubeEmulator, ready: int, pending: int = 0) -> None:
    for i in range(ready):
        kube.store.create(pod(f"web-{i}", node_name="n1", labels={"app": "web"}, ready=True))
    for i in range(pending):
        kube.store.create(pod(f"new-{i}", node_name="n1", labels={"app": "web"}, phase="Pending"))


@pytest.mark.parametrize(
    ("budget", "desired", "allowed"),
    [
        ({"min_available": 2}, 2, 1),
        ({"min_available": "75%"}, 3, 0),  # ceil(0.75 * 4)
        ({"max_unavailable": 1}, 3, 0),
        ({"max_unavailable": "50%"}, 2, 1),
        ({"max_unavailable": "30%"}, 2, 1),  # 4 - ceil(1.2)
    ],
)
async def test_pdb_status_over_http(
    policy: client.PolicyV1Api, kube: KubeEmulator, budget: dict[str, int | str], desired: int, allowed: int
) -> None:
    web_pods(kube, ready=3, pending=1)
    created = await policy.create_namespaced_pod_disruption_budget(
        "default", pdb("web", {"app": "web"}, **budget)
    )
    status = (await policy.read_namespaced_pod_disruption_budget("web", "default")).status
    assert status.expected_pods == 4
    assert status.current_healthy == 3
    assert status.desired_healthy == desired
    assert status.disruptions_allowed == allowed
    assert status.observed_generation == created.metadata.generation
    listed = await policy.list_pod_disruption_budget_for_all_namespaces()
    assert listed.items[0].status.disruptions_allowed == allowed


async def test_status_follows_pod_changes_and_spec_edits(
    policy: client.PolicyV1Api, kube: KubeEmulator
) -> None:
    web_pods(kube, ready=2)
    await policy.create_namespaced_pod_disruption_budget(
        "default", pdb("web", {"app": "web"}, min_available=1)
    )
    kube.store.patch(
        "pods",
        "web-0",
        {"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
        namespace="default",
    )
    status = (await policy.read_namespaced_pod_disruption_budget("web", "default")).status
    assert (status.current_healthy, status.disruptions_allowed) == (1, 0)

    edited = await policy.patch_namespaced_pod_disruption_budget(
        "web", "default", {"spec": {"minAvailable": 0}}
    )
    assert edited.metadata.generation == 2
    assert edited.status.observed_generation == 2
    assert edited.status.disruptions_allowed == 1


async def test_eviction_refused_with_429(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    web_pods(kube, ready=1)
    kube.store.create(pdb("web", {"app": "web"}, min_available=1))
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_pod_eviction("web-0", "default", eviction("web-0"))
    assert err.value.status == 429
    body = json.loads(err.value.body)
    assert body["reason"] == "TooManyRequests"
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget web needs 1 healthy pods and has 1 currently",
        }
    ]
    assert kube.store.find("pods", "web-0", "default") is not None
    assert kube.audit.count_mutations(path="/eviction$") == 1


async def test_eviction_allowed_deletes_and_records_grace(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    web_pods(kube, ready=2)
    kube.store.create(pdb("web", {"app": "web"}, min_available=1))
    await core.create_namespaced_pod_eviction("web-0", "default", eviction("web-0", grace=7))
    assert kube.store.find("pods", "web-0", "default") is None
    record = kube.store.deletions[-1]
    assert (record.name, record.evicted, record.grace_period_seconds) == ("web-0", True, 7)
    assert kube.audit.mutations(path="/eviction$")[-1].status == 201
    with pytest.raises(ApiException) as err:  # the budget is now spent
        await core.create_namespaced_pod_eviction("web-1", "default", eviction("web-1"))
    assert err.value.status == 429


async def test_pending_pods_and_unguarded_pods_are_evicted(
    core: client.CoreV1Api, kube: KubeEmulator
) -> None:
    web_pods(kube, ready=1, pending=1)
    kube.store.create(pod("loner", node_name="n1", ready=True))
    kube.store.create(pdb("web", {"app": "web"}, min_available=1))
    await core.create_namespaced_pod_eviction("new-0", "default", eviction("new-0"))
    await core.create_namespaced_pod_eviction("loner", "default", eviction("loner"))
    assert [p["metadata"]["name"] for p in kube.store.list("pods")] == ["web-0"]


async def test_two_pdbs_are_a_500_like_the_real_server(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    web_pods(kube, ready=3)
    kube.store.create(pdb("a", {"app": "web"}, min_available=1))
    kube.store.create(pdb("b", {"app": "web"}, min_available=1))
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_pod_eviction("web-0", "default", eviction("web-0"))
    assert err.value.status == 500


async def test_eviction_of_missing_pod_and_name_mismatch(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_pod_eviction("ghost", "default", eviction("ghost"))
    assert err.value.status == 404
    web_pods(kube, ready=1)
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_pod_eviction("web-0", "default", eviction("other"))
    assert err.value.status == 400


async def test_dry_run_eviction_keeps_the_pod(kube: KubeEmulator, core: client.CoreV1Api) -> None:
    web_pods(kube, ready=1)
    await core.create_namespaced_pod_eviction("web-0", "default", eviction("web-0"), dry_run="All")
    assert kube.store.find("pods", "web-0", "default") is not None
    assert kube.audit.mutations()[-1].dry_run


async def test_eviction_of_pod_with_finalizer_marks_it(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    body = pod("held", node_name="n1", ready=True)
    body["metadata"]["finalizers"] = ["example.com/hold"]
    kube.store.create(body)
    await core.create_namespaced_pod_eviction("held", "default", eviction("held"))
    held = await core.read_namespaced_pod("held", "default")
    assert held.metadata.deletion_timestamp is not None
    await core.patch_namespaced_pod("held", "default", [{"op": "remove", "path": "/metadata/finalizers"}])
    with pytest.raises(ApiException) as err:
        await core.read_namespaced_pod("held", "default")
    assert err.value.status == 404
