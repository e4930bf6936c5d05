"""EventBridge EC2 events, as an SQS interruption queue delivers them, turned into market events.

Only the two events that matter for spot risk are read: "EC2 Spot Instance Interruption Warning" and
"EC2 Instance Rebalance Recommendation". Others (state changes, scheduled changes) are not errors; they
are skipped. The event names the instance, not its zone: the zone comes from the node the instance backs,
else from a zonal resource ARN (``arn:aws:ec2:us-east-1a:instance/i-…``), else it is ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from spotvortex.contracts.codec import ContractError
from spotvortex.contracts.market import MarketInterruption, MarketRebalance

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE_RECOMMENDATION = "EC2 Instance Rebalance Recommendation"
UNKNOWN_ZONE = "unknown"
_ZONAL_ARN = re.compile(r"^arn:aws:ec2:([a-z]{2}(?:-[a-z]+)+-\d+[a-z]):")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r" - at `\$\.?([^`]*)`$")


def _invalid(err: msgspec.ValidationError) -> ContractError:
    text = str(err)
    missing = _MISSING.search(text)
    at = _AT.search(text)
    field = missing.group(1) if missing else (at.group(1) if at else None)
    return ContractError(_AT.sub("", text), field=field or None, kind="invalid")


class _Envelope(msgspec.Struct, rename={"detail_type": "detail-type"}):
    detail_type: str
    detail: dict[str, Any]
    time: str | None = None
    resources: list[str] = []


def _zone_from(resources: list[str]) -> str | None:
    for arn in resources:
        match = _ZONAL_ARN.match(arn)
        if match:
            return match.group(1)
    return None


def parse_event(
    body: str | bytes, zone_of: Callable[[str], str | None]
) -> MarketInterruption | MarketRebalance | None:
    """The market event in an SQS message body, ``None`` for events of no interest.

    Raises :class:`ContractError` (field named) for a body that is not an EventBridge event or lacks the
    instance id.
    """
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
    except msgspec.ValidationError as err:
        raise _invalid(err) from None
    except msgspec.DecodeError as err:
        raise ContractError(f"body is not valid JSON: {err}", field=None, kind="undecodable") from None
    if envelope.detail_type not in (SPOT_INTERRUPTION, REBALANCE_RECOMMENDATION):
        return None
    instance_id = envelope.detail.get("instance-id")
    if not isinstance(instance_id, str) or not instance_id:
        raise ContractError("required field is missing", field="detail.instance-id", kind="invalid")
    zone = zone_of(instance_id) or _zone_from(envelope.resources) or UNKNOWN_ZONE
    raw: dict[str, Any] = {"zone": zone, "instance_id": instance_id}
    if envelope.time:
        raw["time"] = envelope.time
    try:
        if envelope.detail_type == REBALANCE_RECOMMENDATION:
            return msgspec.convert(raw, MarketRebalance)
        action = envelope.detail.get("instance-action")
        if isinstance(action, str) and action:
            raw["action"] = action
        return msgspec.convert(raw, MarketInterruption)
    except msgspec.ValidationError as err:
        raise _invalid(err) from None
