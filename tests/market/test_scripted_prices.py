"""The scripted price scenario format of upstream-spec §7.4, including the shipped example's behaviour."""

from __future__ import annotations

import pytest

from spotvortex.sim.market.errors import MarketDataError
from spotvortex.sim.market.scripted import ScriptedPriceError, parse_scripted

EXAMPLE = """{
  "default": {"current_price": 0.2, "on_demand_price": 1.0, "price_history": [0.2, 0.2, 0.2]},
  "repeat_last": true,
  "series": {
    "m5.large:us-east-1a": [
      {"current_price": 0.22, "on_demand_price": 1.0, "price_history": [0.2, 0.21, 0.22]},
      {"current_price": 0.95, "on_demand_price": 1.0, "price_history": [0.22, 0.5, 0.95]},
      {"current_price": 0.28, "on_demand_price": 1.0, "price_history": [0.95, 0.6, 0.28]}
    ],
    "r6i.large:us-east-1a": [{"error": "simulated throttling"}],
    "*:us-west-2a": [{"current_price": 0.4, "on_demand_price": 1.2, "price_history": [0.39, 0.4]}]
  }
}"""


def test_the_shipped_spike_scenario() -> None:
    prices = parse_scripted(EXAMPLE)
    seen = [prices.spot_quote("m5.large", "us-east-1a").current_price for _ in range(5)]
    assert seen == [0.22, 0.95, 0.28, 0.28, 0.28]
    with pytest.raises(ScriptedPriceError, match="simulated throttling"):
        prices.spot_quote("r6i.large", "us-east-1a")
    west = prices.spot_quote("c5.large", "us-west-2a")
    assert (west.current_price, west.on_demand_price, west.price_history) == (0.4, 1.2, [0.39, 0.4])
    fallback = prices.spot_quote("c5.large", "us-east-1b")
    assert (fallback.current_price, fallback.price_history) == (0.2, [0.2, 0.2, 0.2])


def test_lookup_precedence_and_cursor_per_series() -> None:
    prices = parse_scripted(
        '{"series": {"*:*": [{"current_price": 1, "on_demand_price": 2}],'
        ' "m5.large:*": [{"current_price": 3, "on_demand_price": 4}, {"current_price": 5}],'
        ' "*:z": [{"current_price": 6, "on_demand_price": 7}]}}'
    )
    assert prices.spot_quote("m5.large", "z").current_price == 3  # type:* beats *:zone
    assert prices.spot_quote("c5.large", "z").current_price == 6
    assert prices.spot_quote("c5.large", "y").current_price == 1
    assert prices.on_demand_price("m5.large", "z") == 4  # reading on-demand does not advance
    with pytest.raises(ScriptedPriceError, match="on_demand_price"):
        prices.spot_quote("m5.large", "q")  # second step lacks on-demand and there is no default


def test_repeat_last_false_exhausts_and_explicit_zero_is_honoured() -> None:
    prices = parse_scripted(
        '{"default": {"current_price": 0.5, "on_demand_price": 1}, "repeat_last": false,'
        ' "series": {"a:b": [{"current_price": 0, "price_history": []}]}}'
    )
    quote = prices.spot_quote("a", "b")
    assert (quote.current_price, quote.price_history) == (0, [])
    with pytest.raises(ScriptedPriceError, match="exhausted"):
        prices.spot_quote("a", "b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "needs `default` and/or `series`"),
        ('{"series": {"m5.large": [{}]}}', "must be <instance type>:<zone>"),
        ('{"series": {"a:b": []}}', "at least one step"),
        ('{"default": {"current_price": 1, "surprise": 2}}', "surprise"),
    ],
)
def test_invalid_scenarios(text: str, message: str) -> None:
    with pytest.raises(MarketDataError, match=message):
        parse_scripted(text, "scenario.json")
