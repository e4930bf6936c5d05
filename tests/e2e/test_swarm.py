"""The swarm end to end on a real NATS and the Kubernetes API emulator over HTTP.

A market event typed as raw JSON (what ``nats pub`` sends) travels telemetry → risk → action → verdict →
steer + drain → drained, and the cluster shows it; the same run in shadow mode decides the same way and
sends no mutating request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from spotvortex.contracts import Mode, jetstream
from spotvortex.runtime.provision import ensure_all
from spotvortex.sim.kube import KubeEmulator
from tests.sim.test_kube_kubectl import KUBECTL_BIN, Kubectl

from .cluster import INSTANCE_TYPE, SPOT_NODES, ZONES, populate, zone_of
from .swarm import swarm

FAST = {
    "SPOTVORTEX_COLLECTOR__CADENCE_SECONDS": "1",
    "SPOTVORTEX_GATES__COOLDOWN_SECONDS": "3600",
    "SPOTVORTEX_DRAINER__POLL_SECONDS": "0.2",
    # the bare emulator runs no controllers, so no evicted pod comes back: look once, do not wait for it
    "SPOTVORTEX_DRAINER__RESCHEDULE_TIMEOUT_SECONDS": "0",
}


class Recorder:
    """Every event of the cluster, by family, in arrival order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Condition()

    async def on_msg(self, msg: Any) -> None:
        family = msg.subject.split(".")[2]
        async with self.changed:
            self.events.append((family, json.loads(msg.data)))
            self.changed.notify_all()

    def of(self, family: str) -> list[dict[str, Any]]:
        return [e for f, e in self.events if f == family]

    async def first(self, family: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            async with self.changed:
                while True:
                    for event in self.of(family):
                        if all(event.get(k) == v for k, v in match.items()):
                            return event
                    await self.changed.wait()

        return await asyncio.wait_for(find(), timeout)


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(seed=11) as emulator:
        populate(emulator)
        yield emulator


MARKET = "spotvortex.market.us-east-1"


@asynccontextmanager
async def calm_market(nats_url: str, cluster: str) -> AsyncIterator[tuple[JetStreamContext, Recorder]]:
    """Streams in place, every cluster event recorded, and cheap spot prices in every zone."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    recorder = Recorder()
    await nc.subscribe(f"spotvortex.{cluster}.>", cb=recorder.on_msg)
    for zone in ZONES:
        price = {"instance_type": INSTANCE_TYPE, "zone": zone, "spot_price": 0.035, "on_demand_price": 0.096}
        await js.publish(f"{MARKET}.price", json.dumps(price).encode())
    try:
        yield js, recorder
    finally:
        await nc.close()


async def run_incident(nats_url: str, cluster: str, kube: KubeEmulator, mode: Mode) -> Recorder:
    """Start the swarm, wait for a calm decision, then report lost capacity and an interruption notice."""
    async with (
        calm_market(nats_url, cluster) as (js, recorder),
        swarm(nats_url=nats_url, cluster=cluster, kube_url=kube.url, mode=mode, extra=FAST),
    ):
        calm = await recorder.first("action", pool="web")
        assert calm["action"] == "HOLD", calm
        for zone in ZONES:  # a capacity crunch: no spot m5.large anywhere, and a notice on a running node
            crunch = {"instance_type": INSTANCE_TYPE, "zone": zone, "available": False}
            await js.publish(f"{MARKET}.capacity", json.dumps(crunch).encode())
        notice = {"zone": zone_of(SPOT_NODES[0]), "node": SPOT_NODES[0]}
        await js.publish(f"{MARKET}.interruption", json.dumps(notice).encode())
        await recorder.first("telemetry", pool="web", trigger="interruption")
        verdict = await recorder.first("approved", pool="web")
        await recorder.first("steer", pool="web")
        job = await recorder.first("drain", pool="web")
        await recorder.first("drained", pool="web", node=job["nodes"][0])
        assert verdict["action"] in ("DECREASE_10", "DECREASE_30", "EMERGENCY_EXIT")
    return recorder


async def test_an_interruption_notice_flows_to_a_drained_node_and_reweighted_nodepools(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    recorder = await run_incident(nats_url, cluster, kube, Mode.ENFORCE)
    job = recorder.of("drain")[0]
    result = next(r for r in recorder.of("drained") if r["node"] == job["nodes"][0])
    assert result["outcome"] == "drained", result
    assert job["nodes"][0] == SPOT_NODES[0]  # the node under notice goes first
    assert kube.store.get("nodes", job["nodes"][0])["spec"].get("unschedulable") is True
    assert kube.store.get("nodepools", "web-od")["spec"]["weight"] == 100
    assert kube.store.get("nodepools", "web-spot")["spec"]["weight"] == 10
    evicted = [d for d in kube.store.deletions if d.evicted]
    assert evicted
    assert all(d.grace_period_seconds and d.grace_period_seconds > 0 for d in evicted)


async def test_shadow_mode_decides_the_same_and_mutates_nothing(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    recorder = await run_incident(nats_url, cluster, kube, Mode.SHADOW)
    steer = recorder.of("steer")[0]
    assert steer["applied"] is False
    weights = {(op["target"], op["after"]) for op in steer["operations"] if op["field"] == "spec.weight"}
    assert weights == {("web-od", "100"), ("web-spot", "10")}
    limits = [op for op in steer["operations"] if op["field"] == "spec.limits.cpu"]
    assert [op["target"] for op in limits] == ["web-spot"]  # the spot capacity left after the move
    assert "limits" not in kube.store.get("nodepools", "web-spot")["spec"]
    results = recorder.of("drained")
    assert results
    assert {r["outcome"] for r in results} == {"would-drain"}
    assert kube.audit.count_mutations() == 0
    assert kube.store.get("nodepools", "web-spot")["spec"]["weight"] == 100


async def test_an_interruption_notice_alone_is_drained_at_once_by_the_fast_path(
    nats_url: str, cluster: str, kube: KubeEmulator, tmp_path: Path
) -> None:
    """No risk, no crunch: only a notice on one spot node. The policy would hold; the node is drained anyway,
    as an emergency (no replacement wait), and inside the two-minute window the notice gives."""
    noticed = SPOT_NODES[0]
    async with (
        calm_market(nats_url, cluster) as (js, recorder),
        swarm(nats_url=nats_url, cluster=cluster, kube_url=kube.url, mode=Mode.ENFORCE, extra=FAST),
    ):
        calm = await recorder.first("action", pool="web")
        assert calm["action"] == "HOLD", calm
        notice = {"zone": zone_of(noticed), "node": noticed}
        await js.publish(f"{MARKET}.interruption", json.dumps(notice).encode())
        fast = await recorder.first("telemetry", pool="web", trigger="interruption")
        verdict = await recorder.first("approved", pool="web", urgent=True)
        job = await recorder.first("drain", pool="web")
        done = await recorder.first("drained", pool="web", node=noticed)
    assert any(o["rule"] == "interruption_fast_path" for o in verdict["rules"])
    assert job["nodes"] == [noticed]  # only the noticed node, never a healthy one in its place
    assert job["emergency"] is True
    assert done["outcome"] == "drained", done
    started = datetime.fromisoformat(fast["time"])
    assert (datetime.fromisoformat(done["time"]) - started).total_seconds() < 120
    assert kube.store.get("nodes", noticed)["spec"].get("unschedulable") is True
    if KUBECTL_BIN is not None:  # what an operator sees
        kubectl = Kubectl(kube.url, tmp_path)
        listed = await kubectl.ok("get", "nodes", noticed)
        assert "SchedulingDisabled" in listed
        selector = f"involvedObject.name={noticed}"
        events = await kubectl.ok(
            "get", "events", "--field-selector", selector, "-o", "jsonpath={.items[*].reason}"
        )
        assert "SpotVortexCordon" in events
        assert "SpotVortexDrained" in events
