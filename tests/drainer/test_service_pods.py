"""Which pods a drain takes and how: standalone and emptyDir pods per config, evictions in flight bounded,
and the evicted pods' owners watched until their pods run elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.sim.kube import AuditEntry, KubeEmulator
from tests.helpers import eventually

from .support import EVICTIONS, Bus, drain_job, drainer_settings, node, pod, running


@pytest.mark.parametrize("evict_standalone", [False, True])
async def test_standalone_pods_block_unless_configured(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus, evict_standalone: bool
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    kube.store.create(pod("debug", "n1", owner=None))
    kube.audit.clear()
    config = drainer_settings(nats_url, cluster, kube, evict_standalone_pods=evict_standalone)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    if evict_standalone:
        assert (result.outcome, result.pods_evicted) == ("drained", 2)
        assert "1 standalone pod(s) not recreated: default/debug" in result.detail
    else:
        assert (result.outcome, result.pods_blocked) == ("skipped", 1)
        assert "default/debug (standalone)" in result.detail
        assert kube.audit.count_mutations() == 0


@pytest.mark.parametrize("evict_emptydir", [True, False])
async def test_emptydir_pods_are_evicted_unless_configured(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus, evict_emptydir: bool
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("cache-0", "n1", emptydir=True))
    kube.audit.clear()
    config = drainer_settings(nats_url, cluster, kube, evict_emptydir_pods=evict_emptydir)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    if evict_emptydir:
        assert (result.outcome, result.pods_evicted) == ("drained", 1)
        assert "emptyDir data of 1 pod(s) deleted: default/cache-0" in result.detail
    else:
        assert (result.outcome, result.pods_blocked) == ("skipped", 1)
        assert "default/cache-0 (emptydir)" in result.detail
        assert kube.audit.count_mutations() == 0


async def test_evictions_in_flight_never_exceed_the_limit(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    for i in range(8):
        kube.store.create(pod(f"web-{i}", "n1"))
    kube.faults.delay("POST", EVICTIONS, 0.2, times=None)  # each eviction stays in flight a while
    in_flight, peak = 0, 0
    take, record = kube.faults.take, kube.audit.record

    def arrived(method: str, path: str, is_watch: bool) -> Any:
        nonlocal in_flight, peak
        if method == "POST" and path.endswith("/eviction"):
            in_flight += 1
            peak = max(peak, in_flight)
        return take(method, path, is_watch)

    def answered(entry: AuditEntry) -> None:
        nonlocal in_flight
        if entry.is_eviction:
            in_flight -= 1
        record(entry)

    kube.faults.take = arrived  # type: ignore[method-assign]
    kube.audit.record = answered  # type: ignore[method-assign]
    async with running(drainer_settings(nats_url, cluster, kube, evictions_per_node=3)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 8)
    assert kube.audit.count_mutations(path=EVICTIONS) == 8
    assert peak == 3  # concurrent, and bounded


async def test_the_drain_waits_until_the_owners_run_their_pods_elsewhere(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(node("n2"))
    for i in range(2):
        kube.store.create(pod(f"web-{i}", "n1", owner_name="web"))
    kube.store.create(pod("web-2", "n2", owner_name="web"))
    config = drainer_settings(nats_url, cluster, kube, reschedule_timeout_seconds=20)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        await eventually(lambda: kube.store.list("pods", field_selector="spec.nodeName=n1") == [])
        polls = len(kube.audit.entries(method="GET", path=r"^/api/v1/namespaces/default/pods$"))
        await eventually(
            lambda: (
                len(kube.audit.entries(method="GET", path=r"^/api/v1/namespaces/default/pods$")) >= polls + 3
            )
        )
        assert nats_bus.results == []  # the node is empty, but the owner has 1 of 3 pods running
        for i in (3, 4):  # play the ReplicaSet controller and the scheduler
            kube.store.create(pod(f"web-{i}", "n2", owner_name="web"))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert "replacements of the evicted pods of 1 owner(s) are Running elsewhere" in result.detail


async def test_owners_not_back_in_time_are_reported_not_rolled_back(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1", owner_name="web"))
    config = drainer_settings(nats_url, cluster, kube, reschedule_timeout_seconds=0.3)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 1)
    assert (
        "1 of 1 owner(s) not rescheduled yet: default/web (ReplicaSet) 0 of 1 Running elsewhere"
        in result.detail
    )
