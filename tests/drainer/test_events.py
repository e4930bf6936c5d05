"""The Event manifest for one drain step: Node as involved object, stable name, reason and type."""

from __future__ import annotations

from spotvortex.drainer.events import COMPONENT, EventReason, event_name, node_event

from .support import NOW


def test_an_event_about_the_node_for_one_step() -> None:
    body = node_event(
        node="ip-10-0-1-2.ec2.internal",
        node_uid="u-1",
        job_id="job-1",
        reason=EventReason.CORDON,
        message="cordoned by drain job job-1",
        now=NOW,
    )
    assert body["metadata"]["namespace"] == "default"
    assert body["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Node",
        "name": "ip-10-0-1-2.ec2.internal",
        "uid": "u-1",
    }
    assert (body["reason"], body["type"], body["action"]) == ("SpotVortexCordon", "Normal", "Cordon")
    assert body["reportingComponent"] == body["source"]["component"] == COMPONENT == "spotvortex-drainer"
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2026-03-02T12:00:00Z"
    assert body["metadata"]["name"].startswith("ip-10-0-1-2.ec2.internal.")


def test_names_are_one_per_node_job_and_step_and_warnings_are_warnings() -> None:
    assert event_name("n1", "job-1", EventReason.EVICTION_BLOCKED) == event_name(
        "n1", "job-1", EventReason.EVICTION_BLOCKED
    )
    assert event_name("n1", "job-1", EventReason.CORDON) != event_name("n1", "job-2", EventReason.CORDON)
    assert event_name("n1", "job-1", EventReason.CORDON) != event_name("n1", "job-1", EventReason.UNCORDON)
    assert len(event_name("n" * 253, "job-1", EventReason.CORDON)) <= 253
    long = node_event(
        node="n1", node_uid="", job_id="j", reason=EventReason.ROLLBACK, message="x" * 5000, now=NOW
    )
    assert long["type"] == "Warning"
    assert len(long["message"]) == 1024
    assert "uid" not in long["involvedObject"]
