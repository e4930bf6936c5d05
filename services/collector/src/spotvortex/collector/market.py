"""The market window per (instance type, zone): recent spot prices, on-demand price, signal counts, history.

Prices within ``window_seconds``, and never less than the risk model's ``HISTORY``, are kept, plus the last one before the
window, so the price in force is always known even after a quiet hour. Interruptions, rebalances and capacity
losses are counted over the last hour; their times and the capacity reports are shipped for ``HISTORY`` (feature
spec 2), with the last capacity report before it. Everything is keyed by the event's own time; re-delivered events (at-least-once) are recognised
by their key and counted once, and a price point at a time already known replaces it.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spotvortex.contracts.risk_window import HISTORY
from spotvortex.contracts.telemetry import AvailabilityPoint, MarketSeries, PricePoint

COUNT_SECONDS = 3600
MarketKey = tuple[str, str]  # (instance type, zone)


@dataclass
class _Market:
    prices: list[PricePoint] = field(default_factory=list)  # ascending by time, one per time
    on_demand: float | None = None
    on_demand_time: datetime | None = None
    available: bool = True
    placement_score: int | None = None
    capacity_time: datetime | None = None
    interruptions: deque[datetime] = field(default_factory=deque)
    rebalances: deque[datetime] = field(default_factory=deque)
    capacity_losses: deque[datetime] = field(default_factory=deque)
    reports: list[AvailabilityPoint] = field(default_factory=list)  # ascending by time, one per time
    observed_since: datetime | None = None


def _count(times: deque[datetime], at: datetime) -> None:
    """Insert keeping order (events may arrive late); the deques stay short (one hour of signals)."""
    if not times or times[-1] <= at:
        times.append(at)
        return
    items = list(times)
    bisect.insort(items, at)
    times.clear()
    times.extend(items)


def _since(times: deque[datetime], start: datetime, now: datetime) -> int:
    return sum(1 for t in times if start <= t <= now)


class MarketWindow:
    def __init__(
        self, window_seconds: int = 3600, on_demand_prices: Mapping[str, float] | None = None
    ) -> None:
        self.window = timedelta(seconds=window_seconds)
        self.history = max(self.window, HISTORY)  # prices and capacity history the risk window reads
        self._horizon = max(self.history, timedelta(seconds=COUNT_SECONDS))
        self._fallback_od = dict(on_demand_prices or {})
        self._markets: dict[MarketKey, _Market] = {}
        self._seen: dict[str, datetime] = {}
        self._shown: dict[MarketKey, MarketSeries | None] = {}
        self._shown_at: datetime | None = None
        """Series already built for ``_shown_at``: pools sharing a market read it once per snapshot time.
        Any change to the window forgets them."""

    def __len__(self) -> int:
        return len(self._markets)

    def keys(self) -> list[MarketKey]:
        return sorted(self._markets)

    def _changed(self) -> None:
        self._shown.clear()

    def _market(self, instance_type: str, zone: str, at: datetime) -> _Market:
        self._changed()  # every caller is about to change the market
        key = (instance_type, zone)
        market = self._markets.get(key)
        if market is None:
            market = self._markets[key] = _Market()
        if market.observed_since is None or at < market.observed_since:
            market.observed_since = at
        return market

    def first_sighting(self, key: str, at: datetime) -> bool:
        """Whether an event with this key is new (and remember it for the horizon)."""
        if key in self._seen:
            return False
        self._seen[key] = at
        return True

    # -- ingestion ---------------------------------------------------------------------------------------

    def price(
        self, instance_type: str, zone: str, at: datetime, spot: float, on_demand: float | None = None
    ) -> None:
        m = self._market(instance_type, zone, at)
        point = PricePoint(time=at, spot_price=spot)
        times = [p.time for p in m.prices]
        pos = bisect.bisect_left(times, at)
        if pos < len(m.prices) and m.prices[pos].time == at:
            m.prices[pos] = point
        else:
            m.prices.insert(pos, point)
        if on_demand is not None and (m.on_demand_time is None or at >= m.on_demand_time):
            m.on_demand, m.on_demand_time = on_demand, at

    def capacity(
        self, instance_type: str, zone: str, at: datetime, available: bool, placement_score: int | None
    ) -> None:
        m = self._market(instance_type, zone, at)
        report = AvailabilityPoint(time=at, available=available)
        pos = bisect.bisect_left([r.time for r in m.reports], at)
        if pos < len(m.reports) and m.reports[pos].time == at:
            m.reports[pos] = report
        else:
            m.reports.insert(pos, report)
        if m.capacity_time is None or at >= m.capacity_time:
            m.available, m.placement_score, m.capacity_time = available, placement_score, at
        if not available:
            _count(m.capacity_losses, at)

    def interruption(self, instance_type: str, zone: str, at: datetime) -> None:
        _count(self._market(instance_type, zone, at).interruptions, at)

    def rebalance(self, instance_type: str, zone: str, at: datetime) -> None:
        _count(self._market(instance_type, zone, at).rebalances, at)

    # -- reads -------------------------------------------------------------------------------------------

    def prune(self, now: datetime) -> None:
        """Forget what no snapshot at ``now`` or later can show."""
        self._changed()
        start = now - self.history
        oldest = now - self._horizon
        for m in self._markets.values():
            first_inside = bisect.bisect_left([p.time for p in m.prices], start)
            if first_inside > 1:
                del m.prices[: first_inside - 1]  # keep the last point before the window
            first_report = bisect.bisect_left([r.time for r in m.reports], oldest)
            if first_report > 1:
                del m.reports[: first_report - 1]
            for times in (m.interruptions, m.rebalances, m.capacity_losses):
                while times and times[0] < oldest:
                    times.popleft()
        for key in [k for k, t in self._seen.items() if t < oldest]:
            del self._seen[key]

    def series(self, instance_type: str, zone: str, now: datetime) -> MarketSeries | None:
        """The market of one (type, zone) as of ``now``; ``None`` when nothing was ever heard of it."""
        key = (instance_type, zone)
        if self._shown_at != now:
            self._shown.clear()
            self._shown_at = now
        if key in self._shown:
            return self._shown[key]
        found = self._shown[key] = self._series(instance_type, zone, now)
        return found

    def _series(self, instance_type: str, zone: str, now: datetime) -> MarketSeries | None:
        m = self._markets.get((instance_type, zone))
        if m is None:
            return None
        start = now - self.history
        upto = bisect.bisect_right([p.time for p in m.prices], now)
        past = m.prices[:upto]
        first_inside = bisect.bisect_left([p.time for p in past], start)
        shown = past[max(0, first_inside - 1) :]
        hour = now - timedelta(seconds=COUNT_SECONDS)
        on_demand = m.on_demand if m.on_demand is not None else self._fallback_od.get(instance_type, 0.0)
        return MarketSeries(
            instance_type=instance_type,
            zone=zone,
            on_demand_price=on_demand,
            spot_price=shown[-1].spot_price if shown else 0.0,
            prices=shown,
            spot_available=m.available,
            placement_score=m.placement_score,
            interruptions_1h=_since(m.interruptions, hour, now),
            rebalances_1h=_since(m.rebalances, hour, now),
            capacity_losses_1h=_since(m.capacity_losses, hour, now),
            availability=_history(m.reports, now - HISTORY, now),
            interruption_times=[t for t in m.interruptions if now - HISTORY <= t <= now],
            rebalance_times=[t for t in m.rebalances if now - HISTORY <= t <= now],
            observed_since=m.observed_since,
        )


def _history(reports: list[AvailabilityPoint], start: datetime, now: datetime) -> list[AvailabilityPoint]:
    """Reports in ``[start, now]`` and the last one before ``start`` (the state the window opens with)."""
    times = [r.time for r in reports]
    upto = bisect.bisect_right(times, now)
    first_inside = bisect.bisect_left(times, start, 0, upto)
    return reports[max(0, first_inside - 1) : upto]
