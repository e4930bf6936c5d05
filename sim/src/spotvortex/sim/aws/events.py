"""EC2 events as an EventBridge rule delivers them to an SQS queue: the message body is the event JSON.

AWS Node Termination Handler and Karpenter read ``detail-type`` to pick a parser and ``detail`` for the
instance; ``time`` is RFC 3339. Ids are derived from the inputs, so a replayed scenario emits the same ids
and duplicate deliveries can be recognised as such.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE_RECOMMENDATION = "EC2 Instance Rebalance Recommendation"
STATE_CHANGE = "EC2 Instance State-change Notification"

_NAMESPACE = uuid.UUID("5f2b7c1e-9a4d-4c3b-8e61-2d0f7a9b3c58")

Event = dict[str, Any]


def _rfc3339(value: datetime) -> str:
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(
    detail_type: str, detail: Mapping[str, str], *, region: str, account: str, time: datetime, resource: str
) -> Event:
    stamp = _rfc3339(time)
    seed = json.dumps([detail_type, region, account, stamp, dict(detail)], sort_keys=True)
    return {
        "version": "0",
        "id": str(uuid.uuid5(_NAMESPACE, seed)),
        "detail-type": detail_type,
        "source": "aws.ec2",
        "account": account,
        "time": stamp,
        "region": region,
        "resources": [resource],
        "detail": dict(detail),
    }


def instance_arn(instance_id: str, *, region: str, account: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"


def spot_interruption_warning(
    instance_id: str,
    *,
    region: str,
    account: str,
    time: datetime,
    action: str = "terminate",
    zone: str | None = None,
) -> Event:
    """The two-minute warning; ``action`` is ``terminate``, ``stop`` or ``hibernate``.

    Live warnings name the instance as ``arn:aws:ec2:<zone>:instance/<id>`` (zone, no account); pass
    ``zone`` to reproduce that, otherwise the regular instance ARN is used.
    """
    resource = (
        f"arn:aws:ec2:{zone}:instance/{instance_id}"
        if zone is not None
        else instance_arn(instance_id, region=region, account=account)
    )
    return _event(
        SPOT_INTERRUPTION,
        {"instance-id": instance_id, "instance-action": action},
        region=region,
        account=account,
        time=time,
        resource=resource,
    )


def rebalance_recommendation(instance_id: str, *, region: str, account: str, time: datetime) -> Event:
    return _event(
        REBALANCE_RECOMMENDATION,
        {"instance-id": instance_id},
        region=region,
        account=account,
        time=time,
        resource=instance_arn(instance_id, region=region, account=account),
    )


def instance_state_change(
    instance_id: str, state: str, *, region: str, account: str, time: datetime
) -> Event:
    """``state`` is ``pending``, ``running``, ``stopping``, ``stopped``, ``shutting-down`` or ``terminated``."""
    return _event(
        STATE_CHANGE,
        {"instance-id": instance_id, "state": state},
        region=region,
        account=account,
        time=time,
        resource=instance_arn(instance_id, region=region, account=account),
    )


def message_body(event: Event) -> str:
    """The SQS message body EventBridge delivers for ``event``."""
    return json.dumps(event, separators=(",", ":"))
