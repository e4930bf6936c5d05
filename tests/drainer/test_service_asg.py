"""Replacement first between twin Auto Scaling groups, end to end: the drainer on real NATS, the groups in the
AWS emulator and their nodes in the Kubernetes emulator, both reached over HTTP.

Neither emulator runs a cloud or a kubelet: a scale-up leaves ``Pending`` instances until the test brings
them into service (``Cloud.boot``) and lets their nodes join (``Cloud.register``/``Cloud.join``), which is
how "replacement capacity came up" looks from both APIs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from spotvortex.contracts import DrainJob, Mode, Provisioner
from spotvortex.sim.aws import AwsEmulator
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually
from tests.router.asg_support import Groups, aws_credentials, emulator, group, twins

from .asg_support import OD_GROUP, SPOT_GROUP, Cloud, asg_settings, node_name
from .support import EVICTIONS, Bus, drain_job, running

NODE_PATCH = r"^/api/v1/nodes/"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    aws_credentials(monkeypatch)


@contextlib.asynccontextmanager
async def world(kube: KubeEmulator, *, od_max: int = 10) -> AsyncIterator[tuple[Cloud, AwsEmulator]]:
    """Pool ``web``: a spot twin of 3 instances and an on-demand twin of 1 (MaxSize ``od_max``), every
    instance with its Ready node."""
    spot, on_demand = twins("web", spot=3, on_demand=1)
    groups = Groups([spot, replace(on_demand, max_size=od_max)])
    cloud = Cloud(groups, kube)
    cloud.register(SPOT_GROUP)
    cloud.register(OD_GROUP)
    async with emulator(groups) as aws:
        aws.audit.clear()
        kube.audit.clear()
        yield cloud, aws


def job(cluster: str, nodes: list[str], *, emergency: bool = False, mode: Mode = Mode.ENFORCE) -> DrainJob:
    """A spot → on-demand job as the router publishes it for a managed node group pool."""
    return drain_job(
        cluster,
        nodes,
        replacement_first=True,
        provisioner=Provisioner.MANAGED_NODEGROUP,
        deadline_in=60,
        emergency=emergency,
        mode=mode,
    )


def victims(cloud: Cloud, count: int = 1) -> list[str]:
    """The first spot nodes, each running two pods to evict."""
    names = [node_name(i) for i in cloud.instances(SPOT_GROUP)[:count]]
    for name in names:
        cloud.run_pods(name)
    return names


def desired_set(aws: AwsEmulator) -> list[tuple[object, object]]:
    return [
        (e.params.get("AutoScalingGroupName"), e.params.get("DesiredCapacity"))
        for e in aws.audit.mutations(action="SetDesiredCapacity")
    ]


async def test_the_drain_waits_for_instances_in_service_and_nodes_ready_then_retires_the_drained_one(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube) as (cloud, aws):
        (victim,) = victims(cloud)
        instance = victim.removeprefix("ip-")
        async with running(asg_settings(nats_url, cluster, kube, aws)):
            await nats_bus.publish(job(cluster, [victim]))
            await eventually(lambda: len(cloud.pending(OD_GROUP)) == 1)  # the target twin scaled up by one
            assert cloud.desired(OD_GROUP) == 2

            cloud.boot(OD_GROUP)  # InService for AWS, but its node has not joined: still no cordon
            reads = len(aws.audit.entries(action="DescribeAutoScalingGroups"))
            await eventually(lambda: len(aws.audit.entries(action="DescribeAutoScalingGroups")) >= reads + 3)
            assert not cloud.unschedulable(victim)
            assert kube.audit.count_mutations(path=EVICTIONS) == 0

            (joined,) = cloud.register(OD_GROUP)
            result = await nats_bus.result(victim)
            record = await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert "on-demand replacement Ready after" in result.detail
    assert f"on {joined}" in result.detail
    assert f"instance {instance} terminated, its group's desired capacity lowered" in result.detail
    assert cloud.unschedulable(victim)
    # capacity moved: one more on-demand, one less spot, the pool's size where it was
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (2, 2)
    assert instance not in cloud.instances(SPOT_GROUP)
    assert desired_set(aws) == [(OD_GROUP, "2")]
    (terminate,) = aws.audit.mutations(action="TerminateInstanceInAutoScalingGroup")
    assert terminate.params["InstanceId"] == instance
    assert terminate.params["ShouldDecrementDesiredCapacity"] == "true"
    last_eviction = max(e.time for e in kube.audit.mutations(path=EVICTIONS))
    assert terminate.time >= last_eviction  # retired only once its pods were gone
    assert record.preparation is not None
    assert (record.preparation.used, record.preparation.undone) == (1, True)


async def test_a_replacement_never_in_service_abandons_the_node_and_gives_the_scale_up_back(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube) as (cloud, aws):
        (victim,) = victims(cloud)
        config = asg_settings(nats_url, cluster, kube, aws, replacement_timeout_seconds=1.0)
        async with running(config):
            await nats_bus.publish(job(cluster, [victim]))
            result = await nats_bus.result(victim)
            record = await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("abandoned", 0)
    assert "replacement capacity not Ready within 1s" in result.detail
    assert "0 of 1 new instance(s) on Ready nodes of the target type" in result.detail
    assert "Pending" in result.detail
    assert "nothing was cordoned or evicted" in result.detail
    assert not cloud.unschedulable(victim)
    assert kube.audit.count_mutations(method="PATCH", path=NODE_PATCH) == 0
    assert kube.audit.count_mutations(path=EVICTIONS) == 0
    assert desired_set(aws) == [(OD_GROUP, "2"), (OD_GROUP, "1")]  # raised, then undone
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (3, 1)
    assert aws.audit.count_mutations(action="TerminateInstanceInAutoScalingGroup") == 0
    assert record.preparation is not None
    assert (record.preparation.used, record.preparation.undone) == (0, True)


async def test_max_size_clamps_the_scale_up_and_only_as_many_nodes_are_drained(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube, od_max=2) as (cloud, aws):
        first, second = victims(cloud, 2)
        async with running(asg_settings(nats_url, cluster, kube, aws)):
            await nats_bus.publish(job(cluster, [first, second]))
            await eventually(lambda: len(cloud.pending(OD_GROUP)) == 1)
            cloud.join(OD_GROUP)
            drained = await nats_bus.result(first)
            left = await nats_bus.result(second)
            record = await nats_bus.finished("job-1")
    assert drained.outcome == "drained"
    assert (left.outcome, left.pods_evicted) == ("abandoned", 0)
    assert "could be scaled up by only 1 of the 2 replacement(s) asked for (its MaxSize)" in left.detail
    assert not cloud.unschedulable(second)
    assert kube.audit.count_mutations(method="PATCH", path=f"^/api/v1/nodes/{second}$") == 0
    assert desired_set(aws) == [(OD_GROUP, "2")]  # clamped from 3 to MaxSize; nothing unused to give back
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (2, 2)
    assert record.preparation is not None
    assert (record.preparation.requested, record.preparation.prepared) == (2, 1)


async def test_a_drainer_restarted_between_scale_up_and_ready_resumes_without_scaling_up_again(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube) as (cloud, aws):
        (victim,) = victims(cloud)
        config = asg_settings(nats_url, cluster, kube, aws)

        async def waiting() -> bool:
            record = await nats_bus.record("job-1")
            return (
                record is not None and record.nodes[0].phase == "replacing" and bool(cloud.pending(OD_GROUP))
            )

        async with running(config):
            await nats_bus.publish(job(cluster, [victim]))
            await eventually(waiting)
        assert nats_bus.results == []
        stored = await nats_bus.record("job-1")
        assert stored is not None
        assert stored.preparation is not None
        assert (stored.preparation.desired_before, stored.preparation.desired_after) == (1, 2)

        cloud.join(OD_GROUP)  # the instance comes up while the drainer is down
        async with running(config):
            result = await nats_bus.result(victim)
            await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert desired_set(aws) == [(OD_GROUP, "2")]  # one scale-up, not two
    assert len(cloud.instances(OD_GROUP)) == 2
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (2, 2)
    assert aws.audit.count_mutations(action="TerminateInstanceInAutoScalingGroup") == 1
    assert kube.audit.count_mutations(path=EVICTIONS) == 2
    assert [r.node for r in nats_bus.results] == [victim]


async def test_an_emergency_scales_up_and_drains_without_waiting(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube) as (cloud, aws):
        (victim,) = victims(cloud)
        async with running(asg_settings(nats_url, cluster, kube, aws)):
            await nats_bus.publish(job(cluster, [victim], emergency=True))
            result = await nats_bus.result(victim)
            await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert (
        "emergency: on-demand replacement requested (auto scaling twin group), not awaited" in result.detail
    )
    assert cloud.pending(OD_GROUP)  # never came up, and the drain did not wait for it
    assert desired_set(aws) == [(OD_GROUP, "2")]  # used by the drained node: not given back
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (2, 2)


async def test_shadow_sends_no_mutating_request_to_aws_or_kubernetes(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    async with world(kube) as (cloud, aws):
        (victim,) = victims(cloud)
        async with running(asg_settings(nats_url, cluster, kube, aws, mode=Mode.SHADOW)):
            await nats_bus.publish(job(cluster, [victim], mode=Mode.ENFORCE))
            result = await nats_bus.result(victim)
            await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("would-drain", 2)
    assert "would first wait up to 600s for on-demand replacement capacity (auto scaling twin group)" in (
        result.detail
    )
    assert aws.audit.count_mutations() == 0
    assert kube.audit.count_mutations() == 0
    assert (cloud.desired(SPOT_GROUP), cloud.desired(OD_GROUP)) == (3, 1)


async def test_a_pool_without_twins_is_drained_without_the_wait_as_before(
    nats_url: str, cluster: str, kube: KubeEmulator, nats_bus: Bus
) -> None:
    mixed = group("web-mixed", {"spotvortex.io/pool": "web"}, desired=2, mixed_percentage=0)
    groups = Groups([mixed])
    cloud = Cloud(groups, kube)
    async with emulator(groups) as aws:
        (victim,) = cloud.register("web-mixed")[:1]
        cloud.run_pods(victim)
        aws.audit.clear()
        async with running(asg_settings(nats_url, cluster, kube, aws)):
            await nats_bus.publish(job(cluster, [victim]))
            result = await nats_bus.result(victim)
            record = await nats_bus.finished("job-1")
    assert (result.outcome, result.pods_evicted) == ("drained", 2)
    assert (
        "replacement not awaited: pool web: no on-demand twin group (it has one mixed group, web-mixed)"
        in (result.detail)
    )
    assert aws.audit.count_mutations() == 0
    assert record.preparation is None
