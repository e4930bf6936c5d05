"""The router service on a real NATS, steering through Cluster Autoscaler's expander ConfigMap (Kubernetes
emulator) and through Auto Scaling groups (AWS emulator, aioboto3); HOLD verdicts steer but never drain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
import yaml

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
from spotvortex.contracts.enums import Provisioner
from spotvortex.contracts.subjects import PoolKind
from spotvortex.router.config import AwsSettings, ProvisionerPath, RouterConfig
from spotvortex.runtime.provision import ensure_all
from spotvortex.sim.aws import AwsEmulator
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

from .asg_support import Groups, aws_credentials, emulator, group
from .support import router_settings, working

EXPANDER = "cluster-autoscaler-priority-expander"
OPERATOR = "10:\n  - .*web-od.*\n50:\n  - .*gpu.*\n"


def node(name: str, capacity: str, instance: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"spotvortex.io/pool": "web", "eks.amazonaws.com/capacityType": capacity},
        },
        "spec": {"providerID": f"aws:///us-east-1a/{instance}"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(seed=7) as emulator:
        emulator.store.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": EXPANDER, "namespace": "kube-system"},
                "data": {"priorities": OPERATOR},
            }
        )
        for i in range(3):
            emulator.store.create(node(f"spot-{i}", "SPOT", f"i-000000000000a000{i}"))
        emulator.store.create(node("od-0", "ON_DEMAND", "i-000000000000a0100"))
        emulator.audit.clear()
        yield emulator


@pytest.fixture
async def aws(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AwsEmulator]:
    aws_credentials(monkeypatch)
    backend = Groups([group("web-mixed", {"spotvortex.io/pool": "web"}, desired=4, mixed_percentage=0)])
    async with emulator(backend) as running:
        yield running


def verdict(cluster: str, decision: str, action: Action, target: float, allowance: int) -> GateVerdict:
    return GateVerdict(
        cluster=cluster,
        pool="web",
        decision_id=decision,
        time=datetime.now(UTC),
        mode=Mode.ENFORCE,
        approved=True,
        proposed=action,
        action=action,
        current_spot_ratio=0.75,
        target_spot_ratio=target,
        drain_allowance=allowance,
    )


@dataclass
class Router:
    """A running router and what it published, by decision id."""

    js: Any
    cluster: str
    steers: dict[str, asyncio.Future[SteeringChange]] = field(default_factory=dict)
    drains: list[DrainJob] = field(default_factory=list)

    def _future(self, decision: str) -> asyncio.Future[SteeringChange]:
        return self.steers.setdefault(decision, asyncio.get_running_loop().create_future())

    async def approve(self, v: GateVerdict) -> SteeringChange:
        """Publish the verdict, wait for its steering change and for the router to have acked it."""
        ack = await self.js.publish(subjects.pool(self.cluster, PoolKind.APPROVED, v.pool), encode(v))
        steer = await asyncio.wait_for(self._future(v.decision_id), 10)
        stream = jetstream.decisions_stream(self.cluster)

        async def handled() -> bool:
            info = await self.js.consumer_info(stream, "router")
            return bool(info.ack_floor.stream_seq >= ack.seq and info.num_ack_pending == 0)

        await eventually(handled)
        return steer

    async def drain_for(self, decision: str) -> DrainJob:
        await eventually(lambda: any(j.decision_id == decision for j in self.drains))
        return next(j for j in self.drains if j.decision_id == decision)


@asynccontextmanager
async def running_router(
    nats_url: str, cluster: str, kube: KubeEmulator, mode: Mode, **overrides: Any
) -> AsyncIterator[Router]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    router = Router(js, cluster)

    async def on_steer(msg: Any) -> None:
        change = decode(msg.data, SteeringChange)
        router._future(change.decision_id).set_result(change)

    async def on_drain(msg: Any) -> None:
        router.drains.append(decode(msg.data, DrainJob))

    await nc.subscribe(subjects.pool(cluster, PoolKind.STEER, "web"), cb=on_steer)
    await nc.subscribe(subjects.pool(cluster, PoolKind.DRAIN, "web"), cb=on_drain)
    try:
        async with working(router_settings(nats_url, cluster, kube.url, mode, **overrides)):
            yield router
    finally:
        await nc.close()


def expander_priorities(kube: KubeEmulator) -> Any:
    return yaml.safe_load(kube.store.get("configmaps", EXPANDER, "kube-system")["data"]["priorities"])


async def test_cluster_autoscaler_pool_is_steered_through_the_expander_and_held_without_a_drain(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    paths = RouterConfig(pools={"web": ProvisionerPath.CLUSTER_AUTOSCALER})
    async with running_router(nats_url, cluster, kube, Mode.ENFORCE, router=paths) as router:
        moved = await router.approve(verdict(cluster, "d1", Action.DECREASE_30, 0.45, 2))
        assert moved.applied
        assert moved.provisioner is Provisioner.CLUSTER_AUTOSCALER
        assert {(op.target_kind, op.field, op.after) for op in moved.operations} == {
            ("configmap", "data.priorities[.*web-spot.*]", "10"),
            ("configmap", "data.priorities[.*web-od.*]", "100"),
        }
        assert expander_priorities(kube) == {10: [".*web-spot.*"], 50: [".*gpu.*"], 100: [".*web-od.*"]}
        job = await router.drain_for("d1")
        assert sorted(job.nodes) == ["spot-0", "spot-1"]
        assert job.provisioner is Provisioner.CLUSTER_AUTOSCALER

        held = await router.approve(verdict(cluster, "d2", Action.HOLD, 0.45, 2))
        assert held.applied
        assert {op.after for op in held.operations} == {"10", ""}
        assert expander_priorities(kube) == yaml.safe_load(OPERATOR)
    assert [j.decision_id for j in router.drains] == ["d1"]  # HOLD planned no drain


async def test_a_karpenter_hold_is_steered_and_never_drains(
    nats_url: str, cluster: str, kube: KubeEmulator
) -> None:
    async with running_router(nats_url, cluster, kube, Mode.ENFORCE) as router:
        held = await router.approve(verdict(cluster, "h1", Action.HOLD, 0.75, 3))
        assert held.provisioner is Provisioner.KARPENTER
    assert router.drains == []
    assert not any(
        e.path in ("/api/v1/nodes", "/api/v1/pods") for e in kube.audit.entries()
    )  # no drain planned


async def test_asg_pool_gets_its_mixed_percentage_and_a_drain(
    nats_url: str, cluster: str, kube: KubeEmulator, aws: AwsEmulator
) -> None:
    overrides = {
        "router": RouterConfig(provisioner=ProvisionerPath.ASG),
        "aws": AwsSettings(endpoint_url=aws.url),
    }
    async with running_router(nats_url, cluster, kube, Mode.ENFORCE, **overrides) as router:
        steer = await router.approve(verdict(cluster, "a1", Action.DECREASE_30, 0.45, 2))
        job = await router.drain_for("a1")
    assert steer.applied
    assert steer.provisioner is Provisioner.MANAGED_NODEGROUP
    [op] = steer.operations
    assert (op.target_kind, op.target, op.before, op.after) == ("asg", "web-mixed", "0", "55")
    [update] = aws.audit.mutations()
    assert update.action == "UpdateAutoScalingGroup"
    assert (
        update.params["MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity"]
        == "55"
    )
    assert sorted(job.nodes) == ["spot-0", "spot-1"]
    assert job.mode is Mode.ENFORCE
    assert kube.audit.count_mutations() == 0


async def test_shadow_publishes_the_same_asg_and_expander_plans_with_zero_mutations(
    nats_url: str, cluster: str, kube: KubeEmulator, aws: AwsEmulator
) -> None:
    overrides = {
        "router": RouterConfig(provisioner=ProvisionerPath.ASG),
        "aws": AwsSettings(endpoint_url=aws.url),
    }
    async with running_router(nats_url, cluster, kube, Mode.SHADOW, **overrides) as router:
        steer = await router.approve(verdict(cluster, "s1", Action.DECREASE_30, 0.45, 2))
        job = await router.drain_for("s1")
    assert not steer.applied
    assert [(op.target, op.after) for op in steer.operations] == [("web-mixed", "55")]
    assert job.mode is Mode.SHADOW
    assert aws.audit.entries(action="DescribeAutoScalingGroups")  # it read the groups
    assert aws.audit.count_mutations() == 0
    assert kube.audit.count_mutations() == 0


async def test_shadow_expander_plan_writes_nothing(nats_url: str, cluster: str, kube: KubeEmulator) -> None:
    paths = RouterConfig(provisioner=ProvisionerPath.CLUSTER_AUTOSCALER)
    async with running_router(nats_url, cluster, kube, Mode.SHADOW, router=paths) as router:
        steer = await router.approve(verdict(cluster, "s2", Action.INCREASE_10, 0.85, 1))
        job = await router.drain_for("s2")
    assert not steer.applied
    assert [(op.field, op.after) for op in steer.operations] == [("data.priorities[.*web-spot.*]", "100")]
    assert job.nodes == ["od-0"]
    assert kube.audit.count_mutations() == 0
    assert expander_priorities(kube) == yaml.safe_load(OPERATOR)
