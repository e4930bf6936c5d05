"""Which market subject an event belongs on, and the one order every feed source sorts its events by.

Both the planners and the replay need the event → :class:`MarketKind` mapping; keeping it here means a new
market event type is added in one place, and equal-time events from any source interleave identically.
"""

from __future__ import annotations

from datetime import datetime

from spotvortex.contracts.market import (
    MarketCapacity,
    MarketEvent,
    MarketInterruption,
    MarketPrice,
    MarketRebalance,
)
from spotvortex.contracts.subjects import MarketKind

_KINDS: dict[type[MarketEvent], MarketKind] = {
    MarketPrice: MarketKind.PRICE,
    MarketInterruption: MarketKind.INTERRUPTION,
    MarketRebalance: MarketKind.REBALANCE,
    MarketCapacity: MarketKind.CAPACITY,
}
_RANK = {kind: i for i, kind in enumerate(MarketKind)}  # price, interruption, rebalance, capacity

OrderKey = tuple[datetime, int, str, str, int]


def kind_of(event: MarketEvent) -> MarketKind:
    """The ``<kind>`` token of ``spotvortex.market.<region>.<kind>`` for ``event``."""
    try:
        return _KINDS[type(event)]
    except KeyError:
        raise TypeError(f"{type(event).__name__} is not a market event") from None


def order_key(event: MarketEvent) -> OrderKey:
    """Time, then kind (in :class:`MarketKind` order), then instance type, zone, and capacity state.

    Only for events that carry a time; the planners always stamp one.
    """
    if event.time is None:
        raise ValueError(f"{type(event).__name__} has no time to order by")
    available = int(event.available) if isinstance(event, MarketCapacity) else 0
    return (event.time, _RANK[kind_of(event)], event.instance_type or "", event.zone, available)
