"""Discovery documents, checked through kubernetes_asyncio and on the wire."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator


async def fetch(kube: KubeEmulator, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(kube.url + path) as resp:
        return resp.status, await resp.json()


async def test_version_and_core_group(api: client.ApiClient) -> None:
    version = await client.VersionApi(api).get_code()
    assert (version.major, version.minor) == ("1", "37")
    core = await client.CoreApi(api).get_api_versions()
    assert core.versions == ["v1"]


async def test_core_resources(api: client.ApiClient) -> None:
    listed = await client.CoreV1Api(api).get_api_resources()
    by_name = {r.name: r for r in listed.resources}
    assert by_name["nodes"].namespaced is False
    assert by_name["nodes"].short_names == ["no"]
    assert by_name["pods"].short_names == ["po"]
    assert by_name["configmaps"].short_names == ["cm"]
    assert by_name["pods"].singular_name == "pod"
    assert "watch" in by_name["pods"].verbs
    eviction = by_name["pods/eviction"]
    assert (eviction.group, eviction.version, eviction.kind, eviction.verbs) == (
        "policy",
        "v1",
        "Eviction",
        ["create"],
    )
    assert by_name["pods/status"].verbs == ["get", "patch", "update"]
    assert by_name["nodes/status"].kind == "Node"
    assert {"namespaces", "events", "configmaps"} <= set(by_name)


async def test_groups(api: client.ApiClient) -> None:
    groups = {g.name: g for g in (await client.ApisApi(api).get_api_versions()).groups}
    assert {"policy", "coordination.k8s.io", "karpenter.sh"} <= set(groups)
    karpenter = groups["karpenter.sh"]
    assert [v.version for v in karpenter.versions] == ["v1", "v1beta1"]
    assert karpenter.preferred_version.group_version == "karpenter.sh/v1"
    pdbs = await client.PolicyV1Api(api).get_api_resources()
    first = pdbs.resources[0]
    assert (first.name, first.short_names) == ("poddisruptionbudgets", ["pdb"])
    leases = await client.CoordinationV1Api(api).get_api_resources()
    assert leases.resources[0].kind == "Lease"


async def test_group_documents_on_the_wire(kube: KubeEmulator) -> None:
    status, group = await fetch(kube, "/apis/karpenter.sh")
    assert status == 200
    assert group["kind"] == "APIGroup"
    status, beta = await fetch(kube, "/apis/karpenter.sh/v1beta1")
    assert status == 200
    assert beta["groupVersion"] == "karpenter.sh/v1beta1"
    resources = {r["name"]: r for r in beta["resources"]}
    assert resources["nodepools"]["namespaced"] is False
    assert resources["nodeclaims"]["kind"] == "NodeClaim"
    assert "nodepools/status" in resources
    status, missing = await fetch(kube, "/apis/nope.example.com/v1")
    assert status == 404
    assert missing["kind"] == "Status"


@pytest.mark.parametrize(("served", "missing"), [(("v1",), "v1beta1"), (("v1beta1",), "v1")])
async def test_karpenter_version_can_be_disabled(served: tuple[str, ...], missing: str) -> None:
    async with (
        KubeEmulator(karpenter_versions=served) as kube,
        client.ApiClient(client.Configuration(host=kube.url)) as api,
    ):
        groups = {g.name: g for g in (await client.ApisApi(api).get_api_versions()).groups}
        assert [v.version for v in groups["karpenter.sh"].versions] == list(served)
        assert groups["karpenter.sh"].preferred_version.version == served[0]
        status, _ = await fetch(kube, f"/apis/karpenter.sh/{missing}")
        assert status == 404
        with pytest.raises(ApiException) as err:
            await client.CustomObjectsApi(api).list_cluster_custom_object(
                "karpenter.sh", missing, "nodepools"
            )
        assert err.value.status == 404


async def test_no_karpenter_at_all() -> None:
    async with KubeEmulator(karpenter_versions=()) as kube:
        _, groups = await fetch(kube, "/apis")
    assert "karpenter.sh" not in {g["name"] for g in groups["groups"]}


async def test_openapi_index_for_kubectl(kube: KubeEmulator) -> None:
    status, index = await fetch(kube, "/openapi/v3")
    assert status == 200
    url = index["paths"]["apis/policy/v1"]["serverRelativeURL"]
    status, doc = await fetch(kube, url)
    assert status == 200
    (path,) = doc["paths"].values()
    assert path["patch"]["x-kubernetes-group-version-kind"]["kind"] == "PodDisruptionBudget"
