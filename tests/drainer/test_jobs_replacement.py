"""The job state machine's replacement phase: wait, give up, release before publish, never drain twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from spotvortex.contracts import Mode
from spotvortex.drainer import Admission, JobRecord, Step, StepKind, TransitionError, admit, next_step
from spotvortex.drainer import jobs as j

from .support import NOW, drain_job

LATER = NOW + timedelta(seconds=5)
HANDLES = ["spotvortex-placeholder-a", "spotvortex-placeholder-b"]


def record(*, emergency: bool = False, deadline_in: float = 30) -> JobRecord:
    job = drain_job(
        "c1", ["n1", "n2"], time=NOW, deadline_in=deadline_in, emergency=emergency, replacement_first=True
    )
    created, admission = admit(None, job, service_mode=Mode.ENFORCE, now=NOW)
    assert admission is Admission.NEW
    assert created is not None
    return created


def replacing(r: JobRecord, *, wait: float = 10, was_unschedulable: bool = False) -> JobRecord:
    return j.request_replacement(
        r,
        0,
        was_unschedulable=was_unschedulable,
        handles=HANDLES,
        until=NOW + timedelta(seconds=wait),
        now=NOW,
    )


def step_of(r: JobRecord, now: datetime, mode: Mode = Mode.ENFORCE) -> Step:
    step = next_step(r, now, mode)
    assert step is not None
    return step


def test_the_handles_are_recorded_before_anything_else_and_the_wait_comes_before_the_cordon() -> None:
    r = replacing(record())
    node = r.nodes[0]
    assert (node.phase, node.replacement, node.started_at) == ("replacing", HANDLES, NOW)
    assert step_of(r, LATER).kind is StepKind.REPLACE
    r = j.replaced(r, 0, now=LATER, ready=True, note="on-demand replacement Ready after 5s")
    assert (r.nodes[0].phase, r.nodes[0].replacement_ready_at) == ("cordoning", LATER)
    step = step_of(r, LATER)
    assert (step.kind, step.node) == (StepKind.RELEASE, 0)  # the room goes to the evicted pods first
    r = j.released(r, 0)
    assert step_of(r, LATER).kind is StepKind.CORDON
    r = j.finish(j.cordoned(r, 0), 0, "skipped", now=LATER, detail="node no longer exists")
    assert r.nodes[0].detail == "node no longer exists; on-demand replacement Ready after 5s"
    assert step_of(r, LATER).kind is StepKind.PUBLISH


def test_an_already_cordoned_node_goes_straight_to_eviction_after_its_replacement() -> None:
    r = j.replaced(replacing(record(), was_unschedulable=True), 0, now=LATER, ready=True)
    assert r.nodes[0].phase == "evicting"


def test_a_replacement_not_ready_in_time_is_given_up_then_released_then_published() -> None:
    r = replacing(record(), wait=10)
    step = step_of(r, NOW + timedelta(seconds=10))
    assert (step.kind, step.reason) == (StepKind.GIVE_UP, "replacement capacity not Ready within 10s")
    r = j.finish(r, 0, "abandoned", now=LATER, detail=step.reason, evicted=0)
    assert step_of(r, LATER).kind is StepKind.RELEASE  # before the result goes out, placeholders go
    r = j.released(r, 0)
    assert step_of(r, LATER).kind is StepKind.PUBLISH
    r = j.mark_published(r, 0)
    step = step_of(r, LATER)
    assert (step.kind, step.node) == (StepKind.START, 1)  # the next node is tried: it may have room


def test_the_wait_never_outlasts_the_deadline() -> None:
    r = replacing(record(deadline_in=8), wait=600)
    assert r.nodes[0].replacement_until == NOW + timedelta(seconds=8)
    step = step_of(r, NOW + timedelta(seconds=8))
    assert step.kind is StepKind.GIVE_UP
    assert "deadline" in step.reason


def test_an_emergency_keeps_its_placeholders_until_the_node_is_done() -> None:
    r = j.replaced(replacing(record(emergency=True)), 0, now=NOW, ready=False, note="emergency: not awaited")
    assert r.nodes[0].replacement_ready_at is None
    assert step_of(r, LATER).kind is StepKind.CORDON  # no release first: the cordon comes at once
    r = j.finish(j.cordoned(r, 0), 0, "drained", now=LATER, detail="evicted 1 pod(s)")
    assert r.nodes[0].detail == "evicted 1 pod(s); emergency: not awaited"
    assert step_of(r, LATER).kind is StepKind.RELEASE
    assert step_of(j.released(r, 0), LATER).kind is StepKind.PUBLISH


def test_a_drainer_turned_shadow_abandons_the_wait_without_deleting_anything() -> None:
    r = replacing(record())
    step = step_of(r, LATER, Mode.SHADOW)
    assert step.kind is StepKind.ABANDON
    assert "placeholders are left in place" in step.reason
    r = j.finish(r, 0, "failed", now=LATER, detail=step.reason)
    assert step_of(r, LATER, Mode.SHADOW).kind is StepKind.PUBLISH  # no release: shadow writes nothing


def test_a_resumed_job_neither_restarts_nor_redrains_a_node() -> None:
    r = replacing(record())
    job = r.job
    assert admit(r, job, service_mode=Mode.ENFORCE, now=LATER) == (None, Admission.RESUME)
    with pytest.raises(TransitionError):
        j.begin(r, 0, was_unschedulable=False, now=LATER)  # a node that started never starts again
    with pytest.raises(TransitionError):
        replacing(r)


def test_refused_replacement_transitions() -> None:
    r = record()
    with pytest.raises(TransitionError):
        j.request_replacement(r, 0, was_unschedulable=False, handles=[], until=LATER, now=NOW)
    with pytest.raises(TransitionError):
        j.replaced(r, 0, now=LATER, ready=True)
    with pytest.raises(TransitionError):
        j.released(r, 0)  # nothing to release
    with pytest.raises(TransitionError):
        j.released(replacing(r), 0)  # still waiting for it
    with pytest.raises(TransitionError):
        j.finish(j.begin(r, 0, was_unschedulable=False, now=LATER), 0, "abandoned", now=LATER, detail="")


def test_notes_and_evicted_pod_traits_survive_a_round_trip() -> None:
    r = j.begin(
        record(), 0, was_unschedulable=True, now=LATER, notes=["replacement not awaited: no provider"]
    )
    r = j.note_evicted(r, 0, "default/debug", standalone=True, emptydir=True)
    decoded = msgspec.json.decode(msgspec.json.encode(r), type=JobRecord)
    assert decoded == r
    assert (decoded.nodes[0].standalone, decoded.nodes[0].emptydir) == (["default/debug"], ["default/debug"])
