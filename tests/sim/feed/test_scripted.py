"""Scripted prices as feed events: one per pool and step, failing steps skipped and recorded, reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spotvortex.sim.feed import SkippedStep, order_key, scripted_events
from spotvortex.sim.market.scripted import parse_scripted

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
SCENARIO = """{
  "default": {"current_price": 0.2, "on_demand_price": 1.0},
  "series": {
    "m5.large:us-east-1a": [
      {"current_price": 0.22}, {"current_price": 0.95}, {"current_price": 0.28}
    ],
    "r6i.large:us-east-1a": [
      {"current_price": 0.3, "on_demand_price": 1.5}, {"error": "simulated throttling"}, {"current_price": 0.31}
    ]
  }
}"""
POOLS = [("r6i.large", "us-east-1a"), ("m5.large", "us-east-1a"), ("c5.large", "us-east-1b")]


def test_every_pool_gets_its_steps_at_the_interval_and_an_error_step_is_skipped() -> None:
    feed = scripted_events(parse_scripted(SCENARIO), POOLS, START, steps=4, interval=STEP)

    def series(itype: str) -> list[tuple[datetime | None, float, float | None]]:
        return [(e.time, e.spot_price, e.on_demand_price) for e in feed.events if e.instance_type == itype]

    at = [START + i * STEP for i in range(4)]
    assert series("m5.large") == [
        (at[0], 0.22, 1.0), (at[1], 0.95, 1.0), (at[2], 0.28, 1.0), (at[3], 0.28, 1.0),
    ]  # fmt: skip
    assert series("c5.large") == [(t, 0.2, 1.0) for t in at]  # no series: the default, every step
    assert series("r6i.large") == [(at[0], 0.3, 1.5), (at[2], 0.31, 1.0), (at[3], 0.31, 1.0)]
    assert feed.skipped == [SkippedStep(1, at[1], "r6i.large", "us-east-1a", "simulated throttling")]
    assert [order_key(e) for e in feed.events] == sorted(order_key(e) for e in feed.events)


def test_the_same_scenario_gives_the_same_feed_and_is_not_consumed() -> None:
    prices = parse_scripted(SCENARIO)
    first = scripted_events(prices, POOLS, START, steps=3, interval=STEP)
    assert scripted_events(prices, POOLS, START, steps=3, interval=STEP) == first
    untouched = prices.spot_quote("m5.large", "us-east-1a")  # the caller's cursor did not move
    assert untouched.current_price == 0.22


def test_an_exhausted_series_is_skipped_from_then_on() -> None:
    prices = parse_scripted(
        '{"repeat_last": false, "series": {"a:b": [{"current_price": 1, "on_demand_price": 2}]}}'
    )
    feed = scripted_events(prices, [("a", "b")], START, steps=3, interval=STEP)
    assert [e.time for e in feed.events] == [START]
    assert [(s.step, s.reason) for s in feed.skipped] == [
        (1, "series a:b exhausted"),
        (2, "series a:b exhausted"),
    ]


@pytest.mark.parametrize(
    ("start", "steps", "interval", "message"),
    [
        (START.replace(tzinfo=None), 1, STEP, "timezone-aware"),
        (START, -1, STEP, "negative"),
        (START, 1, timedelta(0), "positive"),
    ],
)
def test_arguments_are_checked(start: datetime, steps: int, interval: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scripted_events(parse_scripted(SCENARIO), POOLS, start, steps=steps, interval=interval)
