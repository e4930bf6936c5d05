"""The router on a real NATS against the Kubernetes API emulator over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from spotvortex.contracts import (
    Action,
    DrainJob,
    GateVerdict,
    Mode,
    SteeringChange,
    decode,
    encode,
    jetstream,
    subjects,
)
from spotvortex.contracts.subjects import PoolKind
from spotvortex.runtime.provision import ensure_all
from spotvortex.sim.kube import KubeEmulator

from .support import router_settings, working

CT = "karpenter.sh/capacity-type"


def nodepool(name: str, capacity: str, weight: int) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "weight": weight,
            "template": {"spec": {"requirements": [{"key": CT, "operator": "In", "values": [capacity]}]}},
        },
    }


def node(name: str, capacity: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {CT: capacity, "karpenter.sh/nodepool": f"web-{capacity}"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "capacity": {"cpu": "2"}},
    }


def populate(emulator: KubeEmulator, version: str = "v1") -> None:
    for name, capacity, weight in (("web-spot", "spot", 100), ("web-od", "on-demand", 10)):
        emulator.store.create(nodepool(name, capacity, weight) | {"apiVersion": f"karpenter.sh/{version}"})
    for i in range(3):
        emulator.store.create(node(f"spot-{i}", "spot"))
    emulator.store.create(node("od-0", "on-demand"))
    emulator.audit.clear()


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(seed=3) as emulator:
        populate(emulator)
        yield emulator


def approved(cluster: str, mode: Mode) -> GateVerdict:
    return GateVerdict(
        cluster=cluster,
        pool="web",
        decision_id="d1",
        time=datetime.now(UTC),
        mode=mode,
        approved=True,
        proposed=Action.DECREASE_30,
        action=Action.DECREASE_30,
        current_spot_ratio=0.75,
        target_spot_ratio=0.45,
        drain_allowance=2,
    )


async def run_router(
    nats_url: str, cluster: str, kube: KubeEmulator, mode: Mode
) -> tuple[SteeringChange, DrainJob]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    steer: asyncio.Future[SteeringChange] = asyncio.get_running_loop().create_future()
    drain: asyncio.Future[DrainJob] = asyncio.get_running_loop().create_future()

    async def on_steer(msg: Any) -> None:
        steer.set_result(decode(msg.data, SteeringChange))

    async def on_drain(msg: Any) -> None:
        drain.set_result(decode(msg.data, DrainJob))

    await nc.subscribe(subjects.pool(cluster, PoolKind.STEER, "web"), cb=on_steer)
    await nc.subscribe(subjects.pool(cluster, PoolKind.DRAIN, "web"), cb=on_drain)
    try:
        async with working(router_settings(nats_url, cluster, kube.url, mode)):
            await js.publish(
                subjects.pool(cluster, PoolKind.APPROVED, "web"), encode(approved(cluster, Mode.ENFORCE))
            )
            return await asyncio.wait_for(steer, 10), await asyncio.wait_for(drain, 10)
    finally:
        await nc.close()


async def test_enforce_reweights_the_twin_nodepools_and_plans_the_drain(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    steer, job = await run_router(nats_url, cluster, kube, Mode.ENFORCE)
    assert steer.applied
    assert kube.store.get("nodepools", "web-od")["spec"]["weight"] == 100
    assert kube.store.get("nodepools", "web-spot")["spec"]["weight"] == 10
    weights = {(op.target, op.after) for op in steer.operations if op.field == "spec.weight"}
    assert weights == {("web-od", "100"), ("web-spot", "10")}
    [limit] = [op for op in steer.operations if op.field == "spec.limits.cpu"]
    spot = kube.store.get("nodepools", "web-spot")
    assert spot["spec"]["limits"]["cpu"] == limit.after == "2000m"  # one 2-vCPU spot node left of three
    assert len(job.nodes) == 2
    assert all(n.startswith("spot-") for n in job.nodes)
    assert job.mode is Mode.ENFORCE
    assert job.nodepools == ["web-od"]  # where the replacement capacity comes from
    # the patches are merge patches on the NodePools, and nothing else was written
    assert kube.audit.count_mutations() == 3
    assert kube.audit.count_mutations(method="PATCH") == 3


async def test_shadow_publishes_the_same_plan_and_writes_nothing(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    steer, job = await run_router(nats_url, cluster, kube, Mode.SHADOW)
    assert not steer.applied
    assert {(op.target, op.field) for op in steer.operations} == {
        ("web-od", "spec.weight"),
        ("web-spot", "spec.weight"),
        ("web-spot", "spec.limits.cpu"),
    }
    assert job.mode is Mode.SHADOW
    assert len(job.nodes) == 2
    assert kube.store.get("nodepools", "web-spot")["spec"]["weight"] == 100
    assert kube.audit.count_mutations() == 0


async def test_karpenter_v1beta1_nodepools_are_steered_when_v1_is_not_served(
    nats_url: str, cluster: str
) -> None:
    async with KubeEmulator(seed=3, karpenter_versions=("v1beta1",)) as kube:
        populate(kube, version="v1beta1")
        steer, job = await run_router(nats_url, cluster, kube, Mode.ENFORCE)
        assert steer.applied
        assert kube.store.get("nodepools", "web-od")["spec"]["weight"] == 100
        assert kube.store.get("nodepools", "web-spot")["spec"]["limits"] == {"cpu": "2000m"}
        patched = [e.path for e in kube.audit.mutations(method="PATCH")]
        assert patched
        assert all(p.startswith("/apis/karpenter.sh/v1beta1/nodepools/") for p in patched)
        assert len(job.nodes) == 2
