"""SQS over AWS JSON 1.0: long polling, visibility on the injected clock, deletion and AWS's error codes."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotvortex.sim.aws import AwsEmulator, MessageAttribute, SqsQueues
from spotvortex.sim.aws.sqs_message_attributes import attributes_md5

from .conftest import CLIENT_CONFIG, Clock

SAFETY = 5.0  # seconds; only a backstop so a broken wake-up fails instead of hanging


async def _queue(sqs: Any, name: str = "interruptions", **attributes: str) -> str:
    response = await sqs.create_queue(QueueName=name, Attributes=attributes)
    url: str = response["QueueUrl"]
    return url


async def test_send_receive_delete_round_trip(sqs: Any, aws: AwsEmulator) -> None:
    url = await _queue(sqs)
    assert url == aws.queue_url("interruptions")
    assert (await sqs.get_queue_url(QueueName="interruptions"))["QueueUrl"] == url

    sent = await sqs.send_message(QueueUrl=url, MessageBody='{"hello": "world"}')
    assert sent["MD5OfMessageBody"] == hashlib.md5(b'{"hello": "world"}').hexdigest()

    (message,) = (await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"]))["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == '{"hello": "world"}'
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["SentTimestamp"] == "1740787200000"

    await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attributes["Attributes"]["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:interruptions"


async def test_long_poll_returns_as_soon_as_another_task_sends(sqs: Any, queues: SqsQueues) -> None:
    url = await _queue(sqs)
    loop = asyncio.get_running_loop()
    started = loop.time()
    receiver = asyncio.create_task(
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=10)
    )

    await asyncio.wait_for(queues.until_waiting("interruptions"), SAFETY)
    await sqs.send_message(QueueUrl=url, MessageBody="wake up")
    response = await asyncio.wait_for(receiver, SAFETY)

    assert [m["Body"] for m in response["Messages"]] == ["wake up"]
    assert loop.time() - started < SAFETY
    assert queues.waiting("interruptions") == 0


async def test_in_process_send_wakes_an_http_long_poll(sqs: Any, queues: SqsQueues) -> None:
    url = await _queue(sqs)
    receiver = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await asyncio.wait_for(queues.until_waiting("interruptions"), SAFETY)

    queues.send("interruptions", "from the simulator")

    response = await asyncio.wait_for(receiver, SAFETY)
    assert response["Messages"][0]["Body"] == "from the simulator"


async def test_visibility_timeout_follows_the_injected_clock(
    sqs: Any, queues: SqsQueues, clock: Clock
) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="once")

    first = (await sqs.receive_message(QueueUrl=url, VisibilityTimeout=30))["Messages"][0]
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    clock.advance(29)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    counts = await sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert counts["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "1"}

    clock.advance(2)
    second = (
        await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    )["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"] == {"ApproximateReceiveCount": "2"}

    # A stale receipt handle is accepted but deletes nothing, as SQS documents; the latest one deletes.
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    clock.advance(31)
    third = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    clock.advance(31)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)


async def test_wake_releases_a_long_poll_when_virtual_time_uncovers_a_message(
    sqs: Any, queues: SqsQueues, clock: Clock
) -> None:
    url = await _queue(sqs, VisibilityTimeout="60")
    queues.send("interruptions", "retry me")
    await sqs.receive_message(QueueUrl=url)
    receiver = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await asyncio.wait_for(queues.until_waiting("interruptions"), SAFETY)

    clock.advance(61)
    queues.wake()

    response = await asyncio.wait_for(receiver, SAFETY)
    assert response["Messages"][0]["Body"] == "retry me"


async def test_change_visibility_and_batches(sqs: Any) -> None:
    url = await _queue(sqs)
    batch = await sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"body-{i}"} for i in range(3)]
    )
    assert [e["Id"] for e in batch["Successful"]] == ["e0", "e1", "e2"]
    assert batch.get("Failed", []) == []

    received = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    assert sorted(m["Body"] for m in received) == ["body-0", "body-1", "body-2"]

    await sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    again = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    assert [m["MessageId"] for m in again] == [received[0]["MessageId"]]

    deleted = await sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": again[0]["ReceiptHandle"]},
            {"Id": "b", "ReceiptHandle": received[1]["ReceiptHandle"]},
            {"Id": "c", "ReceiptHandle": "garbage"},
        ],
    )
    assert [e["Id"] for e in deleted["Successful"]] == ["a", "b"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in deleted["Failed"]] == [
        ("c", "ReceiptHandleIsInvalid", True)
    ]

    with pytest.raises(ClientError) as empty:
        await sqs.send_message_batch(QueueUrl=url, Entries=[])
    assert empty.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"


async def test_errors_carry_the_codes_of_the_real_service(sqs: Any, aws: AwsEmulator, clock: Clock) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as missing:
        await sqs.get_queue_url(QueueName="nope")
    assert missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"

    with pytest.raises(ClientError) as send_missing:
        await sqs.send_message(QueueUrl=aws.queue_url("nope"), MessageBody="x")
    assert send_missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"

    url = await _queue(sqs)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as invalid:
        await sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert invalid.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"

    await sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = (await sqs.receive_message(QueueUrl=url, VisibilityTimeout=5))["Messages"][0]["ReceiptHandle"]
    clock.advance(6)
    with pytest.raises(ClientError) as not_inflight:
        await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    assert not_inflight.value.response["Error"]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"

    with pytest.raises(ClientError) as too_many:
        await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterValue"

    with pytest.raises(sqs.exceptions.QueueNameExists):
        await sqs.create_queue(QueueName="interruptions", Attributes={"VisibilityTimeout": "45"})


async def test_purge_empties_the_queue_once_a_minute(sqs: Any, clock: Clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="x")
    await sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)

    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        await sqs.purge_queue(QueueUrl=url)
    clock.advance(60)
    await sqs.purge_queue(QueueUrl=url)


async def test_message_attributes_round_trip(sqs: Any) -> None:
    url = await _queue(sqs)
    sent = await sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "spot-itn"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    message = (await sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]))["Messages"][0]

    assert message["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "spot-itn"}
    assert message["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01"
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


async def test_stopping_answers_parked_long_polls_at_once(session: Any, queues: SqsQueues) -> None:
    aws = AwsEmulator(queues=queues)
    await aws.start()
    async with session.client("sqs", endpoint_url=aws.url, config=CLIENT_CONFIG) as client:
        url = await _queue(client)
        poll = asyncio.create_task(client.receive_message(QueueUrl=url, WaitTimeSeconds=20))
        await asyncio.wait_for(queues.until_waiting("interruptions"), SAFETY)
        loop = asyncio.get_running_loop()
        started = loop.time()

        await aws.stop()

        response = await asyncio.wait_for(poll, SAFETY)
        assert "Messages" not in response
        assert loop.time() - started < 0.5


def test_attribute_digest_matches_a_message_captured_from_sqs() -> None:
    # The MD5OfMessageAttributes SQS returned for this attribute set (a public capture of a real message).
    attributes = {"AtTimestamp": MessageAttribute("String", string_value="2021-02-15T12:00:33+09:00")}
    assert attributes_md5(attributes) == "9fd5e217089075be61cd1d67e35e5117"
