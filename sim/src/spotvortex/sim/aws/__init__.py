"""The AWS side of the simulated world: Auto Scaling, SQS and EC2 spot prices over real HTTP.

``AwsEmulator`` answers ``aioboto3`` clients for ``autoscaling``, ``sqs`` and ``ec2`` on one port, as AWS
would; the simulator plugs in an ``AutoScalingBackend`` and a ``SpotPriceSource``, feeds ``SqsQueues``
in-process (EventBridge events from ``events``), and ``audit`` proves which calls mutated anything.
"""

from . import events
from .activities import termination_activity
from .audit import AuditEntry, AuditLog
from .model import (
    AsgGroup,
    AsgInstance,
    AutoScalingBackend,
    AwsError,
    NoAutoScaling,
    NoSpotPrices,
    ScalingActivity,
    SpotPrice,
    SpotPriceSource,
)
from .server import AwsEmulator
from .sqs_message_attributes import MessageAttribute
from .sqs_store import ReceivedMessage, SqsQueues

__all__ = [
    "AsgGroup",
    "AsgInstance",
    "AuditEntry",
    "AuditLog",
    "AutoScalingBackend",
    "AwsEmulator",
    "AwsError",
    "MessageAttribute",
    "NoAutoScaling",
    "NoSpotPrices",
    "ReceivedMessage",
    "ScalingActivity",
    "SpotPrice",
    "SpotPriceSource",
    "SqsQueues",
    "events",
    "termination_activity",
]
