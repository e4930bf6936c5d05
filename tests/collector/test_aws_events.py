"""EventBridge EC2 events from the interruption queue, read as market events."""

from __future__ import annotations

import json

import pytest

from spotvortex.collector.aws_events import parse_event
from spotvortex.contracts import ContractError, MarketInterruption
from spotvortex.contracts.market import MarketRebalance
from spotvortex.sim.aws import events

from .builders import NOW


def known(zones: dict[str, str]):  # type: ignore[no-untyped-def]
    return zones.get


def test_interruption_warning_with_zone_from_the_node() -> None:
    body = events.message_body(
        events.spot_interruption_warning("i-0abc", region="us-east-1", account="1", time=NOW, action="stop")
    )
    event = parse_event(body, known({"i-0abc": "us-east-1c"}))
    assert event == MarketInterruption(zone="us-east-1c", instance_id="i-0abc", action="stop", time=NOW)


def test_zone_from_a_zonal_arn_else_unknown() -> None:
    zonal = events.spot_interruption_warning(
        "i-1", region="us-east-1", account="1", time=NOW, zone="us-east-1b"
    )
    assert parse_event(events.message_body(zonal), known({})).zone == "us-east-1b"  # type: ignore[union-attr]
    regional = events.spot_interruption_warning("i-1", region="us-east-1", account="1", time=NOW)
    assert parse_event(events.message_body(regional), known({})).zone == "unknown"  # type: ignore[union-attr]


def test_rebalance_and_irrelevant_events() -> None:
    rebalance = events.rebalance_recommendation("i-2", region="us-east-1", account="1", time=NOW)
    assert parse_event(events.message_body(rebalance), known({"i-2": "us-east-1a"})) == MarketRebalance(
        zone="us-east-1a", instance_id="i-2", time=NOW
    )
    change = events.instance_state_change("i-2", "running", region="us-east-1", account="1", time=NOW)
    assert parse_event(events.message_body(change), known({})) is None


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ("not json", None, "undecodable"),
        (json.dumps({"detail": {}}), "detail-type", "invalid"),
        (json.dumps({"detail-type": "x", "detail": []}), "detail", "invalid"),
        (
            json.dumps({"detail-type": "EC2 Spot Instance Interruption Warning", "detail": {}}),
            "detail.instance-id",
            "invalid",
        ),
    ],
)
def test_malformed_bodies_name_the_problem(body: str, field: str | None, kind: str) -> None:
    with pytest.raises(ContractError) as err:
        parse_event(body, known({}))
    assert err.value.field == field
    assert err.value.kind == kind
