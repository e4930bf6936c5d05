"""A queue's settable attributes, with SQS's defaults and bounds.

Only attributes whose behaviour the emulator implements (timings, sizes) or that carry no behaviour
(encryption, policy) are accepted; FIFO and redrive are refused, so a test never relies on semantics the
emulator would silently skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import sqs_errors as errors

_BOUNDS: Mapping[str, tuple[int, int]] = {
    "VisibilityTimeout": (0, 43_200),
    "DelaySeconds": (0, 900),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "MessageRetentionPeriod": (60, 1_209_600),
    "MaximumMessageSize": (1_024, 1_048_576),
}
_INERT = frozenset({"Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"})
_UNSUPPORTED = frozenset(
    {
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "RedrivePolicy",
        "RedriveAllowPolicy",
    }
)


@dataclass(frozen=True)
class QueueConfig:
    visibility_timeout: int = 30
    delay_seconds: int = 0
    receive_wait_seconds: int = 0
    retention_seconds: int = 345_600
    maximum_message_size: int = 262_144
    inert: Mapping[str, str] = field(default_factory=lambda: {"SqsManagedSseEnabled": "true"})

    @classmethod
    def parse(cls, attributes: Mapping[str, str]) -> QueueConfig:
        numbers: dict[str, int] = {}
        inert = dict(cls().inert)
        for name, value in attributes.items():
            if name in _UNSUPPORTED:
                raise errors.unsupported(
                    f"Queue attribute {name} is not implemented by the SpotVortex AWS emulator."
                )
            if name in _INERT:
                inert[name] = value
                continue
            if name not in _BOUNDS:
                raise errors.invalid_attribute_name(name)
            lo, hi = _BOUNDS[name]
            try:
                number = int(value)
            except ValueError:
                raise errors.invalid_attribute_value(name) from None
            if not lo <= number <= hi:
                raise errors.invalid_attribute_value(name)
            numbers[name] = number
        default = cls()
        return cls(
            visibility_timeout=numbers.get("VisibilityTimeout", default.visibility_timeout),
            delay_seconds=numbers.get("DelaySeconds", default.delay_seconds),
            receive_wait_seconds=numbers.get("ReceiveMessageWaitTimeSeconds", default.receive_wait_seconds),
            retention_seconds=numbers.get("MessageRetentionPeriod", default.retention_seconds),
            maximum_message_size=numbers.get("MaximumMessageSize", default.maximum_message_size),
            inert=inert,
        )

    def attributes(self) -> dict[str, str]:
        return {
            "VisibilityTimeout": str(self.visibility_timeout),
            "DelaySeconds": str(self.delay_seconds),
            "ReceiveMessageWaitTimeSeconds": str(self.receive_wait_seconds),
            "MessageRetentionPeriod": str(self.retention_seconds),
            "MaximumMessageSize": str(self.maximum_message_size),
            **self.inert,
        }
