"""The pure parts of replacement first between twin groups: when new instances count as ready, and how the
job record carries one scale-up for all its nodes (slots, release after the drain, the give-back)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from spotvortex.aws import AsgGroupView, AsgInstanceView, Preparation
from spotvortex.contracts import Mode, Provisioner
from spotvortex.contracts.enums import CapacityType
from spotvortex.drainer import jobs
from spotvortex.drainer.jobs import StepKind, TransitionError, new_record, next_step
from spotvortex.drainer.scaleup import nodes_by_instance, scale_up_readiness

from .support import NOW, drain_job

PREP = Preparation(
    pool="web",
    group="web-od-asg",
    towards=CapacityType.ON_DEMAND,
    requested=2,
    desired_before=1,
    desired_after=3,
    existing=["i-old"],
)


def instance(iid: str, state: str = "InService", health: str = "Healthy") -> AsgInstanceView:
    return AsgInstanceView(iid, state, health)


def group(*instances: AsgInstanceView) -> AsgGroupView:
    return AsgGroupView("web-od-asg", 0, 10, 3, instances=(instance("i-old"), *instances))


def kube_node(iid: str, *, ready: bool = True, capacity: str = "ON_DEMAND", cordoned: bool = False) -> Any:
    return {
        "metadata": {"name": f"ip-{iid}", "labels": {"eks.amazonaws.com/capacityType": capacity}},
        "spec": {"providerID": f"aws:///us-east-1a/{iid}", "unschedulable": cordoned},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_nodes_are_found_by_their_provider_id() -> None:
    found = nodes_by_instance(
        [kube_node("i-a"), {"metadata": {"name": "kind"}, "spec": {"providerID": "kind://x"}}]
    )
    assert list(found) == ["i-a"]


def test_ready_needs_every_new_instance_in_service_and_its_node_ready_of_the_target_type() -> None:
    target = "on-demand"
    launching = scale_up_readiness(PREP, group(instance("i-a", "Pending")), [], target)
    assert not launching.ready
    assert launching.waiting == ["i-a: Pending (Healthy)", "1 instance(s) not launched yet in web-od-asg"]
    up = group(instance("i-a"), instance("i-b"))
    assert "i-b: no Kubernetes node yet" in scale_up_readiness(PREP, up, [kube_node("i-a")], target).waiting
    wrong = scale_up_readiness(PREP, up, [kube_node("i-a"), kube_node("i-b", capacity="SPOT")], target)
    assert not wrong.ready
    assert wrong.waiting == ["i-b: node ip-i-b is spot, not on-demand"]
    cordoned = scale_up_readiness(PREP, up, [kube_node("i-a"), kube_node("i-b", cordoned=True)], target)
    assert cordoned.waiting == ["i-b: node ip-i-b is cordoned"]
    ready = scale_up_readiness(PREP, up, [kube_node("i-a"), kube_node("i-b"), kube_node("i-old")], target)
    assert ready.ready
    assert (ready.bound, ready.total, ready.nodes) == (2, 2, ["ip-i-a", "ip-i-b"])
    assert ready.summary() == "2 of 2 new instance(s) on Ready nodes of the target type"


def test_a_scale_up_of_nothing_is_never_ready() -> None:
    empty = msgspec.structs.replace(PREP, desired_after=1)
    assert not scale_up_readiness(empty, group(), [], "on-demand").ready


def kind(r: jobs.JobRecord, mode: Mode = Mode.ENFORCE) -> StepKind | None:
    step = next_step(r, NOW, mode)
    return None if step is None else step.kind


def record() -> jobs.JobRecord:
    job = drain_job("c", ["a", "b", "c"], provisioner=Provisioner.MANAGED_NODEGROUP, replacement_first=True)
    return new_record(job, service_mode=Mode.ENFORCE, now=NOW)


def test_the_first_stored_scale_up_wins_and_slots_are_taken_in_order() -> None:
    r = jobs.prepared(record(), PREP)
    assert jobs.prepared(r, msgspec.structs.replace(PREP, desired_after=9)).preparation == PREP
    assert (r.slots_taken, r.slots_left) == (0, 2)
    r = jobs.request_replacement(r, 0, was_unschedulable=False, handles=["web-od-asg#1"], until=NOW, now=NOW)
    r = jobs.request_replacement(r, 1, was_unschedulable=False, handles=["web-od-asg#2"], until=NOW, now=NOW)
    assert (r.slots_taken, r.slots_left) == (2, 0)
    r = jobs.finish(r, 2, "abandoned", now=NOW, detail="no slot")  # straight from pending
    assert r.nodes[2].outcome == "abandoned"


def test_a_scale_up_is_released_after_the_drain_and_given_back_once_every_node_is_done() -> None:
    later = NOW.replace(second=1)
    r = jobs.prepared(record(), PREP)
    r = jobs.request_replacement(
        r, 0, was_unschedulable=False, handles=["web-od-asg#1"], until=later, now=NOW
    )
    r = jobs.replaced(r, 0, now=NOW, ready=True)
    assert kind(r) is StepKind.CORDON  # not released before the cordon, unlike placeholders
    r = jobs.note_evicted(jobs.cordoned(r, 0), 0, "default/p")
    r = jobs.finish(r, 0, "drained", now=NOW, detail="evicted 1 pod(s)")
    assert kind(r) is StepKind.RELEASE
    r = jobs.released(r, 0, "instance i-x terminated")
    assert r.nodes[0].detail == "evicted 1 pod(s); instance i-x terminated"
    assert r.replacements_used == 1
    r = jobs.finish(r, 1, "skipped", now=NOW, detail="deadline")
    assert not r.give_back_due
    r = jobs.finish(r, 2, "skipped", now=NOW, detail="deadline")
    assert kind(r) is StepKind.GIVE_BACK
    assert kind(r, Mode.SHADOW) is StepKind.PUBLISH  # shadow sends nothing, not even this
    with pytest.raises(TransitionError):
        jobs.gave_back(r, PREP)  # must be marked undone
    r = jobs.gave_back(r, msgspec.structs.replace(PREP, used=1, undone=True))
    assert not r.give_back_due
    assert kind(r) is StepKind.PUBLISH
