"""Injected faults (409, 429, 500, delay, dropped watch) and the audit log of mutating requests."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import node, pod


async def test_conflict_fault_fires_once(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    created = await core.create_node(node("n1"))
    fault = kube.faults.fail("PUT", r"^/api/v1/nodes/n1$", 409)
    with pytest.raises(ApiException) as err:
        await core.replace_node("n1", created)
    assert err.value.status == 409
    assert json.loads(err.value.body)["reason"] == "Conflict"
    await core.replace_node("n1", created)  # exhausted: served normally
    assert fault.fired == 1
    assert [e.status for e in kube.audit.mutations(method="PUT")] == [409, 200]


async def test_throttling_fault_with_retry_after(kube: KubeEmulator) -> None:
    kube.faults.fail(None, r"/pods$", 429, retry_after=2, times=None)
    async with aiohttp.ClientSession() as http, http.get(f"{kube.url}/api/v1/pods") as resp:
        body = await resp.json()
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "2"
    assert body["reason"] == "TooManyRequests"
    assert body["details"]["retryAfterSeconds"] == 2


async def test_server_error_skip_and_times(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    for name in ("a", "b", "c", "d"):
        kube.store.create(pod(name, ready=True))
    kube.faults.fail("POST", r"/eviction$", 500, skip=1, times=2, message="etcd timeout")
    results: list[int | str] = []
    for name in ("a", "b", "c", "d"):
        try:
            await core.create_namespaced_pod_eviction(name, "default", {"metadata": {"name": name}})
            results.append(201)
        except ApiException as err:
            results.append(json.loads(err.body)["message"])
    assert results == [201, "etcd timeout", "etcd timeout", 201]
    assert [p["metadata"]["name"] for p in kube.store.list("pods")] == ["b", "c"]


async def test_delay_fault(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.faults.delay("GET", r"^/api/v1/nodes$", 0.3)
    started = time.monotonic()
    await core.list_node()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await core.list_node()
    assert time.monotonic() - started < 0.3


async def test_dropped_watch_is_a_transport_error(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    kube.store.create(node("n2"))
    kube.faults.drop_watch(r"^/api/v1/nodes$", after_events=1)
    async with watch.Watch() as w:
        events = w.stream(core.list_node, timeout_seconds=5)
        first = await asyncio.wait_for(anext(events), 3)
        assert first["raw_object"]["metadata"]["name"] == "n1"
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(anext(events), 3)
    # the fault is spent: the next watch works again
    async with watch.Watch() as w:
        again = await asyncio.wait_for(anext(w.stream(core.list_node, timeout_seconds=5)), 3)
    assert again["type"] == "ADDED"


async def test_faults_can_target_watch_or_list(kube: KubeEmulator) -> None:
    kube.faults.add(method="GET", path=r"/nodes$", status=503, watch=False, times=None)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{kube.url}/api/v1/nodes") as resp:
            assert resp.status == 503
        async with http.get(f"{kube.url}/api/v1/nodes?watch=true&timeoutSeconds=1") as resp:
            assert resp.status == 200
    kube.faults.clear()
    assert kube.faults.faults == []


async def test_shadow_mode_proof(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    """A read-only client leaves the mutation count at zero; one write is counted with its details."""
    kube.store.create(node("n1"))  # in-process setup is not HTTP and not audited
    kube.store.create(pod("p", node_name="n1", ready=True))
    await core.list_node(label_selector="karpenter.sh/capacity-type=spot")
    await core.list_pod_for_all_namespaces(field_selector="spec.nodeName=n1")
    await core.read_node("n1")
    async with watch.Watch() as w:
        await asyncio.wait_for(anext(w.stream(core.list_node, timeout_seconds=2)), 3)
    assert kube.audit.count_mutations() == 0
    assert len(kube.audit.entries(mutating=False)) >= 4

    await core.patch_node("n1", {"spec": {"unschedulable": True}})
    assert kube.audit.count_mutations() == 1
    (entry,) = kube.audit.mutations()
    assert entry.method == "PATCH"
    assert entry.path == "/api/v1/nodes/n1"
    assert entry.content_type == "application/strategic-merge-patch+json"
    assert entry.status == 200
    assert entry.user_agent.startswith("Swagger-Codegen") or entry.user_agent
    assert entry.time is not None
    kube.audit.clear()
    assert kube.audit.count_mutations() == 0
