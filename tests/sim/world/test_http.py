"""The simulated cluster over real HTTP: what a kubernetes client sees, and steering it through the API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from kubernetes_asyncio import client

from spotvortex.sim.world import labels as L
from tests.sim.world.support import make_cluster, scenario, web_pool

APP = {"name": "app", "pool": "web", "replicas": 3, "cpu": "500m", "memory": "512Mi", "startup": "10s"}
MERGE = "application/merge-patch+json"


async def raw_json(response: Any) -> Any:
    """The body of a ``_preload_content=False`` call, as JSON, without the typed models."""
    try:
        return json.loads(await response.read())
    finally:
        response.release()


async def test_nodes_listed_over_http_carry_karpenter_labels() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    async with sim.emulator, client.ApiClient(client.Configuration(host=sim.emulator.url)) as api:
        core = client.CoreV1Api(api)
        nodes = (await raw_json(await core.list_node(_preload_content=False)))["items"]
        names = [n["metadata"]["name"] for n in nodes]
        assert names == sorted(sim.fleet.by_node)
        for n in nodes:
            labels = n["metadata"]["labels"]
            assert labels[L.CAPACITY_TYPE] == L.SPOT
            assert labels[L.NODEPOOL] == "web-spot"
            assert labels[L.INSTANCE_TYPE] == "m5.large"
            assert labels[L.ZONE] == "us-east-1a"
            assert n["spec"]["providerID"].startswith("aws:///us-east-1a/i-")

        selected = await core.list_node(
            label_selector=f"{L.CAPACITY_TYPE}={L.ON_DEMAND}", _preload_content=False
        )
        assert (await raw_json(selected))["items"] == []
        pods = await core.list_namespaced_pod("default", label_selector=f"{L.WORKLOAD}=app")
        assert len(pods.items) == 3
        assert {p.spec.node_name for p in pods.items} <= set(names)

        custom = client.CustomObjectsApi(api)
        claims = await custom.list_cluster_custom_object("karpenter.sh", "v1", "nodeclaims")
        assert {c["status"]["nodeName"] for c in claims["items"]} == set(names)


async def test_simulated_nodes_deserialise_in_a_typed_client() -> None:
    """kubernetes-asyncio validates required fields client-side; every field a kubelet always reports
    (``status.nodeInfo.bootID``, ``machineID``, ``systemUUID``, ``kernelVersion``, ...) must be present."""
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    async with sim.emulator, client.ApiClient(client.Configuration(host=sim.emulator.url)) as api:
        nodes = (await client.CoreV1Api(api).list_node()).items
        assert nodes
        for n in nodes:
            assert n.metadata.labels[L.CAPACITY_TYPE] == L.SPOT
            assert any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
            assert n.status.node_info.kubelet_version.startswith("v1.")


async def test_a_nodepool_weight_patched_over_http_steers_the_next_node() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    async with sim.emulator, client.ApiClient(client.Configuration(host=sim.emulator.url)) as api:
        core = client.CoreV1Api(api)
        custom = client.CustomObjectsApi(api)

        patched = await custom.patch_cluster_custom_object(
            "karpenter.sh",
            "v1",
            "nodepools",
            "web-od",
            {"spec": {"weight": 200}},
            _content_type=MERGE,  # type: ignore[call-arg]
        )
        assert patched["spec"]["weight"] == 200

        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "burst"},
            "spec": {
                "nodeSelector": {L.POOL: "web"},
                "containers": [
                    {
                        "name": "app",
                        "image": "registry.k8s.io/pause:3.10",
                        "resources": {"requests": {"cpu": "1500m"}},
                    }
                ],
            },
        }
        await core.create_namespaced_pod("default", pod)  # type: ignore[arg-type]
        sim.run_for(timedelta(minutes=3))

        od = await raw_json(
            await core.list_node(label_selector=f"{L.NODEPOOL}=web-od", _preload_content=False)
        )
        (node,) = od["items"]
        assert node["metadata"]["labels"][L.CAPACITY_TYPE] == L.ON_DEMAND
        burst = await core.read_namespaced_pod("burst", "default")
        assert burst.spec.node_name == node["metadata"]["name"]
        assert burst.status.phase == "Running"

        # And back: spot again for the next burst.
        await custom.patch_cluster_custom_object(
            "karpenter.sh",
            "v1",
            "nodepools",
            "web-od",
            {"spec": {"weight": 10}},
            _content_type=MERGE,  # type: ignore[call-arg]
        )
        pod["metadata"]["name"] = "burst-2"
        await core.create_namespaced_pod("default", pod)  # type: ignore[arg-type]
        sim.run_for(timedelta(minutes=3))
        burst2 = await core.read_namespaced_pod("burst-2", "default")
        spot = await raw_json(await core.read_node(burst2.spec.node_name, _preload_content=False))
        assert spot["metadata"]["labels"][L.NODEPOOL] == "web-spot"
        assert spot["metadata"]["labels"][L.CAPACITY_TYPE] == L.SPOT
