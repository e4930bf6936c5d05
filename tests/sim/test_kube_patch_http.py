"""The three patch content types over HTTP, including the real server's 400 and 415 refusals."""

from __future__ import annotations

import json

import aiohttp
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import node, nodepool, pod

MERGE = "application/merge-patch+json"


async def test_strategic_merge_is_the_default_for_dict_bodies(
    core: client.CoreV1Api, kube: KubeEmulator
) -> None:
    await core.create_namespaced_pod("default", pod("p", node_name="n1"))
    patched = await core.patch_namespaced_pod(
        "p",
        "default",
        {
            "spec": {"containers": [{"name": "sidecar", "image": "side:1"}]},
            "metadata": {"labels": {"a": "1"}},
        },
    )
    assert [c.name for c in patched.spec.containers] == ["app", "sidecar"]  # merged by name
    assert patched.metadata.generation == 2
    assert kube.audit.mutations(method="PATCH")[-1].content_type == "application/strategic-merge-patch+json"


async def test_strategic_status_conditions_merge_by_type(core: client.CoreV1Api) -> None:
    await core.create_node(node("n1"))
    await core.patch_node_status("n1", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    both = await core.patch_node_status(
        "n1", {"status": {"conditions": [{"type": "MemoryPressure", "status": "False"}]}}
    )
    assert sorted(c.type for c in both.status.conditions) == ["MemoryPressure", "Ready"]
    ignored = await core.patch_node("n1", {"status": {"phase": "Ignored"}, "spec": {"unschedulable": True}})
    assert ignored.status.phase is None  # the main endpoint drops status changes
    assert ignored.spec.unschedulable is True


async def test_json_patch_with_list_body(core: client.CoreV1Api) -> None:
    await core.create_node(node("n1", {"a": "1"}))
    patched = await core.patch_node(
        "n1",
        [
            {"op": "test", "path": "/metadata/labels/a", "value": "1"},
            {"op": "add", "path": "/metadata/labels/karpenter.sh~1capacity-type", "value": "spot"},
            {"op": "add", "path": "/spec/taints", "value": [{"key": "k", "effect": "NoSchedule"}]},
        ],
    )
    assert patched.metadata.labels == {"a": "1", "karpenter.sh/capacity-type": "spot"}
    assert patched.spec.taints[0].key == "k"

    with pytest.raises(ApiException) as err:
        await core.patch_node("n1", [{"op": "test", "path": "/metadata/labels/a", "value": "2"}])
    assert err.value.status == 422


async def test_merge_patch_and_resource_version_precondition(core: client.CoreV1Api) -> None:
    created = await core.create_node(node("n1"))
    patched = await core.patch_node(
        "n1",
        {"metadata": {"labels": {"a": "1"}, "resourceVersion": created.metadata.resource_version}},
        _content_type=MERGE,
    )
    assert patched.metadata.labels == {"a": "1"}
    with pytest.raises(ApiException) as err:
        await core.patch_node(
            "n1",
            {"metadata": {"labels": {"a": "2"}, "resourceVersion": created.metadata.resource_version}},
            _content_type=MERGE,
        )
    assert err.value.status == 409


async def test_custom_objects_dict_patch_is_400_like_a_real_server(custom: client.CustomObjectsApi) -> None:
    await custom.create_cluster_custom_object("karpenter.sh", "v1", "nodepools", nodepool("pool"))
    with pytest.raises(ApiException) as err:  # the client sends a dict as json-patch by default
        await custom.patch_cluster_custom_object(
            "karpenter.sh", "v1", "nodepools", "pool", {"spec": {"weight": 5}}
        )
    assert err.value.status == 400
    assert json.loads(err.value.body)["reason"] == "BadRequest"

    merged = await custom.patch_cluster_custom_object(
        "karpenter.sh", "v1", "nodepools", "pool", {"spec": {"weight": 5}}, _content_type=MERGE
    )
    assert merged["spec"]["weight"] == 5
    assert merged["spec"]["limits"] == {"cpu": "100"}
    assert merged["metadata"]["generation"] == 2

    listed = await custom.patch_cluster_custom_object(
        "karpenter.sh", "v1", "nodepools", "pool", [{"op": "replace", "path": "/spec/weight", "value": 7}]
    )
    assert listed["spec"]["weight"] == 7


async def test_custom_resources_refuse_strategic_merge(kube: KubeEmulator) -> None:
    kube.store.create(nodepool("pool"))
    async with aiohttp.ClientSession() as http:
        async with http.patch(
            f"{kube.url}/apis/karpenter.sh/v1/nodepools/pool",
            data=json.dumps({"spec": {"weight": 1}}),
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        ) as resp:
            body = await resp.json()
            assert resp.status == 415
        async with http.patch(
            f"{kube.url}/api/v1/namespaces/default/pods/x",
            data="{}",
            headers={"Content-Type": "application/apply-patch+yaml"},
        ) as resp:
            assert resp.status == 415  # server-side apply is not emulated
    assert body["reason"] == "UnsupportedMediaType"
    assert "application/merge-patch+json" in body["message"]


async def test_custom_resource_status_subresource(custom: client.CustomObjectsApi) -> None:
    created = await custom.create_cluster_custom_object(
        "karpenter.sh", "v1", "nodepools", {**nodepool("pool"), "status": {"nodes": 3}}
    )
    assert "status" not in created  # dropped on create, as for any CRD with a status subresource
    with_status = await custom.patch_cluster_custom_object_status(
        "karpenter.sh", "v1", "nodepools", "pool", {"status": {"nodes": 2}}, _content_type=MERGE
    )
    assert with_status["status"] == {"nodes": 2}
    assert with_status["metadata"]["generation"] == 1
    replaced = await custom.replace_cluster_custom_object(
        "karpenter.sh", "v1", "nodepools", "pool", {**with_status, "status": {"nodes": 9}}
    )
    assert replaced["status"] == {"nodes": 2}
    unconditional = {**replaced, "metadata": {"name": "pool"}}
    with pytest.raises(ApiException) as err:  # custom resources refuse a PUT without resourceVersion
        await custom.replace_cluster_custom_object("karpenter.sh", "v1", "nodepools", "pool", unconditional)
    assert err.value.status == 422


async def test_both_karpenter_versions_share_storage(custom: client.CustomObjectsApi) -> None:
    await custom.create_cluster_custom_object(
        "karpenter.sh", "v1beta1", "nodepools", nodepool("old", "v1beta1")
    )
    seen = await custom.list_cluster_custom_object("karpenter.sh", "v1", "nodepools")
    assert [i["metadata"]["name"] for i in seen["items"]] == ["old"]
    assert seen["items"][0]["apiVersion"] == "karpenter.sh/v1"
    with pytest.raises(ApiException) as err:
        await custom.create_cluster_custom_object("karpenter.sh", "v1", "nodepools", nodepool("x", "v1beta1"))
    assert err.value.status == 400  # body version must match the URL
