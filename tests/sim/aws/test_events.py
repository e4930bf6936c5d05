"""EventBridge EC2 events in the shape Node Termination Handler and Karpenter parse, delivered through SQS."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from spotvortex.sim.aws import SqsQueues, events

AT = datetime(2025, 3, 1, 8, 50, 6, 123456, tzinfo=UTC)
ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def test_spot_interruption_warning_shape() -> None:
    event = events.spot_interruption_warning("i-0abc", region="us-east-1", account="123456789012", time=AT)

    assert set(event) == ENVELOPE
    assert event["version"] == "0"
    assert event["detail-type"] == "EC2 Spot Instance Interruption Warning"
    assert event["source"] == "aws.ec2"
    assert event["time"] == "2025-03-01T08:50:06Z"
    assert datetime.fromisoformat(event["time"].replace("Z", "+00:00")) == AT.replace(microsecond=0)
    assert event["resources"] == ["arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"]
    assert event["detail"] == {"instance-id": "i-0abc", "instance-action": "terminate"}
    assert json.loads(events.message_body(event)) == event

    live = events.spot_interruption_warning(
        "i-0abc", region="us-east-1", account="123456789012", time=AT, zone="us-east-1b"
    )
    assert live["resources"] == ["arn:aws:ec2:us-east-1b:instance/i-0abc"]


def test_rebalance_and_state_change_shapes() -> None:
    rebalance = events.rebalance_recommendation("i-0abc", region="eu-west-1", account="111122223333", time=AT)
    state = events.instance_state_change(
        "i-0abc", "shutting-down", region="eu-west-1", account="111122223333", time=AT
    )

    assert rebalance["detail-type"] == "EC2 Instance Rebalance Recommendation"
    assert rebalance["detail"] == {"instance-id": "i-0abc"}
    assert state["detail-type"] == "EC2 Instance State-change Notification"
    assert state["detail"] == {"instance-id": "i-0abc", "state": "shutting-down"}
    for event in (rebalance, state):
        assert set(event) == ENVELOPE
        assert event["region"] == "eu-west-1"
        assert event["account"] == "111122223333"
        assert event["resources"] == ["arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"]


def test_ids_are_deterministic_and_distinct() -> None:
    def make(instance: str, action: str = "terminate") -> dict[str, Any]:
        return events.spot_interruption_warning(
            instance, region="us-east-1", account="123456789012", time=AT, action=action
        )

    assert make("i-1")["id"] == make("i-1")["id"]
    assert len({make("i-1")["id"], make("i-2")["id"], make("i-1", "stop")["id"]}) == 3
    rebalance = events.rebalance_recommendation("i-1", region="us-east-1", account="123456789012", time=AT)
    assert rebalance["id"] != make("i-1")["id"]


async def test_events_reach_an_sqs_consumer_unchanged(sqs: Any, queues: SqsQueues) -> None:
    url = (await sqs.create_queue(QueueName="nth"))["QueueUrl"]
    sent = [
        events.spot_interruption_warning("i-1", region="us-east-1", account="123456789012", time=AT),
        events.rebalance_recommendation("i-2", region="us-east-1", account="123456789012", time=AT),
    ]
    for event in sent:
        queues.send("nth", events.message_body(event))

    received = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    assert [json.loads(m["Body"]) for m in received] == sent
