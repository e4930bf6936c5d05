"""The market window: pruning that keeps the price in force, counts over the last hour, de-duplication."""

from __future__ import annotations

from datetime import timedelta

from spotvortex.collector import Collector, CollectorConfig, MarketWindow
from spotvortex.contracts import MarketInterruption, MarketPrice, PricePoint
from spotvortex.contracts.market import MarketCapacity, MarketRebalance

from .builders import NOW


def minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


def test_window_keeps_recent_points_and_the_one_in_force_at_its_start() -> None:
    window = MarketWindow(window_seconds=3600)
    # prices are kept for the risk window (six hours) even when window_seconds is shorter
    for m, price in ((450, 0.01), (390, 0.02), (370, 0.03), (30, 0.04), (10, 0.05)):
        window.price("m5.large", "us-east-1a", NOW - minutes(m), price)
    series = window.series("m5.large", "us-east-1a", NOW)
    assert series is not None
    assert [p.spot_price for p in series.prices] == [0.03, 0.04, 0.05]
    assert series.spot_price == 0.05

    window.prune(NOW)
    assert window.series("m5.large", "us-east-1a", NOW) == series  # pruning changes nothing visible
    later = window.series("m5.large", "us-east-1a", NOW + minutes(420))
    assert later is not None
    assert later.prices == [PricePoint(time=NOW - minutes(10), spot_price=0.05)]  # quiet window: still known
    assert later.spot_price == 0.05


def test_late_and_repeated_points_land_in_time_order_once() -> None:
    window = MarketWindow()
    window.price("m5.large", "a", NOW - minutes(5), 0.05)
    window.price("m5.large", "a", NOW - minutes(20), 0.02)  # arrives late
    window.price("m5.large", "a", NOW - minutes(5), 0.06)  # same time again: the newer word wins
    window.price("m5.large", "a", NOW + minutes(5), 0.09)  # not yet in force at NOW
    series = window.series("m5.large", "a", NOW)
    assert series is not None
    assert [(p.time, p.spot_price) for p in series.prices] == [
        (NOW - minutes(20), 0.02),
        (NOW - minutes(5), 0.06),
    ]
    assert series.spot_price == 0.06


def test_on_demand_is_the_latest_reported_else_the_configured_table() -> None:
    window = MarketWindow(on_demand_prices={"m5.large": 0.096})
    window.price("m5.large", "a", NOW - minutes(5), 0.03)
    assert window.series("m5.large", "a", NOW).on_demand_price == 0.096  # type: ignore[union-attr]
    window.price("m5.large", "a", NOW - minutes(4), 0.03, on_demand=0.1)
    window.price("m5.large", "a", NOW - minutes(9), 0.03, on_demand=0.2)  # older report: ignored
    assert window.series("m5.large", "a", NOW).on_demand_price == 0.1  # type: ignore[union-attr]
    assert window.series("c5.large", "a", NOW) is None  # never heard of


def test_signal_counts_cover_the_last_hour() -> None:
    window = MarketWindow()
    for m in (5, 50, 61, 200):
        window.interruption("m5.large", "a", NOW - minutes(m))
    window.rebalance("m5.large", "a", NOW - minutes(1))
    window.capacity("m5.large", "a", NOW - minutes(30), available=False, placement_score=2)
    window.capacity(
        "m5.large", "a", NOW - minutes(40), available=True, placement_score=9
    )  # older: no override
    series = window.series("m5.large", "a", NOW)
    assert series is not None
    assert (series.interruptions_1h, series.rebalances_1h, series.capacity_losses_1h) == (2, 1, 1)
    assert (series.spot_available, series.placement_score) == (False, 2)
    window.prune(NOW)
    assert window.series("m5.large", "a", NOW).interruptions_1h == 2  # type: ignore[union-attr]


def test_ingest_defaults_the_time_and_counts_a_redelivered_event_once() -> None:
    collector = Collector("prod", CollectorConfig(window_seconds=3600))
    price = MarketPrice(instance_type="m5.large", zone="a", spot_price=0.031)
    collector.ingest(price, NOW)
    series = collector.market.series("m5.large", "a", NOW)
    assert series is not None
    assert series.prices == [PricePoint(time=NOW, spot_price=0.031)]

    timed = MarketInterruption(zone="a", instance_type="m5.large", instance_id="i-1", time=NOW - minutes(1))
    untimed = MarketRebalance(zone="a", instance_type="m5.large", instance_id="i-2")
    capacity = MarketCapacity(instance_type="m5.large", zone="a", available=False, time=NOW)
    for attempt in range(3):  # at-least-once: the same messages again
        collector.ingest(timed, NOW)
        collector.ingest(untimed, NOW + timedelta(seconds=attempt), key="seq:42")
        collector.ingest(capacity, NOW)
    series = collector.market.series("m5.large", "a", NOW + minutes(1))
    assert series is not None
    assert (series.interruptions_1h, series.rebalances_1h, series.capacity_losses_1h) == (1, 1, 1)
