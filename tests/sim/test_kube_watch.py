"""Watches through kubernetes_asyncio.watch.Watch: initial events, resume, 410, bookmarks, timeouts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from spotvortex.sim.kube import KubeEmulator
from tests.sim.manifests import node, nodepool, pdb, pod

Event = dict[str, Any]


async def take(events: AsyncIterator[Event], count: int, timeout: float = 3.0) -> list[Event]:
    """The next ``count`` events, failing if they do not arrive in time."""
    out: list[Event] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            out.append(await anext(events))
    return out


def summary(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e["type"], e["raw_object"]["metadata"].get("name")) for e in events]


async def test_initial_added_then_live_events(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    async with watch.Watch() as w:
        events = w.stream(core.list_node, timeout_seconds=5)
        assert summary(await take(events, 1)) == [("ADDED", "n1")]
        await core.create_node(node("n2"))
        await core.patch_node("n1", {"spec": {"unschedulable": True}})
        await core.delete_node("n2")
        got = await take(events, 3)
    assert summary(got) == [("ADDED", "n2"), ("MODIFIED", "n1"), ("DELETED", "n2")]
    assert got[1]["object"].spec.unschedulable is True
    versions = [int(e["raw_object"]["metadata"]["resourceVersion"]) for e in got]
    assert versions == sorted(versions)


async def test_resume_from_resource_version(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    mark = str(kube.store.resource_version)
    kube.store.create(node("n2"))
    kube.store.patch("nodes", "n1", {"metadata": {"labels": {"x": "1"}}})
    async with watch.Watch() as w:
        events = w.stream(core.list_node, resource_version=mark, timeout_seconds=5)
        assert summary(await take(events, 2)) == [("ADDED", "n2"), ("MODIFIED", "n1")]


async def test_too_old_resource_version_is_410() -> None:
    async with (
        KubeEmulator(history_size=3) as kube,
        client.ApiClient(client.Configuration(host=kube.url)) as api,
    ):
        core = client.CoreV1Api(api)
        for i in range(6):
            kube.store.create(node(f"n{i}"))
        async with watch.Watch() as w:
            with pytest.raises(ApiException) as err:
                await take(w.stream(core.list_node, resource_version="2", timeout_seconds=5), 1)
        assert err.value.status == 410
        assert "Expired" in str(err.value.reason)

        # on the wire: one ERROR event in a 200 stream
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{kube.url}/api/v1/nodes?watch=1&resourceVersion=2") as resp,
        ):
            assert resp.status == 200
            line = json.loads(await resp.content.readline())
        assert line["type"] == "ERROR"
        assert line["object"]["kind"] == "Status"
        assert line["object"]["code"] == 410
        assert line["object"]["reason"] == "Expired"


async def test_compaction_forces_relist(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    old = str(kube.store.resource_version - 1)
    kube.hub.compact(kube.store.resource_version)
    async with watch.Watch() as w:
        with pytest.raises(ApiException) as err:
            await take(w.stream(core.list_node, resource_version=old, timeout_seconds=5), 1)
    assert err.value.status == 410


async def test_bookmarks(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    async with watch.Watch() as w:
        events = w.stream(core.list_node, allow_watch_bookmarks=True, timeout_seconds=5)
        added, bookmark = await take(events, 2)
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["raw_object"]["kind"] == "Node"
    assert bookmark["raw_object"]["metadata"]["resourceVersion"] == str(kube.store.resource_version)
    assert w.resource_version == str(kube.store.resource_version)


async def test_no_bookmarks_unless_asked(kube: KubeEmulator) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{kube.url}/api/v1/nodes?watch=true&timeoutSeconds=1") as resp,
    ):
        body = await resp.read()
    assert body == b""


async def test_server_closes_at_timeout(core: client.CoreV1Api) -> None:
    started = time.monotonic()
    async with watch.Watch() as w:
        seen = [e async for e in w.stream(core.list_node, timeout_seconds=1)]
    assert seen == []
    assert 0.9 <= time.monotonic() - started < 3


async def test_selectors_apply_to_watches(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(node("spot", {"karpenter.sh/capacity-type": "spot"}))
    kube.store.create(node("od", {"karpenter.sh/capacity-type": "on-demand"}))
    async with watch.Watch() as w:
        events = w.stream(core.list_node, label_selector="karpenter.sh/capacity-type=spot", timeout_seconds=5)
        assert summary(await take(events, 1)) == [("ADDED", "spot")]
        kube.store.patch("nodes", "od", {"metadata": {"labels": {"karpenter.sh/capacity-type": "spot"}}})
        kube.store.patch(
            "nodes", "spot", {"metadata": {"labels": {"karpenter.sh/capacity-type": "on-demand"}}}
        )
        # entering the selection reads as ADDED, leaving it as DELETED, as from the watch cache
        assert summary(await take(events, 2)) == [("ADDED", "od"), ("DELETED", "spot")]


async def test_field_selector_watch_for_one_node(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    async with watch.Watch() as w:
        events = w.stream(
            core.list_pod_for_all_namespaces, field_selector="spec.nodeName=n1", timeout_seconds=5
        )
        kube.store.create(pod("elsewhere", node_name="n2"))
        kube.store.create(pod("here", node_name="n1"))
        assert summary(await take(events, 1)) == [("ADDED", "here")]


async def test_eviction_emits_deleted(core: client.CoreV1Api, kube: KubeEmulator) -> None:
    kube.store.create(pod("p", node_name="n1", ready=True))
    async with watch.Watch() as w:
        events = w.stream(core.list_namespaced_pod, "default", timeout_seconds=5)
        assert summary(await take(events, 1)) == [("ADDED", "p")]
        await core.create_namespaced_pod_eviction(
            "p", "default", {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}}
        )
        (deleted,) = await take(events, 1)
    assert summary([deleted]) == [("DELETED", "p")]
    assert deleted["raw_object"]["metadata"]["deletionTimestamp"]


async def test_pdb_watch_sees_status_changes(policy: client.PolicyV1Api, kube: KubeEmulator) -> None:
    kube.store.create(pdb("web", {"app": "web"}, min_available=1))
    async with watch.Watch() as w:
        events = w.stream(policy.list_namespaced_pod_disruption_budget, "default", timeout_seconds=5)
        (first,) = await take(events, 1)
        assert first["object"].status.expected_pods == 0
        kube.store.create(pod("a", labels={"app": "web"}, ready=True))
        (changed,) = await take(events, 1)
    assert changed["type"] == "MODIFIED"
    assert changed["object"].status.current_healthy == 1


async def test_custom_resource_watch(custom: client.CustomObjectsApi, kube: KubeEmulator) -> None:
    async with watch.Watch() as w:
        events = w.stream(
            custom.list_cluster_custom_object, "karpenter.sh", "v1beta1", "nodepools", timeout_seconds=5
        )
        kube.store.create(nodepool("pool"))
        (added,) = await take(events, 1)
    assert added["type"] == "ADDED"
    assert added["raw_object"]["apiVersion"] == "karpenter.sh/v1beta1"
    assert w.resource_version == added["raw_object"]["metadata"]["resourceVersion"]


async def test_send_initial_events_ends_with_marker(kube: KubeEmulator) -> None:
    kube.store.create(node("n1"))
    query = "watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
    async with aiohttp.ClientSession() as http, http.get(f"{kube.url}/api/v1/nodes?{query}") as resp:
        first = json.loads(await resp.content.readline())
        marker = json.loads(await resp.content.readline())
    assert first["type"] == "ADDED"
    assert marker["type"] == "BOOKMARK"
    assert marker["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_watch_ends_when_emulator_stops() -> None:
    kube = KubeEmulator()
    await kube.start()
    async with aiohttp.ClientSession() as http, http.get(f"{kube.url}/api/v1/nodes?watch=true") as resp:
        await asyncio.sleep(0)
        stopping = asyncio.create_task(kube.stop())
        async with asyncio.timeout(3):
            assert await resp.read() == b""
        await stopping


@pytest.mark.parametrize("flag", ["true", "True", "1"])
async def test_watch_flag_spellings(kube: KubeEmulator, flag: str) -> None:
    kube.store.create(node("n1"))
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{kube.url}/api/v1/nodes?watch={flag}&timeoutSeconds=2") as resp,
    ):
        first = json.loads(await resp.content.readline())
    assert first["type"] == "ADDED"
    assert first["object"]["kind"] == "Node"
