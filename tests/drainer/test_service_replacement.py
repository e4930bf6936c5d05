"""Replacement first, end to end: the drainer on real NATS, Karpenter placeholders in the API emulator.

The emulator runs no scheduler and no Karpenter: a placeholder stays unscheduled until the test plays the
scheduler and binds it to a node, which is how "replacement capacity came up" looks from the API.
"""

from __future__ import annotations

from datetime import UTC, datetime

from spotvortex.contracts import Mode, Provisioner
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .support import (
    EVICTIONS,
    Bus,
    bind,
    drain_job,
    drainer_settings,
    event_reasons,
    node,
    placeholders,
    pod,
    running,
)

NODE_PATCH = r"^/api/v1/nodes/"
PLACEHOLDER_PODS = r"^/api/v1/namespaces/spotvortex/pods"


def spot_node(kube: KubeEmulator) -> None:
    """``spot-1`` runs two web pods; ``od-1`` is a Ready on-demand node, ``spot-2`` a Ready spot node."""
    kube.store.create(node("spot-1", capacity_type="spot", ready=True))
    kube.store.create(node("spot-2", capacity_type="spot", ready=True))
    kube.store.create(node("od-1", capacity_type="on-demand", ready=True))
    for i in range(2):
        kube.store.create(
            pod(f"web-{i}", "spot-1", owner_name="web", requests={"cpu": "500m", "memory": "1Gi"})
        )


def unschedulable(kube: KubeEmulator, name: str) -> bool:
    return bool(kube.store.get("nodes", name).get("spec", {}).get("unschedulable"))


def placeholder_writes(kube: KubeEmulator, method: str) -> int:
    return kube.audit.count_mutations(method=method, path=PLACEHOLDER_PODS)


async def test_a_replacement_that_never_comes_leaves_the_node_untouched(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    config = drainer_settings(nats_url, cluster, kube, replacement_timeout_seconds=1.0)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True))
        result = await nats_bus.result("spot-1")
    assert (result.outcome, result.pods_evicted) == ("abandoned", 0)
    assert "replacement capacity not Ready within 1s" in result.detail
    assert "0 of 2 placeholder pod(s)" in result.detail
    assert "not scheduled" in result.detail
    assert "nothing was cordoned or evicted" in result.detail
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 0
    assert kube.audit.count_mutations(path=EVICTIONS) == 0
    assert not unschedulable(kube, "spot-1")
    assert len(kube.store.list("pods", field_selector="spec.nodeName=spot-1")) == 2
    assert placeholder_writes(kube, "POST") == 2
    assert placeholder_writes(kube, "DELETE") == 2
    assert placeholders(kube) == []  # none leaked
    assert event_reasons(kube, "spot-1") == [
        "SpotVortexReplacementRequested",
        "SpotVortexReplacementTimedOut",
    ]


async def test_the_drain_waits_for_ready_capacity_of_the_target_type_then_proceeds(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True, nodepools=["web-od"]))
        await eventually(lambda: len(placeholders(kube)) == 2)
        created = placeholders(kube)
        assert {p["spec"]["nodeSelector"]["karpenter.sh/capacity-type"] for p in created} == {"on-demand"}
        assert {p["spec"]["containers"][0]["resources"]["requests"]["cpu"] for p in created} == {"500m"}
        affinity = created[0]["spec"]["affinity"]["nodeAffinity"]
        terms = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms[0]["matchExpressions"][0]["values"] == ["web-od"]

        bind(kube, "spot-2")  # capacity, but of the wrong type: still no cordon
        checks = len(kube.audit.entries(method="GET", path=PLACEHOLDER_PODS))
        await eventually(lambda: len(kube.audit.entries(method="GET", path=PLACEHOLDER_PODS)) >= checks + 3)
        assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 0
        assert kube.audit.count_mutations(path=EVICTIONS) == 0

        bind(kube, "od-1")
        result = await nats_bus.result("spot-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert "on-demand replacement Ready after" in result.detail
    assert "on od-1" in result.detail
    assert placeholders(kube) == []
    writes = [(e.method, e.path) for e in kube.audit.mutations() if not e.path.endswith("/events")]
    deletes = [i for i, (m, p) in enumerate(writes) if m == "DELETE"]
    cordon = writes.index(("PATCH", "/api/v1/nodes/spot-1"))
    assert len(deletes) == 2
    assert max(deletes) < cordon  # the room is handed over before the node is cordoned
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 1
    assert kube.audit.count_mutations(path=EVICTIONS) == 2
    assert unschedulable(kube, "spot-1")


async def test_an_emergency_asks_for_replacement_and_drains_at_once(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True, emergency=True))
        result = await nats_bus.result("spot-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert "emergency: on-demand replacement requested (karpenter placeholders), not awaited" in result.detail
    writes = [(e.method, e.path) for e in kube.audit.mutations() if not e.path.endswith("/events")]
    created = [
        i for i, (m, p) in enumerate(writes) if m == "POST" and p.startswith("/api/v1/namespaces/spotvortex")
    ]
    cordon = writes.index(("PATCH", "/api/v1/nodes/spot-1"))
    evictions = [i for i, (_, p) in enumerate(writes) if p.endswith("/eviction")]
    deletes = [i for i, (m, _) in enumerate(writes) if m == "DELETE"]
    assert len(created) == 2
    assert max(created) < cordon < min(evictions)  # asked first, cordoned without waiting
    assert len(deletes) == 2
    assert min(deletes) > max(evictions)  # kept until the node was done
    assert placeholders(kube) == []


async def test_a_restarted_drainer_resumes_the_wait_and_drains_once(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    config = drainer_settings(nats_url, cluster, kube)

    async def waiting() -> bool:
        record = await nats_bus.record("job-1")
        return record is not None and record.nodes[0].phase == "replacing" and len(placeholders(kube)) == 2

    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True, deadline_in=60))
        await eventually(waiting)
    assert nats_bus.results == []
    assert len(placeholders(kube)) == 2  # stopping is not giving up: the request stands

    bind(kube, "od-1")  # the capacity comes up while the drainer is down
    async with running(config):
        result = await nats_bus.result("spot-1")
        await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert placeholder_writes(kube, "POST") == 2  # found again, not created a second time
    assert placeholders(kube) == []
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 1
    assert kube.audit.count_mutations(path=EVICTIONS) == 2
    assert [r.node for r in nats_bus.results] == ["spot-1"]


async def test_a_restarted_drainer_past_the_wait_cleans_up_without_touching_the_node(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    config = drainer_settings(nats_url, cluster, kube, replacement_timeout_seconds=1.0)
    async with running(config):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True, deadline_in=60))
        await eventually(lambda: len(placeholders(kube)) == 2)
    record = await nats_bus.record("job-1")
    assert record is not None
    until = record.nodes[0].replacement_until
    assert until is not None
    await eventually(lambda: datetime.now(UTC) >= until)  # the wait ends while the drainer is down

    async with running(config):
        result = await nats_bus.result("spot-1")
        await nats_bus.finished("job-1")
    assert result.outcome == "abandoned"
    assert "2 placeholder pod(s)" in result.detail
    assert placeholders(kube) == []
    assert placeholder_writes(kube, "POST") == 2
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 0
    assert kube.audit.count_mutations(path=EVICTIONS) == 0
    assert [r.node for r in nats_bus.results] == ["spot-1"]


async def test_a_provisioner_without_a_provider_is_drained_without_the_wait(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube)):
        job = drain_job(
            cluster, ["spot-1"], replacement_first=True, provisioner=Provisioner.CLUSTER_AUTOSCALER
        )
        await nats_bus.publish(job)
        result = await nats_bus.result("spot-1")
    assert result.outcome == "drained"
    assert "replacement not awaited: no replacement provider for cluster-autoscaler" in result.detail
    assert placeholder_writes(kube, "POST") == 0


async def test_shadow_asks_for_no_replacement_either(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    spot_node(kube)
    kube.audit.clear()
    async with running(drainer_settings(nats_url, cluster, kube, mode=Mode.SHADOW)):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True, mode=Mode.ENFORCE))
        result = await nats_bus.result("spot-1")
    assert (result.outcome, result.pods_evicted) == ("would-drain", 2)
    assert (
        "would first wait up to 600s for on-demand replacement capacity (karpenter placeholders)"
        in result.detail
    )
    assert kube.audit.count_mutations() == 0  # no placeholder, no Event, no cordon, no eviction
    assert kube.audit.entries(mutating=False)
