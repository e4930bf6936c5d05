"""In-memory SQS standard queues, usable over HTTP and in-process alike.

Visibility, delays and retention run on an injected monotonic clock so the simulator may drive virtual
time; long polls wait on an event per queue that every change sets, bounded by the next moment a hidden
message becomes visible. A virtual-time driver calls ``wake()`` after moving its clock so waiting
receivers look again. Everything runs on the event loop's thread: call ``send`` from there.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from . import sqs_errors as errors
from .sqs_config import QueueConfig
from .sqs_message_attributes import MessageAttribute

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BODY = re.compile("^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
PURGE_INTERVAL = 60.0
SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
)


def body_md5(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    system_attributes: Mapping[str, str]  # all of SYSTEM_ATTRIBUTES; the wire layer selects
    message_attributes: Mapping[str, MessageAttribute]


@dataclass
class _Message:
    message_id: str
    body: str
    attributes: dict[str, MessageAttribute]
    sent_at: float
    visible_at: float
    receive_count: int = 0
    first_receive_at: float | None = None
    receipt: str | None = None


@dataclass
class _Queue:
    name: str
    config: QueueConfig
    created_at: float
    messages: dict[str, _Message] = field(default_factory=dict)
    changed: asyncio.Event | None = None
    purged_at: float | None = None

    def signal(self) -> None:
        if self.changed is not None:
            self.changed.set()
            self.changed = None

    def waiter(self) -> asyncio.Event:
        if self.changed is None:
            self.changed = asyncio.Event()
        return self.changed


class SqsQueues:
    """Queues by name in one account and region (``queue_arn`` and ``SenderId`` use them)."""

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        epoch: float | None = None,
        seed: int | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        """``epoch`` is the Unix time at which ``now()`` reads its current value (default: wall time)."""
        self._now = now
        self._clock_origin = now()
        self._epoch_origin = time.time() if epoch is None else epoch
        self._rng = random.Random(seed)
        self._queues: dict[str, _Queue] = {}
        self._waiting: dict[str, int] = {}
        self._waiting_changed: asyncio.Event | None = None
        self.region = region
        self.account_id = account_id

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _epoch_ms(self, at: float) -> int:
        return int((self._epoch_origin + at - self._clock_origin) * 1000)

    def _queue(self, name: str) -> _Queue:
        queue = self._queues.get(name)
        if queue is None:
            raise errors.queue_does_not_exist()
        return queue

    def names(self) -> list[str]:
        return sorted(self._queues)

    def exists(self, name: str) -> bool:
        return name in self._queues

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"

    def create(self, name: str, attributes: Mapping[str, str] | None = None) -> None:
        """Create ``name``; repeating a create with matching attributes is a no-op, as in SQS."""
        if name.endswith(".fifo"):
            raise errors.unsupported("FIFO queues are not implemented by the SpotVortex AWS emulator.")
        if not _QUEUE_NAME.match(name):
            raise errors.invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        requested = QueueConfig.parse(attributes or {})
        existing = self._queues.get(name)
        if existing is not None:
            have, want = existing.config.attributes(), requested.attributes()
            if any(have.get(key) != want[key] for key in attributes or {}):
                raise errors.queue_name_exists(name)
            return
        self._queues[name] = _Queue(name, requested, self._now())

    def send(
        self,
        name: str,
        body: str,
        *,
        delay_seconds: int | None = None,
        message_attributes: Mapping[str, MessageAttribute] | None = None,
    ) -> str:
        """Enqueue ``body`` and return its message id (how the simulator delivers EventBridge events)."""
        queue = self._queue(name)
        attributes = dict(message_attributes or {})
        if not body:
            raise errors.missing_parameter("MessageBody")
        if not _BODY.match(body):
            raise errors.invalid_message_contents()
        size = len(body.encode()) + sum(a.size(n) for n, a in attributes.items())
        if size > queue.config.maximum_message_size:
            raise errors.invalid_parameter(
                "One or more parameters are invalid. Reason: Message must be shorter than "
                f"{queue.config.maximum_message_size} bytes."
            )
        delay = queue.config.delay_seconds if delay_seconds is None else delay_seconds
        if not 0 <= delay <= 900:
            raise errors.invalid_parameter(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )
        now = self._now()
        message = _Message(self._uuid(), body, attributes, sent_at=now, visible_at=now + delay)
        queue.messages[message.message_id] = message
        queue.signal()
        return message.message_id

    async def receive(
        self,
        name: str,
        *,
        max_messages: int = 1,
        wait_seconds: int | None = None,
        visibility_timeout: int | None = None,
    ) -> list[ReceivedMessage]:
        """Up to ``max_messages`` visible messages, waiting up to ``wait_seconds`` (event-loop time) for one."""
        if not 1 <= max_messages <= 10:
            raise errors.invalid_parameter(
                f"Value {max_messages} for parameter MaxNumberOfMessages is invalid. "
                "Reason: Must be between 1 and 10, if provided."
            )
        if wait_seconds is not None and not 0 <= wait_seconds <= 20:
            raise errors.invalid_parameter(
                f"Value {wait_seconds} for parameter WaitTimeSeconds is invalid. "
                "Reason: Must be >= 0 and <= 20, if provided."
            )
        if visibility_timeout is not None and not 0 <= visibility_timeout <= 43_200:
            raise errors.invalid_parameter(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: Must be >= 0 and <= 43200, if provided."
            )
        queue = self._queue(name)
        wait = queue.config.receive_wait_seconds if wait_seconds is None else wait_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            taken = self._take(queue, max_messages, visibility_timeout)
            remaining = deadline - loop.time()
            if taken or remaining <= 0:
                return taken
            hidden = [m.visible_at for m in queue.messages.values() if m.visible_at > self._now()]
            bound = min(remaining, min(hidden) - self._now()) if hidden else remaining
            self._park(name, +1)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.waiter().wait(), timeout=max(bound, 0.001))
            finally:
                self._park(name, -1)

    def _take(self, queue: _Queue, limit: int, visibility_timeout: int | None) -> list[ReceivedMessage]:
        now = self._now()
        self._expire(queue, now)
        timeout = queue.config.visibility_timeout if visibility_timeout is None else visibility_timeout
        taken: list[ReceivedMessage] = []
        for message in queue.messages.values():
            if len(taken) == limit:
                break
            if message.visible_at > now:
                continue
            message.receive_count += 1
            message.visible_at = now + timeout
            if message.first_receive_at is None:
                message.first_receive_at = now
            message.receipt = self._receipt(queue.name, message)
            taken.append(self._received(message))
        return taken

    def _received(self, message: _Message) -> ReceivedMessage:
        assert message.receipt is not None
        assert message.first_receive_at is not None
        return ReceivedMessage(
            message_id=message.message_id,
            receipt_handle=message.receipt,
            body=message.body,
            md5_of_body=body_md5(message.body),
            system_attributes={
                "SenderId": self.account_id,
                "SentTimestamp": str(self._epoch_ms(message.sent_at)),
                "ApproximateReceiveCount": str(message.receive_count),
                "ApproximateFirstReceiveTimestamp": str(self._epoch_ms(message.first_receive_at)),
            },
            message_attributes=dict(message.attributes),
        )

    def _expire(self, queue: _Queue, now: float) -> None:
        retention = queue.config.retention_seconds
        for message_id in [i for i, m in queue.messages.items() if m.sent_at + retention <= now]:
            del queue.messages[message_id]

    def _receipt(self, name: str, message: _Message) -> str:
        raw = json.dumps([name, message.message_id, message.receive_count, self._rng.getrandbits(64)])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def _locate(self, queue: _Queue, handle: str) -> _Message | None:
        """The message a handle was issued for, if it still exists; malformed handles raise."""
        try:
            decoded = json.loads(base64.urlsafe_b64decode(handle.encode()))
        except (ValueError, binascii.Error):
            raise errors.receipt_handle_invalid(handle) from None
        if not isinstance(decoded, list) or len(decoded) != 4 or decoded[0] != queue.name:
            raise errors.receipt_handle_invalid(handle)
        return queue.messages.get(str(decoded[1]))

    def delete(self, name: str, receipt_handle: str) -> None:
        """Delete by the latest receipt handle; a stale one succeeds without deleting, as SQS documents."""
        queue = self._queue(name)
        message = self._locate(queue, receipt_handle)
        if message is not None and message.receipt == receipt_handle:
            del queue.messages[message.message_id]
            queue.signal()

    def change_visibility(self, name: str, receipt_handle: str, timeout: int) -> None:
        queue = self._queue(name)
        message = self._locate(queue, receipt_handle)
        if not 0 <= timeout <= 43_200:
            raise errors.invalid_parameter(
                f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200."
            )
        if message is None or message.receipt != receipt_handle:
            raise errors.invalid_parameter(
                f"Value {receipt_handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist "
                "or is not available for visibility timeout change."
            )
        now = self._now()
        if message.visible_at <= now:
            raise errors.message_not_inflight()
        message.visible_at = now + timeout
        queue.signal()

    def purge(self, name: str, *, rate_limited: bool = False) -> None:
        """Drop every message; over HTTP SQS allows this once a minute, in-process it is always allowed."""
        queue = self._queue(name)
        now = self._now()
        if rate_limited and queue.purged_at is not None and now - queue.purged_at < PURGE_INTERVAL:
            raise errors.purge_in_progress(self.queue_arn(name))
        queue.purged_at = now
        queue.messages.clear()
        queue.signal()

    def attributes(self, name: str, names: Sequence[str] = ("All",)) -> dict[str, str]:
        """GetQueueAttributes: settable attributes, derived counts and identities; unknown names raise."""
        queue = self._queue(name)
        now = self._now()
        self._expire(queue, now)
        visible = sum(1 for m in queue.messages.values() if m.visible_at <= now)
        in_flight = sum(1 for m in queue.messages.values() if m.visible_at > now and m.receive_count)
        created = str(self._epoch_ms(queue.created_at) // 1000)
        everything = queue.config.attributes() | {
            "QueueArn": self.queue_arn(name),
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(in_flight),
            "ApproximateNumberOfMessagesDelayed": str(len(queue.messages) - visible - in_flight),
            "CreatedTimestamp": created,
            "LastModifiedTimestamp": created,
        }
        if "All" in names:
            return everything
        for attribute in names:
            if attribute not in everything:
                raise errors.invalid_attribute_name(attribute)
        return {attribute: everything[attribute] for attribute in names}

    def _park(self, name: str, delta: int) -> None:
        self._waiting[name] = self._waiting.get(name, 0) + delta
        if self._waiting_changed is not None:
            self._waiting_changed.set()
            self._waiting_changed = None

    def waiting(self, name: str) -> int:
        """Receivers currently parked in a long poll on ``name``."""
        return self._waiting.get(name, 0)

    async def until_waiting(self, name: str, receivers: int = 1) -> None:
        """Return once ``receivers`` long polls are parked on ``name``.

        A virtual-time driver can use it to move its clock only while consumers are idle, and tests to
        send a message only once a receiver is provably waiting for it.
        """
        while self.waiting(name) < receivers:
            if self._waiting_changed is None:
                self._waiting_changed = asyncio.Event()
            await self._waiting_changed.wait()

    def wake(self) -> None:
        """Let waiting receivers re-check visibility after a virtual clock moved."""
        for queue in self._queues.values():
            queue.signal()
