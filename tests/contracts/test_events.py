"""Every event round-trips; malformed bodies are rejected with the bad field named."""

from __future__ import annotations

import json

import msgspec
import pytest

from spotvortex.contracts import (
    Action,
    ContractError,
    MarketCapacity,
    MarketInterruption,
    MarketPrice,
    PoolTelemetry,
    ProposedAction,
    decode,
    encode,
)
from spotvortex.contracts.catalog import CATALOG, EventSpec


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.type.__name__)
def test_every_event_round_trips(spec: EventSpec) -> None:
    wire = encode(spec.example)
    back = decode(wire, spec.type)
    assert back == spec.example
    assert json.loads(wire)["schema_version"] == 1


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.type.__name__)
def test_every_event_has_a_stable_fact_id(spec: EventSpec) -> None:
    again = decode(encode(spec.example), spec.type)
    assert spec.example.fact_id() == again.fact_id()
    assert spec.example.fact_id()


def test_catalog_covers_every_event_of_the_design() -> None:
    names = {s.type.__name__ for s in CATALOG}
    assert names == {
        "MarketPrice",
        "MarketInterruption",
        "MarketRebalance",
        "MarketCapacity",
        "PoolTelemetry",
        "RiskAssessment",
        "ProposedAction",
        "GateVerdict",
        "SteeringChange",
        "DrainJob",
        "DrainResult",
        "DeadLetter",
    }


def _telemetry_body() -> dict[str, object]:
    spec = next(s for s in CATALOG if s.type is PoolTelemetry)
    return json.loads(encode(spec.example))


@pytest.mark.parametrize(
    ("body", "event_type", "field", "kind"),
    [
        (b"{not json", MarketPrice, None, "undecodable"),
        (b"", MarketPrice, None, "undecodable"),
        (b'{"zone":"a","spot_price":0.1}', MarketPrice, "instance_type", "invalid"),
        (
            b'{"instance_type":"m5.large","zone":"a","spot_price":"cheap"}',
            MarketPrice,
            "spot_price",
            "invalid",
        ),
        (b'{"instance_type":"m5.large","zone":"a","spot_price":-1}', MarketPrice, "spot_price", "invalid"),
        (
            b'{"instance_type":"m5.large","zone":"a","spot_price":1,"schema_version":2}',
            MarketPrice,
            "schema_version",
            "invalid",
        ),
        (
            b'{"instance_type":"m5.large","zone":"a","spot_price":1,"time":"2026-01-01T00:00:00"}',
            MarketPrice,
            "time",
            "invalid",
        ),
        (b'{"zone":"us-east-1a"}', MarketInterruption, "node", "invalid"),
        (b'{"zone":"a","node":"n","action":"explode"}', MarketInterruption, "action", "invalid"),
        (
            b'{"instance_type":"c5.large","zone":"a","available":true,"placement_score":11}',
            MarketCapacity,
            "placement_score",
            "invalid",
        ),
    ],
)
def test_malformed_bodies_name_the_field(
    body: bytes, event_type: type[msgspec.Struct], field: str | None, kind: str
) -> None:
    with pytest.raises(ContractError) as caught:
        decode(body, event_type)  # type: ignore[type-var]
    assert caught.value.field == field
    assert caught.value.kind == kind
    if field:
        assert f"`{field}`" in str(caught.value)


def test_nested_field_paths_are_reported() -> None:
    body = _telemetry_body()
    body["nodes"]["spot"] = "six"  # type: ignore[index]
    with pytest.raises(ContractError) as caught:
        decode(json.dumps(body).encode(), PoolTelemetry)
    assert caught.value.field == "nodes.spot"

    body = _telemetry_body()
    body["market"][0]["prices"][1][1] = "x"  # type: ignore[index]
    with pytest.raises(ContractError) as caught:
        decode(json.dumps(body).encode(), PoolTelemetry)
    assert caught.value.field == "market[0].prices[1][1]"


def test_q_values_need_one_entry_per_action() -> None:
    spec = next(s for s in CATALOG if s.type is ProposedAction)
    body = json.loads(encode(spec.example))
    body["q_values"] = [0.1, 0.2]
    with pytest.raises(ContractError) as caught:
        decode(json.dumps(body).encode(), ProposedAction)
    assert caught.value.field == "q_values"
    body["q_values"] = [0.0] * len(Action)
    assert decode(json.dumps(body).encode(), ProposedAction).q_values == [0.0] * 6


def test_hand_typed_market_json_is_accepted_and_extra_fields_ignored() -> None:
    event = decode(
        b'{"instance_type":"m5.large","zone":"us-east-1a","spot_price":0.04,"note":"hi"}', MarketPrice
    )
    assert event.spot_price == 0.04
    assert event.time is None
    assert event.schema_version == 1
    interruption = decode(b'{"zone":"us-east-1a","instance_id":"i-1"}', MarketInterruption)
    assert interruption.notice_seconds == 120
    assert interruption.action == "terminate"


def test_integer_prices_are_numbers_but_strings_are_not() -> None:
    assert decode(b'{"instance_type":"m","zone":"z","spot_price":1}', MarketPrice).spot_price == 1.0
    with pytest.raises(ContractError):
        decode(b'{"instance_type":"m","zone":"z","spot_price":"1"}', MarketPrice)


def test_action_index_matches_q_value_order() -> None:
    assert [a.position for a in Action] == list(range(6))
    assert Action.from_index(5) is Action.EMERGENCY_EXIT
