"""The collector over real HTTP (the Kubernetes emulator) and a real NATS: what arrives on the bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import nats
import pytest

from spotvortex.collector import SPEC
from spotvortex.contracts import Provisioner
from spotvortex.runtime.service import ServiceRunner
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .builders import node
from .support import Tap, collector_settings, has, populate, running, web


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(bookmark_interval=0.2, seed=7) as emulator:
        yield emulator


def sample(runner: ServiceRunner, name: str, **labels: str) -> float:
    value = runner.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def test_startup_then_cadence_snapshots_with_the_right_counts(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    populate(kube)
    async with Tap.on(nats_url, cluster) as tap, running(collector_settings(nats_url, cluster, kube.url)):
        first = await tap.until(web)
        batch = await tap.until(lambda t: t.pool == "batch")
        cadence = await tap.until(lambda t: web(t) and t.trigger == "cadence")

    assert first.trigger == "startup"
    assert (first.nodes.spot, first.nodes.on_demand, first.nodes.spot_ready) == (2, 1, 2)
    assert first.current_spot_ratio == pytest.approx(2 / 3)
    assert first.provisioner is Provisioner.KARPENTER
    assert first.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert first.workload.workload_pods == 4  # the DaemonSet pod is not workload
    assert first.utilisation.cpu_requested_cores == pytest.approx(2.5)  # 4 web pods + the agent
    assert first.utilisation.cpu_allocatable_cores == pytest.approx(12.0)
    # minAvailable 3 of 4 healthy pods allows 1 disruption; spot-1 holds 2 of them, spot-2 one more
    assert first.safety.min_pdb_slack_if_one_node_lost == -1
    assert first.safety.min_pdb_slack_if_two_nodes_lost == -2
    assert sorted((np.name, np.nodes, np.weight) for np in first.nodepools) == [
        ("web-od", 1, 10),
        ("web-spot", 2, 100),
    ]
    assert first.cluster_nodes == 5  # the control-plane node is not counted
    assert (batch.provisioner, batch.nodes.spot) == (Provisioner.MANAGED_NODEGROUP, 1)
    assert cadence.time > first.time
    assert cadence.nodes == first.nodes


async def test_cluster_changes_show_up_in_the_next_snapshot(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    populate(kube)
    async with Tap.on(nats_url, cluster) as tap, running(collector_settings(nats_url, cluster, kube.url)):
        await tap.until(has(nodes__cordoned=0, workload__workload_pods=4))
        kube.store.patch("nodes", "spot-2", {"spec": {"unschedulable": True}})
        kube.store.delete("pods", "web-3", "default")
        kube.store.create(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": "spot-3",
                    "labels": {"karpenter.sh/nodepool": "web-spot", "karpenter.sh/capacity-type": "spot"},
                },
            }
        )
        changed = await tap.until(has(nodes__cordoned=1, workload__workload_pods=3, nodes__spot=3))
    assert changed.nodes.not_ready == 1  # the new node has not reported Ready yet
    assert changed.cluster_draining == 1


async def test_a_dropped_watch_resumes_where_it_stopped(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    populate(kube)
    settings = collector_settings(nats_url, cluster, kube.url, watch_timeout=1)
    async with Tap.on(nats_url, cluster) as tap, running(settings) as runner:
        await tap.until(has(workload__workload_pods=4))
        fault = kube.faults.drop_watch(r"^/api/v1/pods$", after_events=1)
        await eventually(lambda: fault.fired == 1)  # the next pods watch is the one cut short
        kube.store.delete("pods", "web-0", "default")
        kube.store.delete("pods", "web-1", "default")
        await tap.until(has(workload__workload_pods=2))
        assert sample(runner, "spotvortex_collector_watch_restarts_total", kind="Pod", reason="error") >= 1
        assert sample(runner, "spotvortex_collector_lists_total", kind="Pod") == 1  # resumed, not re-listed


async def test_a_compacted_history_forces_a_relist(nats_url: str, cluster: str, kube: KubeEmulator) -> None:
    populate(kube)
    settings = collector_settings(nats_url, cluster, kube.url, watch_timeout=1)
    async with Tap.on(nats_url, cluster) as tap, running(settings) as runner:
        await tap.until(has(workload__workload_pods=4))
        outage = kube.faults.fail(None, r"^/api/v1/pods$", 503, times=None)
        await eventually(lambda: outage.fired >= 1)  # the pods watch ended and could not come back
        kube.store.delete("pods", "web-0", "default")
        kube.store.delete("pods", "agent-spot-1", "default")
        kube.store.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "web-9", "namespace": "default", "labels": {"app": "web"}},
                "spec": {"nodeName": "od-1", "containers": []},
            }
        )
        kube.hub.compact(kube.store.resource_version)
        kube.faults.remove(outage)
        after = await tap.until(has(workload__workload_pods=4, utilisation__cpu_requested_cores=1.5))
        assert sample(runner, "spotvortex_collector_watch_restarts_total", kind="Pod", reason="expired") >= 1
        assert sample(runner, "spotvortex_collector_lists_total", kind="Pod") >= 2
    assert after.nodes.total == 3


async def test_interruption_notice_publishes_its_pool_at_once(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    populate(kube)
    settings = collector_settings(nats_url, cluster, kube.url, cadence=3600)
    async with Tap.on(nats_url, cluster) as tap, running(settings):
        await tap.until(lambda t: web(t) and t.trigger == "startup")
        nc = await nats.connect(nats_url)
        try:
            started = time.monotonic()
            await nc.publish(
                "spotvortex.market.us-east-1.interruption", b'{"zone": "us-east-1b", "node": "spot-2"}'
            )
            hit = await tap.until(lambda t: t.trigger == "interruption", timeout=5)
            elapsed = time.monotonic() - started
            by_id = (
                b'{"zone": "us-east-1a", "instance_id": "i-0000000000000aaa1", "instance_type": "m5.large"}'
            )
            await nc.publish("spotvortex.market.us-east-1.interruption", by_id)
            second = await tap.until(lambda t: t.trigger == "interruption", timeout=5)
        finally:
            await nc.close()
    assert hit.pool == "web"
    assert hit.nodes.interruption_pending == 1
    assert elapsed < 3
    assert second.nodes.interruption_pending == 2
    assert [(s.instance_type, s.zone, s.interruptions_1h) for s in second.market] == [
        ("m5.large", "us-east-1a", 1),
        ("m5.large", "us-east-1b", 1),
    ]


async def test_market_events_reach_the_window_and_malformed_ones_the_dlq(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    populate(kube)
    async with Tap.on(nats_url, cluster) as tap, running(collector_settings(nats_url, cluster, kube.url)):
        await tap.until(web)
        nc = await nats.connect(nats_url)
        try:
            await nc.publish(
                "spotvortex.market.us-east-1.price",
                b'{"instance_type": "m5.large", "zone": "us-east-1a", "spot_price": 0.031, "on_demand_price": 0.096}',
            )
            await nc.publish(
                "spotvortex.market.us-east-1.capacity",
                b'{"instance_type": "m5.large", "zone": "us-east-1a", "available": false, "placement_score": 2}',
            )
            await nc.publish(
                "spotvortex.market.us-east-1.price",
                b'{"instance_type": "m5.large", "zone": "us-east-1a", "spot_price": "cheap"}',
            )
            letter = await tap.letter()
            priced = await tap.until(
                lambda t: web(t) and bool(t.market) and t.market[0].capacity_losses_1h == 1
            )
        finally:
            await nc.close()
    assert letter.service == "collector"
    assert letter.reason == "invalid"
    assert letter.field == "spot_price"
    assert letter.subject == "spotvortex.market.us-east-1.price"
    series = priced.market[0]
    assert (series.instance_type, series.zone, series.spot_price, series.on_demand_price) == (
        "m5.large",
        "us-east-1a",
        0.031,
        0.096,
    )
    assert (series.spot_available, series.placement_score) == (False, 2)


async def test_without_karpenter_there_are_no_nodepools_and_no_crash(nats_url: str, cluster: str) -> None:
    async with KubeEmulator(karpenter_versions=()) as kube:
        populate_without_nodepools(kube)
        async with Tap.on(nats_url, cluster) as tap, running(collector_settings(nats_url, cluster, kube.url)):
            first = await tap.until(lambda t: t.pool == "batch")
    assert first.nodepools == []
    assert first.nodes.spot == 1


async def test_nodepools_are_read_at_v1beta1_when_v1_is_not_served(nats_url: str, cluster: str) -> None:
    async with KubeEmulator(karpenter_versions=("v1beta1",)) as kube:
        populate(kube, karpenter="v1beta1")
        async with Tap.on(nats_url, cluster) as tap, running(collector_settings(nats_url, cluster, kube.url)):
            first = await tap.until(web)
    assert sorted(np.name for np in first.nodepools) == ["web-od", "web-spot"]


def populate_without_nodepools(kube: KubeEmulator) -> None:
    kube.store.create(
        node(
            "ng-1",
            capacity=None,
            labels={"eks.amazonaws.com/nodegroup": "batch-spot", "eks.amazonaws.com/capacityType": "SPOT"},
        )
    )


async def test_stops_promptly(nats_url: str, cluster: str, kube: KubeEmulator) -> None:
    populate(kube)
    async with Tap.on(nats_url, cluster) as tap:
        runner = ServiceRunner(SPEC, collector_settings(nats_url, cluster, kube.url))
        await runner.start()
        await tap.until(web)
        started = time.monotonic()
        await asyncio.wait_for(runner.stop(), 10)
        assert time.monotonic() - started < 3
