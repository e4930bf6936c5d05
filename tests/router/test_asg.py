"""Auto Scaling steering (the router's) and the replacement-first shift (the shared client the drainer uses),
through aioboto3 against the project's AWS emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from spotvortex.aws import AsgConfig, AsgError, AsgGroupView, Preparation, classify, instance_id, plan_undo
from spotvortex.contracts.enums import CapacityType
from spotvortex.router.asg import on_demand_percentage
from spotvortex.router.asg_api import AsgSteering
from spotvortex.sim.aws import AwsEmulator

from .asg_support import Groups, emulator, group, session, twins

CONFIG = AsgConfig()


@pytest.fixture
def backend() -> Groups:
    return Groups(
        [
            *twins("web", spot=3, on_demand=1, max_size=10),
            group(
                "eks-batch-spot-1a2b",
                {"spotvortex.io/pool": "batch", "eks.amazonaws.com/capacityType": "SPOT"},
                desired=2,
                first_instance=0x200,
            ),
            group(
                "eks-batch-od-3c4d",
                {"spotvortex.io/pool": "batch", "eks.amazonaws.com/capacityType": "ON_DEMAND"},
                desired=1,
                max_size=2,
                first_instance=0x300,
            ),
            group(
                "api-mixed",
                {"spotvortex.io/pool": "api"},
                desired=4,
                mixed_percentage=0,
                first_instance=0x500,
            ),
            group("other", {"team": "payments"}, desired=1, first_instance=0x400),
        ]
    )


@pytest.fixture
async def aws(backend: Groups) -> AsyncIterator[AwsEmulator]:
    async with emulator(backend) as running:
        running.audit.clear()
        yield running


@pytest.fixture
def api(aws: AwsEmulator) -> AsgSteering:
    return AsgSteering(CONFIG, region="us-east-1", endpoint_url=aws.url, session=session())


async def test_twins_are_found_by_our_tags_and_by_the_eks_capacity_tag(api: AsgSteering) -> None:
    web = await api.groups("web")
    assert (web.spot and web.spot.name, web.on_demand and web.on_demand.name) == (
        "web-spot-asg",
        "web-od-asg",
    )
    batch = await api.groups("batch")
    assert batch.spot is not None
    assert batch.spot.name == "eks-batch-spot-1a2b"
    assert batch.on_demand is not None
    assert batch.on_demand.name == "eks-batch-od-3c4d"
    api_pool = await api.groups("api")
    assert api_pool.mixed is not None
    assert api_pool.mixed.name == "api-mixed"
    assert api_pool.spot is None


async def test_a_pool_without_groups_or_with_a_lone_twin_is_a_clear_error(
    api: AsgSteering, aws: AwsEmulator
) -> None:
    with pytest.raises(AsgError, match=r"no Auto Scaling group tagged spotvortex\.io/pool=nothing"):
        await api.groups("nothing")
    lone = [AsgGroupView("web-spot-asg", 0, 5, 1, {"spotvortex.io/capacity-type": "spot"})]
    with pytest.raises(AsgError, match="web-spot-asg has no twin"):
        classify("web", lone, CONFIG)
    template = "k8s.io/cluster-autoscaler/node-template/label/eks.amazonaws.com/capacityType"
    paired = classify("web", [*lone, AsgGroupView("web-od-asg", 0, 5, 1, {template: "ON_DEMAND"})], CONFIG)
    assert paired.on_demand is not None
    assert paired.on_demand.name == "web-od-asg"
    two = [*lone, AsgGroupView("web-spot-2", 0, 5, 1, {"eks.amazonaws.com/capacityType": "SPOT"})]
    with pytest.raises(AsgError, match="several spot groups"):
        classify("web", two, CONFIG)


async def test_a_mixed_group_gets_the_on_demand_percentage_of_the_target(
    api: AsgSteering, aws: AwsEmulator, backend: Groups
) -> None:
    [op] = await api.steer("api", 0.45, apply=True)
    assert backend.group("api-mixed").on_demand_percentage_above_base == 55
    assert (op.target_kind, op.target, op.before, op.after) == ("asg", "api-mixed", "0", "55")
    assert aws.audit.count_mutations(action="UpdateAutoScalingGroup") == 1
    assert await api.steer("api", 0.45, apply=True) == []  # already holds: no second write
    assert aws.audit.count_mutations() == 1
    assert on_demand_percentage(0.0) == 100
    assert on_demand_percentage(0.333) == 67


async def test_twins_need_no_steering_call(api: AsgSteering, aws: AwsEmulator) -> None:
    assert await api.steer("web", 0.2, apply=True) == []
    assert aws.audit.count_mutations() == 0


async def test_prepare_clamps_at_max_size_and_says_how_many(
    api: AsgSteering, aws: AwsEmulator, backend: Groups
) -> None:
    prep = await api.prepare("batch", 3, CapacityType.ON_DEMAND)
    assert (prep.group, prep.requested, prep.prepared) == ("eks-batch-od-3c4d", 3, 1)
    assert backend.group("eks-batch-od-3c4d").desired_capacity == 2  # MaxSize 2
    full = await api.prepare("batch", 1, CapacityType.ON_DEMAND)
    assert full.prepared == 0
    assert aws.audit.count_mutations(action="SetDesiredCapacity") == 1  # a full group gets no call


async def test_replacement_first_prepare_ready_retire(
    api: AsgSteering, aws: AwsEmulator, backend: Groups
) -> None:
    prep = await api.prepare("web", 2, CapacityType.ON_DEMAND)
    assert (prep.desired_before, prep.desired_after) == (1, 3)
    assert backend.group("web-od-asg").desired_capacity == 3
    # the preparation survives a trip through KV
    prep = msgspec.json.decode(msgspec.json.encode(prep), type=Preparation)
    await api.raise_to(prep)  # resumed: the absolute value is already there, no second +2
    assert backend.group("web-od-asg").desired_capacity == 3

    waiting = await api.ready(prep)
    assert not waiting.ready
    assert waiting.waiting == 2
    booted = backend.boot("web-od-asg")
    ready = await api.ready(prep)
    assert ready.ready
    assert sorted(ready.in_service) == sorted(booted)

    drained = [i.instance_id for i in backend.group("web-spot-asg").instances[:2]]
    retired = await api.retire(drained)
    assert retired.terminated == drained
    spot = backend.group("web-spot-asg")
    assert spot.desired_capacity == 1
    assert not {i.instance_id for i in spot.instances} & set(drained)
    again = await api.retire(drained)  # a retried call terminates nothing twice
    assert again.gone == drained
    assert again.terminated == []
    assert aws.audit.count_mutations(action="TerminateInstanceInAutoScalingGroup") == 2
    terminations = aws.audit.mutations(action="TerminateInstanceInAutoScalingGroup")
    assert all(e.params["ShouldDecrementDesiredCapacity"] == "true" for e in terminations)


async def test_undo_gives_back_the_unused_part(api: AsgSteering, aws: AwsEmulator, backend: Groups) -> None:
    prep = await api.prepare("web", 3, CapacityType.ON_DEMAND)
    assert backend.group("web-od-asg").desired_capacity == 4
    used_one = msgspec.structs.replace(prep, used=1)  # one drained node took its replacement
    undone = await api.undo(used_one)
    assert undone.undone
    assert backend.group("web-od-asg").desired_capacity == 2
    await api.undo(undone)  # undone already: nothing more is taken away
    assert backend.group("web-od-asg").desired_capacity == 2
    assert aws.audit.count_mutations(action="SetDesiredCapacity") == 2


def test_undo_counts_what_cluster_autoscaler_already_took_back() -> None:
    prep = Preparation(
        pool="web",
        group="web-od-asg",
        towards=CapacityType.ON_DEMAND,
        requested=3,
        desired_before=1,
        desired_after=4,
    )
    assert plan_undo(prep, AsgGroupView("web-od-asg", 0, 10, 4)) == 1
    assert plan_undo(prep, AsgGroupView("web-od-asg", 0, 10, 3)) == 1  # one already gone
    assert plan_undo(prep, AsgGroupView("web-od-asg", 0, 10, 6)) == 3  # pending pods' growth is kept
    assert plan_undo(prep, AsgGroupView("web-od-asg", 2, 10, 2)) is None  # never below MinSize


async def test_shadow_plans_everything_and_mutates_nothing(
    api: AsgSteering, aws: AwsEmulator, backend: Groups
) -> None:
    [op] = await api.steer("api", 0.7, apply=False)
    assert op.after == "30"
    prep = await api.prepare("web", 2, CapacityType.SPOT, apply=False)
    assert (prep.group, prep.prepared) == ("web-spot-asg", 2)
    od = backend.group("web-od-asg").instances[0].instance_id
    retired = await api.retire([od], apply=False)
    assert retired.terminated == [od]
    await api.undo(prep, apply=False)
    assert aws.audit.count_mutations() == 0
    assert aws.audit.entries(mutating=False)  # it did read
    assert backend.group("web-spot-asg").desired_capacity == 3
    assert backend.group("api-mixed").on_demand_percentage_above_base == 0


def test_provider_ids_name_the_instance() -> None:
    assert instance_id("aws:///us-east-1a/i-0abc123") == "i-0abc123"
    assert instance_id("aws://us-east-1a/i-0abc123") == "i-0abc123"
    assert instance_id("kind://docker/kind/node") is None
    assert instance_id(None) is None
