"""The recorded market of a time window as contract events: what the replay publishes, decided without I/O.

Planning is separate from publishing so the sequence can be inspected, tested and reused (the simulator and
evaluation read the same events the bus would carry), and so replaying the same inputs twice publishes
byte-identical events whose fact ids JetStream de-duplicates.

What is emitted for each pool (instance type, zone) of the window ``[start, end)``:

- a :class:`MarketPrice` at ``start`` with the spot price in force then (none when the series only begins
  later), then one per change of the price series with ``start < time < end``; each carries the type's
  on-demand price when ``on_demand`` knows it;
- with a :class:`CapacityTimeline`, ``MarketCapacity(available=False)`` when an outage begins and
  ``available=True`` when it ends, clipped to the window: an outage already running at ``start`` is reported
  at ``start``, one still running at ``end`` has no end event.

Rebalance recommendations of the timeline are not emitted: the contract addresses them to one node or
instance, and the market has no instances; whoever owns the simulated nodes turns them into events.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime

from spotvortex.contracts.market import MarketCapacity, MarketEvent, MarketPrice
from spotvortex.sim.feed.kinds import order_key
from spotvortex.sim.market.capacity import CapacityTimeline, Outage
from spotvortex.sim.market.ondemand import OnDemandPrices
from spotvortex.sim.market.prices import PoolKey, PriceSeries, SpotPriceBook


def check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window needs timezone-aware start and end times")
    if end <= start:
        raise ValueError(f"the window is empty: end {end.isoformat()} is not after start {start.isoformat()}")


def _prices(
    series: PriceSeries, on_demand: float | None, start: datetime, end: datetime, backfill: bool
) -> Iterator[MarketPrice]:
    def event(when: datetime, price: float) -> MarketPrice:
        return MarketPrice(
            instance_type=series.instance_type,
            zone=series.zone,
            spot_price=price,
            on_demand_price=on_demand,
            time=when,
        )

    in_force = series.opening_price(start) if backfill else series.price_at(start)
    if in_force is not None:
        yield event(start, in_force)
    for when, price in series.changes_between(start, end):
        if when < end:  # changes_between includes ``end``; the window does not
            yield event(when, price)


def _capacity(
    outages: list[Outage], pool: PoolKey, start: datetime, end: datetime
) -> Iterator[MarketCapacity]:
    instance_type, zone = pool
    for outage in sorted(outages, key=lambda o: o.start):
        if outage.end <= start or outage.start >= end:
            continue
        yield MarketCapacity(
            instance_type=instance_type, zone=zone, available=False, time=max(outage.start, start)
        )
        if outage.end < end:
            yield MarketCapacity(instance_type=instance_type, zone=zone, available=True, time=outage.end)


def market_events(
    book: SpotPriceBook,
    on_demand: OnDemandPrices | None,
    pools: Iterable[PoolKey] | None,
    start: datetime,
    end: datetime,
    *,
    region: str,
    capacity: CapacityTimeline | None = None,
    backfill: bool = False,
) -> Iterator[MarketEvent]:
    """The market of ``pools`` (every pool of ``book`` when ``None``) in ``[start, end)``, in time order.

    Events of equal time are ordered by kind (price before capacity), instance type, zone. ``region`` must
    be the region of ``book`` (and of ``on_demand``): the replay publishes on that region's subjects, so
    mixing data sets is refused here rather than discovered on the bus. ``backfill`` opens a series that
    starts after ``start`` with its first price (``PriceSeries.opening_price``), as the simulator bills it. Inputs are checked at call time; the
    events themselves are produced lazily, a window of the real data set never has to fit in a list.
    """
    check_window(start, end)
    if book.region != region:
        raise ValueError(f"the price book is of region {book.region}, not {region}")
    if on_demand is not None and on_demand.region != region:
        raise ValueError(f"the on-demand prices are of region {on_demand.region}, not {region}")
    chosen = sorted(set(book.series if pools is None else pools))
    unknown = [f"{t}/{z}" for t, z in chosen if (t, z) not in book.series]
    if unknown:
        raise ValueError(f"no spot price history for pool(s) {', '.join(unknown)}")
    streams: list[Iterator[MarketEvent]] = []
    for pool in chosen:
        od = on_demand.prices.get(pool[0]) if on_demand is not None else None
        streams.append(_prices(book.series[pool], od, start, end, backfill))
        if capacity is not None:
            streams.append(_capacity(capacity.outages.get(pool, []), pool, start, end))
    return heapq.merge(*streams, key=order_key)
