"""The recorded market as events: ordered, faithful to the price series, bracketing outages, reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spotvortex.contracts.market import MarketCapacity, MarketEvent, MarketPrice
from spotvortex.sim.feed import market_events, order_key
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.capacity import CapacityTimeline, Outage, from_traces
from spotvortex.sim.market.ondemand import load_on_demand
from spotvortex.sim.market.prices import PriceSeries, SpotPriceBook, load_spot_prices
from spotvortex.sim.market.sources import fixture_files

FILES = fixture_files()
BOOK = load_spot_prices(FILES.spot_prices)
ON_DEMAND = load_on_demand(FILES.on_demand)
POOLS = sorted(BOOK.series)
CAPACITY = from_traces(
    POOLS,
    load_availability(FILES.availability),
    datetime(2021, 3, 2, tzinfo=UTC),
    datetime(2021, 3, 20, tzinfo=UTC),
    seed=11,
)


def _midpoint(outage: Outage) -> datetime:
    return outage.start + (outage.end - outage.start) / 2


# A window whose start and end each fall inside an outage, so clipping at both edges is exercised.
_EPISODES = sorted((o for eps in CAPACITY.outages.values() for o in eps), key=lambda o: o.start)
START = _midpoint(next(o for o in _EPISODES if o.start >= datetime(2021, 3, 4, tzinfo=UTC)))
END = _midpoint(next(o for o in _EPISODES if o.start >= START + timedelta(days=4)))


def plan(**overrides: object) -> list[MarketEvent]:
    args: dict[str, object] = {"region": "us-east-1", "capacity": CAPACITY, **overrides}
    return list(market_events(BOOK, ON_DEMAND, POOLS, START, END, **args))  # type: ignore[arg-type]


def of_pool(events: list[MarketEvent], pool: tuple[str, str], kind: type[MarketEvent]) -> list[MarketEvent]:
    return [e for e in events if isinstance(e, kind) and (e.instance_type, e.zone) == pool]


def test_events_are_time_ordered_in_the_window_and_reproducible() -> None:
    events = plan()
    assert events == plan()
    assert [order_key(e) for e in events] == sorted(order_key(e) for e in events)
    assert all(e.time is not None and e.time.tzinfo is not None for e in events)
    assert all(e.time is not None and START <= e.time < END for e in events)
    assert {type(e) for e in events} == {MarketPrice, MarketCapacity}


def test_each_pool_opens_with_the_price_in_force_at_start() -> None:
    events = plan()
    for pool in POOLS:
        first = next(e for e in events if (e.instance_type, e.zone) == pool)
        assert isinstance(first, MarketPrice)
        assert first.time == START
        assert first.spot_price == BOOK.price_at(*pool, START)
        assert first.on_demand_price == ON_DEMAND.price(pool[0])


def test_later_prices_are_exactly_the_series_changes() -> None:
    events = plan()
    for pool in POOLS:
        prices = of_pool(events, pool, MarketPrice)
        expected = [(t, p) for t, p in BOOK.series[pool].changes_between(START, END) if t < END]
        assert expected, f"the window should hold price changes of {pool}"
        assert [(e.time, e.spot_price) for e in prices[1:]] == expected  # type: ignore[union-attr]


def test_capacity_events_bracket_each_outage_clipped_to_the_window() -> None:
    events = plan()
    straddle_start = straddle_end = 0
    for pool in POOLS:
        seen = of_pool(events, pool, MarketCapacity)
        overlapping = [o for o in CAPACITY.outages[pool] if o.end > START and o.start < END]
        assert [e.available for e in seen] == [  # type: ignore[union-attr]
            flag for o in overlapping for flag in ((False, True) if o.end < END else (False,))
        ]
        for event in seen:  # every transition agrees with the timeline it came from
            assert isinstance(event, MarketCapacity)
            assert event.time is not None
            assert event.available == CAPACITY.available(*pool, event.time)
        if overlapping and overlapping[0].start < START:
            straddle_start += 1
            assert seen[0].time == START
        if overlapping and overlapping[-1].end > END:
            straddle_end += 1
            assert not seen[-1].available  # type: ignore[union-attr]
    assert straddle_start, "the window was chosen so that its start clips an outage"
    assert straddle_end, "the window was chosen so that its end clips an outage"


def test_prices_only_without_capacity_and_without_on_demand() -> None:
    events = list(market_events(BOOK, None, None, START, END, region="us-east-1"))
    assert events
    assert all(isinstance(e, MarketPrice) and e.on_demand_price is None for e in events)
    assert {(e.instance_type, e.zone) for e in events} == set(POOLS)  # None means every pool of the book


def test_a_series_that_begins_inside_the_window_has_no_start_price() -> None:
    t0 = datetime(2021, 3, 1, tzinfo=UTC)
    late = PriceSeries("m5.large", "us-east-1a", (t0 + timedelta(hours=2),), (0.05,))
    book = SpotPriceBook("us-east-1", {("m5.large", "us-east-1a"): late})
    events = list(market_events(book, None, None, t0, t0 + timedelta(hours=3), region="us-east-1"))
    assert [(e.time, e.spot_price) for e in events] == [(t0 + timedelta(hours=2), 0.05)]  # type: ignore[union-attr]
    backfilled = list(
        market_events(book, None, None, t0, t0 + timedelta(hours=3), region="us-east-1", backfill=True)
    )
    assert [(e.time, e.spot_price) for e in backfilled] == [  # type: ignore[union-attr]
        (t0, 0.05),
        (t0 + timedelta(hours=2), 0.05),
    ]


def test_equal_times_order_by_kind_then_type_then_zone() -> None:
    t0, t1 = datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 3, 1, 0, 10, tzinfo=UTC)
    series = {(t, z): PriceSeries(t, z, (t0,), (0.1,)) for t in ("m5.large", "c5.large") for z in "ba"}
    series[("m5.large", "a")] = PriceSeries("m5.large", "a", (t0, t1), (0.1, 0.2))  # a change at t1
    down = {p: [Outage(*p, t0, t1, "pool")] for p in (("m5.large", "b"), ("c5.large", "a"))}
    capacity = CapacityTimeline(t0, t0 + timedelta(hours=1), down)
    book = SpotPriceBook("r", series)
    events = list(market_events(book, None, None, t0, t0 + timedelta(hours=1), region="r", capacity=capacity))
    assert [(e.time, type(e).__name__, e.instance_type, e.zone) for e in events] == [
        (t0, "MarketPrice", "c5.large", "a"),
        (t0, "MarketPrice", "c5.large", "b"),
        (t0, "MarketPrice", "m5.large", "a"),
        (t0, "MarketPrice", "m5.large", "b"),
        (t0, "MarketCapacity", "c5.large", "a"),
        (t0, "MarketCapacity", "m5.large", "b"),
        (t1, "MarketPrice", "m5.large", "a"),
        (t1, "MarketCapacity", "c5.large", "a"),
        (t1, "MarketCapacity", "m5.large", "b"),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"region": "eu-west-1"}, "price book is of region us-east-1"),
        ({"pools": [("m5.large", "us-east-1z")]}, "m5.large/us-east-1z"),
        ({"start": START.replace(tzinfo=None)}, "timezone-aware"),
        ({"end": START}, "window is empty"),
    ],
)
def test_inputs_are_checked_when_called(overrides: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"pools": POOLS, "start": START, "end": END, "region": "us-east-1"}
    args.update(overrides)
    with pytest.raises(ValueError, match=message):
        market_events(BOOK, ON_DEMAND, **args)  # type: ignore[arg-type]
