"""SQS's AWS JSON 1.0 protocol (``X-Amz-Target: AmazonSQS.<Op>``) over ``SqsQueues``.

This botocore speaks JSON to SQS, so requests are JSON objects and queues are named by their URL. URLs are
minted from the address the client used, ``<endpoint>/<account>/<name>``, so a client may also call them
directly; only the account and name segments are read back.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlparse

from . import sqs_errors as errors
from . import sqs_message_attributes as message_attributes
from .model import AwsError
from .sqs_store import SYSTEM_ATTRIBUTES, ReceivedMessage, SqsQueues, body_md5

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"

Body = Mapping[str, object]
Reply = dict[str, object]

_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _string(body: Body, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise errors.missing_parameter(name)
        return None
    if not isinstance(value, str):
        raise errors.invalid_parameter(f"Value for parameter {name} must be a string.")
    return value


def _required_string(body: Body, name: str) -> str:
    value = _string(body, name)
    assert value is not None
    return value


def _integer(body: Body, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise errors.invalid_parameter(
            f"Value {value} for parameter {name} is invalid. Reason: must be an integer."
        )
    return value


def _strings(body: Body, name: str) -> list[str]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.invalid_parameter(f"Value for parameter {name} must be a list of strings.")
    return list(value)


def _entries(body: Body, shape: str) -> list[Body]:
    entries = body.get("Entries") or []
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise errors.invalid_parameter("Entries must be a list of structures.")
    if not entries:
        raise errors.empty_batch(shape)
    if len(entries) > 10:
        raise errors.too_many_entries(len(entries))
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id")
        if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
            raise errors.invalid_batch_entry_id()
        if entry_id in seen:
            raise errors.batch_ids_not_distinct(entry_id)
        seen.add(entry_id)
    return entries


def _failure(entry_id: str, error: AwsError) -> Reply:
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}


class SqsApi:
    def __init__(self, queues: SqsQueues) -> None:
        self._queues = queues
        self._polls: set[asyncio.Future[list[ReceivedMessage]]] = set()
        self._closing = False
        self._operations: dict[str, Callable[[Body, str], Awaitable[Reply]]] = {
            "CreateQueue": self._create_queue,
            "GetQueueUrl": self._get_queue_url,
            "SendMessage": self._send_message,
            "SendMessageBatch": self._send_message_batch,
            "ReceiveMessage": self._receive_message,
            "DeleteMessage": self._delete_message,
            "DeleteMessageBatch": self._delete_message_batch,
            "ChangeMessageVisibility": self._change_message_visibility,
            "GetQueueAttributes": self._get_queue_attributes,
            "PurgeQueue": self._purge_queue,
        }

    async def call(self, operation: str, body: Body, endpoint: str) -> Reply:
        """Run ``operation``; ``endpoint`` (``scheme://host``) is where the client reached us."""
        handler = self._operations.get(operation)
        if handler is None:
            raise errors.unknown_operation(TARGET_PREFIX + operation)
        return await handler(body, endpoint)

    def close(self) -> None:
        """End parked long polls with empty answers so a server can stop without waiting them out."""
        self._closing = True
        for poll in list(self._polls):
            poll.cancel()

    def _url(self, endpoint: str, name: str) -> str:
        return f"{endpoint}/{self._queues.account_id}/{name}"

    def _name(self, body: Body) -> str:
        url = _required_string(body, "QueueUrl")
        parts = [p for p in urlparse(url).path.split("/") if p]
        if len(parts) != 2:
            raise errors.invalid_address(url)
        account, name = parts
        if account != self._queues.account_id or not self._queues.exists(name):
            raise errors.queue_does_not_exist()
        return name

    async def _create_queue(self, body: Body, endpoint: str) -> Reply:
        name = _required_string(body, "QueueName")
        attributes = body.get("Attributes") or {}
        if not isinstance(attributes, Mapping) or not all(isinstance(v, str) for v in attributes.values()):
            raise errors.invalid_parameter("Attributes must be a map of strings.")
        self._queues.create(name, {str(k): str(v) for k, v in attributes.items()})
        return {"QueueUrl": self._url(endpoint, name)}

    async def _get_queue_url(self, body: Body, endpoint: str) -> Reply:
        name = _required_string(body, "QueueName")
        owner = _string(body, "QueueOwnerAWSAccountId", required=False)
        if (owner is not None and owner != self._queues.account_id) or not self._queues.exists(name):
            raise errors.queue_does_not_exist()
        return {"QueueUrl": self._url(endpoint, name)}

    def _send(self, name: str, entry: Body) -> Reply:
        if entry.get("MessageDeduplicationId") is not None:
            raise errors.invalid_parameter(
                "The request includes a parameter that is not valid for this queue type: MessageDeduplicationId"
            )
        attributes = message_attributes.parse_attributes(entry.get("MessageAttributes"))
        body = _required_string(entry, "MessageBody")
        message_id = self._queues.send(
            name, body, delay_seconds=_integer(entry, "DelaySeconds"), message_attributes=attributes
        )
        return {
            "MessageId": message_id,
            "MD5OfMessageBody": body_md5(body),
            "MD5OfMessageAttributes": message_attributes.attributes_md5(attributes),
        }

    async def _send_message(self, body: Body, endpoint: str) -> Reply:
        return _compact(self._send(self._name(body), body))

    async def _send_message_batch(self, body: Body, endpoint: str) -> Reply:
        name = self._name(body)
        successful: list[Reply] = []
        failed: list[Reply] = []
        for entry in _entries(body, "SendMessageBatchRequestEntry"):
            entry_id = str(entry["Id"])
            try:
                successful.append(_compact({"Id": entry_id} | self._send(name, entry)))
            except AwsError as error:
                failed.append(_failure(entry_id, error))
        return {"Successful": successful, "Failed": failed}

    async def _receive_message(self, body: Body, endpoint: str) -> Reply:
        name = self._name(body)
        limit = _integer(body, "MaxNumberOfMessages")
        poll = asyncio.ensure_future(
            self._queues.receive(
                name,
                max_messages=1 if limit is None else limit,
                wait_seconds=_integer(body, "WaitTimeSeconds"),
                visibility_timeout=_integer(body, "VisibilityTimeout"),
            )
        )
        self._polls.add(poll)
        try:
            received = await poll
        except asyncio.CancelledError:
            if not self._closing:
                raise
            received = []  # shutting down: answer like a poll that found nothing
        finally:
            self._polls.discard(poll)
        system = set(_strings(body, "AttributeNames")) | set(_strings(body, "MessageSystemAttributeNames"))
        wanted = [a for a in SYSTEM_ATTRIBUTES if "All" in system or a in system]
        selection = _strings(body, "MessageAttributeNames")
        if not received:
            return {}
        return {"Messages": [_message(m, wanted, selection) for m in received]}

    async def _delete_message(self, body: Body, endpoint: str) -> Reply:
        self._queues.delete(self._name(body), _required_string(body, "ReceiptHandle"))
        return {}

    async def _delete_message_batch(self, body: Body, endpoint: str) -> Reply:
        name = self._name(body)
        successful: list[Reply] = []
        failed: list[Reply] = []
        for entry in _entries(body, "DeleteMessageBatchRequestEntry"):
            entry_id = str(entry["Id"])
            try:
                self._queues.delete(name, _required_string(entry, "ReceiptHandle"))
                successful.append({"Id": entry_id})
            except AwsError as error:
                failed.append(_failure(entry_id, error))
        return {"Successful": successful, "Failed": failed}

    async def _change_message_visibility(self, body: Body, endpoint: str) -> Reply:
        timeout = _integer(body, "VisibilityTimeout")
        if timeout is None:
            raise errors.missing_parameter("VisibilityTimeout")
        self._queues.change_visibility(self._name(body), _required_string(body, "ReceiptHandle"), timeout)
        return {}

    async def _get_queue_attributes(self, body: Body, endpoint: str) -> Reply:
        name = self._name(body)
        names = _strings(body, "AttributeNames")
        if not names:
            return {}
        return {"Attributes": self._queues.attributes(name, names)}

    async def _purge_queue(self, body: Body, endpoint: str) -> Reply:
        self._queues.purge(self._name(body), rate_limited=True)
        return {}


def _compact(reply: Reply) -> Reply:
    return {k: v for k, v in reply.items() if v is not None}


def _message(message: ReceivedMessage, system: list[str], selection: list[str]) -> Reply:
    chosen = message_attributes.select(message.message_attributes, selection)
    reply: Reply = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.md5_of_body,
        "Body": message.body,
    }
    if system:
        reply["Attributes"] = {name: message.system_attributes[name] for name in system}
    if chosen:
        reply["MD5OfMessageAttributes"] = message_attributes.attributes_md5(chosen)
        reply["MessageAttributes"] = message_attributes.to_json(chosen)
    return reply
