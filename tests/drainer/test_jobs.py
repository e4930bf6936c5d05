"""The job state machine: admission of (re)delivered jobs, the next step in every phase, transitions."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from spotvortex.contracts import Mode
from spotvortex.contracts.actuation import DrainOutcome
from spotvortex.drainer import (
    Admission,
    JobRecord,
    Step,
    StepKind,
    TransitionError,
    admit,
    effective_mode,
    next_step,
)
from spotvortex.drainer import jobs as j

from .support import NOW, drain_job

LATER = NOW + timedelta(seconds=5)
PAST_DEADLINE = NOW + timedelta(seconds=31)


def record(*nodes: str, mode: Mode = Mode.ENFORCE, service_mode: Mode = Mode.ENFORCE) -> JobRecord:
    job = drain_job("c1", list(nodes or ("n1",)), mode=mode, time=NOW, deadline_in=30)
    created, admission = admit(None, job, service_mode=service_mode, now=NOW)
    assert admission is Admission.NEW
    assert created is not None
    return created


def step_of(r: JobRecord, now: datetime, mode: Mode = Mode.ENFORCE) -> Step:
    step = next_step(r, now, mode)
    assert step is not None
    return step


def test_the_stricter_mode_wins() -> None:
    assert effective_mode(Mode.ENFORCE, Mode.SHADOW) is Mode.SHADOW
    assert effective_mode(Mode.SHADOW, Mode.ENFORCE) is Mode.SHADOW
    assert effective_mode(Mode.OBSERVE, Mode.ENFORCE) is Mode.OBSERVE
    assert effective_mode(Mode.ENFORCE, Mode.ENFORCE) is Mode.ENFORCE
    assert record(mode=Mode.ENFORCE, service_mode=Mode.SHADOW).mode is Mode.SHADOW


def test_admission_creates_once_then_resumes_then_ignores_finished_jobs() -> None:
    job = drain_job("c1", ["n1", "n2", "n1"], time=NOW)
    created, admission = admit(None, job, service_mode=Mode.ENFORCE, now=NOW)
    assert admission is Admission.NEW
    assert created is not None
    assert [n.node for n in created.nodes] == ["n1", "n2"]  # a node named twice is drained once

    again, admission = admit(created, job, service_mode=Mode.ENFORCE, now=LATER)
    assert (again, admission) == (None, Admission.RESUME)

    finished = msgspec.structs.replace(created, finished_at=LATER)
    assert admit(finished, job, service_mode=Mode.ENFORCE, now=LATER) == (None, Admission.DONE)


def test_observe_records_nothing_for_a_new_job_but_resumes_a_stored_one() -> None:
    job = drain_job("c1", ["n1"], time=NOW)
    assert admit(None, job, service_mode=Mode.OBSERVE, now=NOW) == (None, Admission.IGNORE)
    stored = record()
    assert admit(stored, job, service_mode=Mode.OBSERVE, now=NOW)[1] is Admission.RESUME


def test_an_enforced_node_goes_through_every_phase() -> None:
    r = record("n1")
    assert step_of(r, LATER).kind is StepKind.START
    r = j.begin(r, 0, was_unschedulable=False, now=LATER)
    assert (r.nodes[0].phase, r.nodes[0].was_unschedulable) == ("cordoning", False)
    assert step_of(r, LATER).kind is StepKind.CORDON
    r = j.cordoned(r, 0)
    assert step_of(r, LATER).kind is StepKind.EVICT
    r = j.note_evicted(r, 0, "default/web-0")
    r = j.note_evicted(r, 0, "default/web-0")  # a repeated note counts once
    r = j.note_evicted(r, 0, "default/db-0", overridden=True)
    r = j.finish(r, 0, "drained", now=LATER, detail="ok", skipped=1, blocked=1)
    node = r.nodes[0]
    assert (node.phase, node.outcome, node.pods_evicted, node.pods_skipped, node.pods_blocked) == (
        "done",
        "drained",
        2,
        1,
        1,
    )
    assert node.overridden == ["default/db-0"]
    assert step_of(r, LATER).kind is StepKind.PUBLISH
    r = j.mark_published(r, 0)
    assert step_of(r, LATER).kind is StepKind.CLOSE
    r = j.close(r, LATER)
    assert r.finished
    assert next_step(r, LATER) is None


def test_an_already_cordoned_node_skips_the_cordon() -> None:
    r = j.begin(record("n1"), 0, was_unschedulable=True, now=LATER)
    assert r.nodes[0].phase == "evicting"
    assert step_of(r, LATER).kind is StepKind.EVICT


def test_nodes_go_in_order_one_at_a_time() -> None:
    r = record("n1", "n2")
    step = step_of(r, LATER)
    assert (step.kind, step.node) == (StepKind.START, 0)
    r = j.finish(r, 0, "skipped", now=LATER, detail="node not found")
    assert step_of(r, LATER).node == 0  # its result is published before the next node starts
    r = j.mark_published(r, 0)
    step = step_of(r, LATER)
    assert (step.kind, step.node) == (StepKind.START, 1)


def test_past_the_deadline_pending_nodes_are_skipped_and_started_ones_rolled_back() -> None:
    r = record("n1", "n2")
    r = j.cordoned(j.begin(r, 0, was_unschedulable=False, now=LATER), 0)
    step = step_of(r, PAST_DEADLINE)
    assert (step.kind, step.node) == (StepKind.ROLL_BACK, 0)
    assert "deadline" in step.reason
    r = j.begin_rollback(r, 0, step.reason, now=PAST_DEADLINE, blocked=2)
    assert step_of(r, PAST_DEADLINE).kind is StepKind.ROLL_BACK  # still rolling back, even if resumed
    r = j.finish(r, 0, "rolled-back", now=PAST_DEADLINE, detail="uncordoned")
    assert r.nodes[0].pods_blocked == 2
    r = j.mark_published(r, 0)
    step = step_of(r, PAST_DEADLINE)
    assert (step.kind, step.node) == (StepKind.SKIP, 1)


def test_a_cordon_interrupted_by_the_deadline_is_rolled_back() -> None:
    r = j.begin(record("n1"), 0, was_unschedulable=False, now=LATER)
    assert step_of(r, PAST_DEADLINE).kind is StepKind.ROLL_BACK


def test_shadow_and_observe_steps() -> None:
    shadow = record(mode=Mode.SHADOW)
    assert step_of(shadow, LATER).kind is StepKind.PREVIEW
    assert step_of(shadow, PAST_DEADLINE).kind is StepKind.SKIP
    enforce = record()
    assert step_of(enforce, LATER, Mode.SHADOW).kind is StepKind.PREVIEW  # the drainer became stricter
    step = step_of(enforce, LATER, Mode.OBSERVE)
    assert (step.kind, step.reason) == (StepKind.SKIP, "observe mode: drain jobs are not executed")


def test_a_drain_in_progress_is_abandoned_untouched_when_the_drainer_turns_shadow() -> None:
    r = j.cordoned(j.begin(record("n1"), 0, was_unschedulable=False, now=LATER), 0)
    step = step_of(r, LATER, Mode.SHADOW)
    assert step.kind is StepKind.ABANDON
    r = j.finish(r, 0, "failed", now=LATER, detail=step.reason)
    assert r.nodes[0].outcome == "failed"


@pytest.mark.parametrize(
    ("phase", "outcome"),
    [("pending", "drained"), ("pending", "rolled-back"), ("evicting", "would-drain"), ("done", "failed")],
)
def test_impossible_transitions_are_refused(phase: j.NodePhase, outcome: DrainOutcome) -> None:
    r = record("n1")
    r = j._with_node(r, 0, msgspec.structs.replace(r.nodes[0], phase=phase))
    with pytest.raises(TransitionError):
        j.finish(r, 0, outcome, now=LATER, detail="")


def test_other_refused_transitions() -> None:
    r = record("n1")
    with pytest.raises(TransitionError):
        j.cordoned(r, 0)
    with pytest.raises(TransitionError):
        j.note_evicted(r, 0, "default/web-0")
    with pytest.raises(TransitionError):
        j.begin_rollback(r, 0, "why", now=LATER)
    with pytest.raises(TransitionError):
        j.mark_published(r, 0)
    with pytest.raises(TransitionError):
        j.close(r, LATER)
    with pytest.raises(TransitionError):
        j.begin(j.begin(r, 0, was_unschedulable=False, now=LATER), 0, was_unschedulable=False, now=LATER)


def test_the_record_survives_a_round_trip_through_json() -> None:
    r = j.note_evicted(j.cordoned(j.begin(record("n1"), 0, was_unschedulable=False, now=LATER), 0), 0, "a/b")
    assert msgspec.json.decode(msgspec.json.encode(r), type=JobRecord) == r
