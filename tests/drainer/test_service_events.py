"""Kubernetes Events on the drained node: one per step, told once, and never a reason for a drain to fail."""

from __future__ import annotations

from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .support import (
    EVICTIONS,
    Bus,
    bind,
    blocked_node,
    drain_job,
    drainer_settings,
    event_reasons,
    node,
    placeholders,
    pod,
    running,
)

EVENTS = r"/events$"


async def test_every_step_of_a_drain_is_told_on_the_node(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("spot-1", capacity_type="spot", ready=True))
    kube.store.create(node("od-1", capacity_type="on-demand", ready=True))
    kube.store.create(pod("web-0", "spot-1"))
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["spot-1"], replacement_first=True))
        await eventually(lambda: len(placeholders(kube)) == 1)
        bind(kube, "od-1")
        assert (await nats_bus.result("spot-1")).outcome == "drained"
    assert event_reasons(kube, "spot-1") == [
        "SpotVortexReplacementRequested",
        "SpotVortexReplacementReady",
        "SpotVortexCordon",
        "SpotVortexDrained",
    ]
    uid = kube.store.get("nodes", "spot-1")["metadata"]["uid"]
    for event in kube.store.list("events", namespace="default"):
        assert event["involvedObject"] == {"apiVersion": "v1", "kind": "Node", "name": "spot-1", "uid": uid}
        assert event["reportingComponent"] == "spotvortex-drainer"
        assert event["type"] == "Normal"
        assert "job-1" in event["message"]


async def test_a_refusing_budget_is_told_once_then_the_rollback_and_the_uncordon(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    blocked_node(kube)  # every eviction is a 429
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"], deadline_in=1.5))
        assert (await nats_bus.result("n1")).outcome == "rolled-back"
    assert len([e for e in kube.audit.mutations(path=EVICTIONS) if e.status == 429]) >= 4
    assert event_reasons(kube, "n1") == [
        "SpotVortexCordon",
        "SpotVortexEvictionBlocked",
        "SpotVortexRollback",
        "SpotVortexUncordon",
    ]
    assert kube.audit.count_mutations(path=EVENTS) == 4  # the refusal was not even re-sent per retry
    (blocked,) = kube.store.list("events", field_selector="reason=SpotVortexEvictionBlocked")
    assert blocked["type"] == "Warning"
    assert "disruption budget" in blocked["message"]


async def test_events_that_cannot_be_written_do_not_stop_the_drain(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    kube.store.create(node("n1"))
    kube.store.create(pod("web-0", "n1"))
    refused = kube.faults.fail("POST", EVENTS, 403, times=None, message="events are forbidden")
    async with running(drainer_settings(nats_url, cluster, kube)):
        await nats_bus.publish(drain_job(cluster, ["n1"]))
        result = await nats_bus.result("n1")
    assert (result.outcome, result.pods_evicted) == ("drained", 1)
    assert refused.fired == 2  # the cordon's and the drain's, each tried once
    assert kube.store.list("events") == []
