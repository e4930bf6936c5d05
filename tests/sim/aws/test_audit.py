"""The audit log: reads never count as mutations, every mutating attempt does (failed ones included)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotvortex.sim.aws import AwsEmulator, SqsQueues


async def test_reads_leave_no_mutation_and_writes_are_all_recorded(
    asg: Any, sqs: Any, ec2: Any, aws: AwsEmulator, queues: SqsQueues
) -> None:
    queues.create("events")  # in-process: not HTTP, not audited
    queues.send("events", "x")
    url = aws.queue_url("events")

    await asg.describe_auto_scaling_groups()
    await asg.describe_auto_scaling_instances()
    await sqs.get_queue_url(QueueName="events")
    await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    message = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    await ec2.describe_spot_price_history(MaxResults=5)

    assert aws.audit.count_mutations() == 0
    assert len(aws.audit.entries(mutating=False)) == 6

    await asg.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=3)
    with pytest.raises(ClientError):
        await asg.set_desired_capacity(AutoScalingGroupName="web-spot", DesiredCapacity=99)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    mutations = aws.audit.mutations()
    assert [(m.service, m.action, m.status, m.error_code) for m in mutations] == [
        ("autoscaling", "SetDesiredCapacity", 200, None),
        ("autoscaling", "SetDesiredCapacity", 400, "ValidationError"),
        ("sqs", "DeleteMessage", 200, None),
    ]
    assert mutations[0].params == {"AutoScalingGroupName": "web-spot", "DesiredCapacity": "3"}
    assert mutations[2].params["ReceiptHandle"] == message["ReceiptHandle"]
    assert aws.audit.count_mutations(service="autoscaling") == 2

    aws.audit.clear()
    assert aws.audit.count_mutations() == 0
    assert aws.audit.entries() == []
