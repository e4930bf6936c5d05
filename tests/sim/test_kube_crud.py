"""Create, get, list, replace and delete through kubernetes_asyncio, with the real server's errors."""

from __future__ import annotations

import json

import aiohttp
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import node, nodepool, pod


def status_of(err: ApiException) -> dict[str, object]:
    body = json.loads(err.body)
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    return body


async def test_create_sets_server_fields(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    before = kube.store.resource_version
    created = await core.create_node(node("n1", {"zone": "a"}))
    assert created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    assert created.metadata.generation == 1
    assert int(created.metadata.resource_version) == before + 1

    pending = await core.create_namespaced_pod("default", pod("p", node_name="n1", ready=True))
    assert pending.status.phase == "Pending"  # status is the kubelet's, not the creator's


async def test_generate_name(core: client.CoreV1Api) -> None:
    body = pod("")
    body["metadata"] = {"generateName": "worker-"}
    created = await core.create_namespaced_pod("default", body)
    assert created.metadata.name.startswith("worker-")
    assert len(created.metadata.name) == len("worker-") + 5


async def test_already_exists_and_not_found(core: client.CoreV1Api) -> None:
    await core.create_node(node("n1"))
    with pytest.raises(ApiException) as err:
        await core.create_node(node("n1"))
    assert err.value.status == 409
    assert status_of(err.value)["reason"] == "AlreadyExists"
    assert status_of(err.value)["message"] == 'nodes "n1" already exists'

    with pytest.raises(ApiException) as err:
        await core.read_namespaced_pod("ghost", "default")
    assert err.value.status == 404
    assert status_of(err.value)["message"] == 'pods "ghost" not found'


async def test_invalid_name_is_422(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        await core.create_node(node("Not_Valid"))
    assert err.value.status == 422
    assert status_of(err.value)["reason"] == "Invalid"


async def test_list_shape_and_selectors(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    await core.create_node(node("spot-1", {"karpenter.sh/capacity-type": "spot", "zone": "a"}))
    await core.create_node(node("spot-2", {"karpenter.sh/capacity-type": "spot", "zone": "b"}))
    await core.create_node(node("od-1", {"karpenter.sh/capacity-type": "on-demand", "zone": "a"}))
    await core.create_namespaced_pod("default", pod("a", node_name="spot-1"))
    await core.create_namespaced_pod("default", pod("b", node_name="spot-2"))
    await core.create_namespaced_pod("kube-system", pod("c", namespace="kube-system", node_name="spot-1"))

    async def names(**kwargs: str) -> list[str]:
        listed = await core.list_node(**kwargs)
        return [n.metadata.name for n in listed.items]

    assert await names(label_selector="karpenter.sh/capacity-type=spot") == ["spot-1", "spot-2"]
    assert await names(label_selector="karpenter.sh/capacity-type!=spot") == ["od-1"]
    assert await names(label_selector="zone in (b),karpenter.sh/capacity-type") == ["spot-2"]
    assert await names(label_selector="zone notin (a)") == ["spot-2"]
    assert await names(label_selector="!zone") == []
    assert await names(field_selector="metadata.name=od-1") == ["od-1"]
    assert await names(limit="1") == ["od-1", "spot-1", "spot-2"]  # limit is ignored, no continue token

    on_spot_1 = await core.list_pod_for_all_namespaces(field_selector="spec.nodeName=spot-1")
    assert [(p.metadata.namespace, p.metadata.name) for p in on_spot_1.items] == [
        ("default", "a"),
        ("kube-system", "c"),
    ]
    assert on_spot_1.metadata._continue is None
    assert on_spot_1.metadata.resource_version == str(kube.store.resource_version)
    pending = await core.list_namespaced_pod(
        "default", field_selector="status.phase==Pending,spec.nodeName!=spot-1"
    )
    assert [p.metadata.name for p in pending.items] == ["b"]

    with pytest.raises(ApiException) as err:
        await core.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert err.value.status == 400
    with pytest.raises(ApiException) as err:
        await core.list_node(label_selector="zone in ()")
    assert err.value.status == 400


async def test_list_kind_on_the_wire(kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    kube.store.create(nodepool("pool"))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{kube.url}/api/v1/nodes") as resp:
            nodes = await resp.json()
        async with http.get(f"{kube.url}/apis/karpenter.sh/v1beta1/nodepools") as resp:
            pools = await resp.json()
    assert nodes["kind"] == "NodeList"
    assert nodes["apiVersion"] == "v1"
    assert nodes["metadata"]["resourceVersion"] == str(kube.store.resource_version)
    assert "kind" not in nodes["items"][0]  # built-in list items carry no kind on the wire
    assert pools["kind"] == "NodePoolList"
    assert pools["items"][0]["apiVersion"] == "karpenter.sh/v1beta1"


async def test_stale_replace_is_409(core: client.CoreV1Api) -> None:
    first = await core.create_node(node("n1"))
    first.metadata.labels = {"a": "1"}
    updated = await core.replace_node("n1", first)
    assert updated.metadata.resource_version != first.metadata.resource_version
    first.metadata.labels = {"a": "2"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as err:
        await core.replace_node("n1", first)
    assert err.value.status == 409
    body = status_of(err.value)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on nodes "n1": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


async def test_generation_and_noop_writes(core: client.CoreV1Api) -> None:
    created = await core.create_node(node("n1"))
    same = await core.replace_node("n1", created)
    assert same.metadata.resource_version == created.metadata.resource_version  # no-op keeps the version

    created.metadata.labels = {"x": "y"}
    relabelled = await core.replace_node("n1", created)
    assert relabelled.metadata.generation == 1  # metadata is not spec

    relabelled.spec.unschedulable = True
    cordoned = await core.replace_node("n1", relabelled)
    assert cordoned.metadata.generation == 2


async def test_status_subresource(core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", pod("p", node_name="n1"))
    current = await core.read_namespaced_pod("p", "default")
    current.status.phase = "Running"
    current.spec.active_deadline_seconds = 30
    kept = await core.replace_namespaced_pod("p", "default", current)
    assert kept.status.phase == "Pending"  # the main endpoint ignores status
    assert kept.spec.active_deadline_seconds == 30

    kept.status.phase = "Running"
    kept.spec.active_deadline_seconds = 60
    running = await core.replace_namespaced_pod_status("p", "default", kept)
    assert running.status.phase == "Running"
    assert running.spec.active_deadline_seconds == 30  # the status endpoint ignores the rest

    via_get = await core.read_namespaced_pod_status("p", "default")
    assert via_get.status.phase == "Running"


async def test_finalizers_hold_deletion(custom: client.CustomObjectsApi, kube: KubeEmulator) -> None:
    await custom.create_cluster_custom_object(
        "karpenter.sh", "v1", "nodepools", nodepool("pool", finalizers=["karpenter.sh/termination"])
    )
    deleting = await custom.delete_cluster_custom_object("karpenter.sh", "v1", "nodepools", "pool")
    assert deleting["metadata"]["deletionTimestamp"]
    assert deleting["metadata"]["generation"] == 2
    still = await custom.get_cluster_custom_object("karpenter.sh", "v1", "nodepools", "pool")
    assert still["metadata"]["deletionTimestamp"] == deleting["metadata"]["deletionTimestamp"]

    with pytest.raises(ApiException) as err:  # no new finalizers on an object being deleted
        await custom.patch_cluster_custom_object(
            "karpenter.sh",
            "v1",
            "nodepools",
            "pool",
            {"metadata": {"finalizers": ["karpenter.sh/termination", "extra"]}},
            _content_type="application/merge-patch+json",
        )
    assert err.value.status == 422

    await custom.patch_cluster_custom_object(
        "karpenter.sh",
        "v1",
        "nodepools",
        "pool",
        {"metadata": {"finalizers": None}},
        _content_type="application/merge-patch+json",
    )
    with pytest.raises(ApiException) as err:
        await custom.get_cluster_custom_object("karpenter.sh", "v1", "nodepools", "pool")
    assert err.value.status == 404
    assert kube.store.deletions[-1].name == "pool"


async def test_delete_answers(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    await core.create_node(node("n1"))
    status = await core.delete_node("n1")
    assert status.status == "Success"
    await core.create_namespaced_pod("default", pod("p"))
    deleted = await core.delete_namespaced_pod("p", "default", grace_period_seconds=5)
    assert deleted.metadata.name == "p"
    assert kube.store.deletions[-1].grace_period_seconds == 5
    with pytest.raises(ApiException) as err:
        await core.delete_namespaced_pod("p", "default")
    assert err.value.status == 404


async def test_delete_preconditions(core: client.CoreV1Api) -> None:
    await core.create_node(node("n1"))
    with pytest.raises(ApiException) as err:
        await core.delete_node(
            "n1", body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="nope"))
        )
    assert err.value.status == 409


async def test_namespace_deletion_removes_contents(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    await core.create_namespace({"metadata": {"name": "team"}})
    await core.create_namespaced_config_map("team", {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    await core.delete_namespace("team")
    assert kube.store.list("configmaps", "team") == []


async def test_leases_and_events(api: client.ApiClient) -> None:
    coordination = client.CoordinationV1Api(api)
    lease = await coordination.create_namespaced_lease(
        "kube-system",
        {"metadata": {"name": "leader"}, "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}},
    )
    lease.spec.holder_identity = "b"
    renewed = await coordination.replace_namespaced_lease("leader", "kube-system", lease)
    assert renewed.spec.holder_identity == "b"
    with pytest.raises(ApiException) as err:  # a second writer holding the old version loses
        await coordination.replace_namespaced_lease("leader", "kube-system", lease)
    assert err.value.status == 409

    core = client.CoreV1Api(api)
    await core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Node", "name": "n1"},
            "reason": "SpotInterruption",
        },
    )
    found = await core.list_namespaced_event(
        "default", field_selector="involvedObject.kind=Node,reason=SpotInterruption"
    )
    assert [e.metadata.name for e in found.items] == ["e1"]


async def test_in_process_store_api(kube: KubeEmulator, core: client.CoreV1Api) -> None:
    kube.store.create(pod("p", node_name="n1", ready=True))
    assert kube.store.get("pods", "p", "default")["status"]["phase"] == "Running"  # in-process keeps status
    over_http = await core.read_namespaced_pod("p", "default")
    assert over_http.status.phase == "Running"
    updated = kube.store.patch("po", "p", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    assert updated["metadata"]["labels"] == {"x": "1"}
    assert [p["metadata"]["name"] for p in kube.store.list("Pod", label_selector="x=1")] == ["p"]
    kube.store.delete("pods", "p", "default")
    assert kube.store.find("pods", "p", "default") is None


async def test_delete_collection(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        kube.store.create(pod(name, labels={"app": app}))
    await core.delete_collection_namespaced_pod("default", label_selector="app=web")
    assert [p["metadata"]["name"] for p in kube.store.list("pods")] == ["c"]


async def test_paths_the_server_does_not_serve(kube: KubeEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{kube.url}/api/v1/pods", json=pod("p")) as resp:
            assert resp.status == 405
        async with http.get(f"{kube.url}/api/v1/namespaces/default/pods/p/logs") as resp:
            assert resp.status == 404
        async with http.get(f"{kube.url}/api/v2/pods") as resp:
            assert resp.status == 404
            assert (await resp.json())["reason"] == "NotFound"
        async with http.get(f"{kube.url}/api/v1/namespaces/default/status") as resp:
            assert (await resp.json())["status"]["phase"] == "Active"
        async with http.post(
            f"{kube.url}/api/v1/namespaces/default/configmaps",
            data=b"\x6b\x38\x73\x00",
            headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
        ) as resp:
            assert resp.status == 415  # only JSON bodies are understood


async def test_dry_run_create_persists_nothing(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    before = kube.store.resource_version
    created = await core.create_node(node("n1"), dry_run="All")
    assert created.metadata.name == "n1"
    assert kube.store.find("nodes", "n1") is None
    assert kube.store.resource_version == before
