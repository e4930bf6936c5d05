"""Labelled risk-model examples from availability traces: the windows the service would see, and what happened.

Every ``sample_seconds`` of every trace is one example. Its input is feature spec 2's window
(``spotvortex.contracts.risk_window.pool_window``, the very function the inference service calls), computed from
``MarketSeries`` built as the collector would have shipped them at that moment: the trace's capacity reports
(a report at every change), an interruption notice whenever capacity vanishes (a running node there is
reclaimed), prices when a price history is given, and as the family the other traces of the same instance family
and region. Its labels are the two heads' events:

- ``capacity``: spot capacity is missing at some tick of the next ``capacity_horizon`` (launches fail or running
  nodes are reclaimed);
- ``runtime``: capacity is lost (a change from capacity to none: a running node is interrupted) within the next
  ``runtime_horizon``.

Prices: availability traces carry none. With a price book, the series of the same (type, zone) is used, else the
type's series in another zone; when the book does not cover the trace's dates it is replayed from its own start
(aligned offsets), and that choice is recorded. Without prices the spot price is held at the on-demand price ×
``DEFAULT_PRICE_RATIO``. Examples whose label horizon runs past the trace's end are left out.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.risk_window import HISTORY, StepCache, family_of, pool_window
from spotvortex.contracts.telemetry import AvailabilityPoint, MarketSeries, PricePoint
from spotvortex.sim.market.advisor import AdvisorBands
from spotvortex.sim.market.availability import AvailabilityTrace
from spotvortex.sim.market.prices import PriceSeries, SpotPriceBook

DEFAULT_PRICE_RATIO = 0.35  # the median spot/on-demand ratio of the shipped price history
DEFAULT_ON_DEMAND = 1.0


@dataclass(frozen=True)
class Horizons:
    capacity: timedelta = timedelta(minutes=60)
    runtime: timedelta = timedelta(hours=6)


@dataclass
class Examples:
    """Inputs, labels and where each example comes from (for time- and zone-wise splits)."""

    windows: npt.NDArray[np.float32]  # [n, STEPS, N_WINDOW_FEATURES]
    capacity: npt.NDArray[np.float32]  # [n] 0/1
    runtime: npt.NDArray[np.float32]  # [n] 0/1
    zone: list[str]
    region: list[str]
    time: npt.NDArray[np.float64]  # epoch seconds of the snapshot
    fraction: npt.NDArray[np.float64]  # position of the snapshot in its trace, 0 … 1
    notes: dict[str, str] = field(default_factory=dict)
    # each example's own market, for input specs other than spec 2 (the earlier bundle's)
    series: list[MarketSeries] = field(default_factory=list)
    simulated: npt.NDArray[np.bool_] | None = None  # True where the labels come from the simulator

    def __len__(self) -> int:
        return int(self.capacity.shape[0])

    def subset(self, mask: npt.NDArray[np.bool_]) -> Examples:
        index = np.flatnonzero(mask)
        return Examples(
            windows=self.windows[index],
            capacity=self.capacity[index],
            runtime=self.runtime[index],
            zone=[self.zone[i] for i in index],
            region=[self.region[i] for i in index],
            time=self.time[index],
            fraction=self.fraction[index],
            notes=dict(self.notes),
            series=[self.series[i] for i in index] if self.series else [],
            simulated=None if self.simulated is None else self.simulated[index],
        )


@dataclass(frozen=True)
class _Trace:
    """A trace's ticks as arrays, its capacity changes, and its market facts."""

    source: AvailabilityTrace
    start: float
    available: npt.NDArray[np.bool_]
    change_times: list[float]
    change_states: list[bool]
    loss_times: list[float]
    rebalance_times: list[float]
    prices: PriceSeries | None
    price_shift: float
    on_demand: float
    band: int | None

    def tick_time(self, i: int) -> float:
        return self.start + i * self.source.gap_seconds


def _prepare(
    trace: AvailabilityTrace,
    book: SpotPriceBook | None,
    on_demand: dict[str, float],
    advisor: AdvisorBands | None,
    notes: dict[str, str],
    rebalances: Sequence[float] = (),
) -> _Trace:
    start = trace.start.timestamp()
    available = np.asarray(trace.values, dtype=np.int64) > 0
    change_times: list[float] = [start]
    change_states: list[bool] = [bool(available[0])]
    losses: list[float] = [] if available[0] else [start]
    for i in np.flatnonzero(available[1:] != available[:-1]) + 1:
        when = start + float(i) * trace.gap_seconds
        change_times.append(when)
        change_states.append(bool(available[i]))
        if not available[i]:
            losses.append(when)
    prices: PriceSeries | None = None
    shift = 0.0
    if book is not None:
        same = [s for key, s in sorted(book.series.items()) if key[0] == trace.instance_type]
        exact = [s for s in same if s.zone == trace.zone]
        prices = (exact or same)[0] if (exact or same) else None
        if prices is not None:
            end = trace.start + trace.duration
            if not (prices.times[0] <= trace.start and end <= book.end):
                shift = prices.times[0].timestamp() - start
                notes["prices"] = (
                    "replayed from the price history's own start (it does not cover the traces' dates)"
                )
            else:
                notes["prices"] = "the price history at the traces' own dates"
    band_found = advisor.band(trace.region, trace.instance_type) if advisor is not None else None
    return _Trace(
        source=trace,
        start=start,
        available=available,
        change_times=change_times,
        change_states=change_states,
        loss_times=losses,
        rebalance_times=sorted(rebalances),
        prices=prices,
        price_shift=shift,
        on_demand=on_demand.get(trace.instance_type, DEFAULT_ON_DEMAND),
        band=band_found.index if band_found is not None else None,
    )


def _series_at(t: _Trace, at: float) -> MarketSeries:
    """What the collector would ship for this trace's market at ``at`` (epoch seconds)."""
    lo = at - HISTORY.total_seconds()
    hi = bisect.bisect_right(t.change_times, at)
    first = max(0, bisect.bisect_left(t.change_times, lo, 0, hi) - 1)
    reports = [
        AvailabilityPoint(time=datetime.fromtimestamp(when, UTC), available=state)
        for when, state in zip(t.change_times[first:hi], t.change_states[first:hi], strict=True)
    ]
    losses = t.loss_times[bisect.bisect_left(t.loss_times, lo) : bisect.bisect_right(t.loss_times, at)]
    rebalances = t.rebalance_times[
        bisect.bisect_left(t.rebalance_times, lo) : bisect.bisect_right(t.rebalance_times, at)
    ]
    losses_1h = sum(1 for x in losses if x >= at - 3600)
    spot = t.on_demand * DEFAULT_PRICE_RATIO
    points: list[PricePoint] = []
    if t.prices is not None:
        shifted = datetime.fromtimestamp(at + t.price_shift, UTC)
        shifted_lo = datetime.fromtimestamp(lo + t.price_shift, UTC)
        spot = t.prices.opening_price(shifted)
        opening = t.prices.opening_price(shifted_lo)
        points = [PricePoint(time=datetime.fromtimestamp(lo, UTC), spot_price=opening)]
        points += [
            PricePoint(time=datetime.fromtimestamp(when.timestamp() - t.price_shift, UTC), spot_price=price)
            for when, price in t.prices.changes_between(shifted_lo, shifted)
        ]
    tick = min(len(t.available) - 1, int((at - t.start) // t.source.gap_seconds))
    return MarketSeries(
        instance_type=t.source.instance_type,
        zone=t.source.zone,
        on_demand_price=t.on_demand,
        spot_price=spot,
        prices=points,
        spot_available=bool(t.available[tick]),
        advisor_band=t.band,
        availability=reports,
        interruption_times=[datetime.fromtimestamp(x, UTC) for x in losses],
        rebalance_times=[datetime.fromtimestamp(x, UTC) for x in rebalances],
        rebalances_1h=sum(1 for x in rebalances if x >= at - 3600),
        observed_since=datetime.fromtimestamp(t.start, UTC),
        capacity_losses_1h=losses_1h,
        interruptions_1h=losses_1h,
    )


def _labels(
    t: _Trace, ticks: npt.NDArray[np.int64], horizons: Horizons
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    gap = t.source.gap_seconds
    missing = (~t.available).astype(np.int64)
    cumulative = np.concatenate([[0], np.cumsum(missing)])
    ahead = round(horizons.capacity.total_seconds() / gap)
    capacity = (cumulative[ticks + 1 + ahead] - cumulative[ticks + 1]) > 0
    loss = np.zeros(len(t.available), dtype=np.int64)
    loss[1:] = (t.available[:-1] & ~t.available[1:]).astype(np.int64)
    loss_cum = np.concatenate([[0], np.cumsum(loss)])
    r_ahead = round(horizons.runtime.total_seconds() / gap)
    runtime = (loss_cum[ticks + 1 + r_ahead] - loss_cum[ticks + 1]) > 0
    return capacity.astype(np.float32), runtime.astype(np.float32)


def build_examples(
    traces: Sequence[AvailabilityTrace],
    *,
    book: SpotPriceBook | None = None,
    on_demand: dict[str, float] | None = None,
    advisor: AdvisorBands | None = None,
    horizons: Horizons | None = None,
    sample_seconds: float = 600.0,
    progress: bool = False,
    rebalances: dict[str, Sequence[float]] | None = None,
    simulated: bool = False,
) -> Examples:
    """Every ``sample_seconds`` of every trace, from one window after its start to one horizon before its end.

    ``rebalances`` gives rebalance-recommendation times (epoch seconds) by trace name; ``simulated`` marks the
    examples as simulator rollouts (their zones are prefixed ``sim:`` so a zone split never mixes them with real
    zones)."""
    horizons = horizons or Horizons()
    notes: dict[str, str] = {}
    prepared = [
        _prepare(t, book, on_demand or {}, advisor, notes, (rebalances or {}).get(t.name, ())) for t in traces
    ]
    groups: dict[tuple[str, str], list[_Trace]] = {}
    for p in prepared:
        groups.setdefault((p.source.region, family_of(p.source.instance_type)), []).append(p)
    windows: list[list[list[float]]] = []
    cap: list[npt.NDArray[np.float32]] = []
    run: list[npt.NDArray[np.float32]] = []
    zones: list[str] = []
    regions: list[str] = []
    times: list[float] = []
    fractions: list[float] = []
    own_series: list[MarketSeries] = []
    longest = max(horizons.capacity, horizons.runtime).total_seconds()
    shipped: dict[tuple[int, float], MarketSeries] = {}  # a market at a moment is built once for all its kin
    cache: StepCache = {}

    def series(k: _Trace, at: float) -> MarketSeries:
        key = (id(k), at)
        found = shipped.get(key)
        if found is None:
            found = shipped[key] = _series_at(k, at)
        return found

    for n, p in enumerate(prepared):
        gap = p.source.gap_seconds
        last = len(p.available) - 2 - round(longest / gap)
        step = max(1, round(sample_seconds / gap))
        first = int(np.ceil(3600 / gap))  # from an hour in: some windows reach back before the watch began
        ticks = np.arange(first, max(first, last), step, dtype=np.int64)
        if not len(ticks):
            continue
        c, r = _labels(p, ticks, horizons)
        cap.append(c)
        run.append(r)
        kin = groups[(p.source.region, family_of(p.source.instance_type))]
        for i in ticks:
            at = p.tick_time(int(i))
            own = series(p, at)
            family = [series(k, at) for k in kin]
            own_series.append(own)
            windows.append(pool_window([own], family, datetime.fromtimestamp(at, UTC), cache))
            times.append(at)
            fractions.append(float(i) / len(p.available))
        zones += [("sim:" if simulated else "") + p.source.zone] * len(ticks)
        regions += [p.source.region] * len(ticks)
        if progress:
            print(
                f"  examples: {p.source.zone} {p.source.instance_type}: {len(ticks)} ({n + 1}/{len(prepared)})"
            )
    if not windows:
        raise ValueError("the traces are too short for one example (need the history window and a horizon)")
    return Examples(
        windows=np.asarray(windows, dtype=np.float32),
        capacity=np.concatenate(cap),
        runtime=np.concatenate(run),
        zone=zones,
        region=regions,
        time=np.asarray(times, dtype=np.float64),
        fraction=np.asarray(fractions, dtype=np.float64),
        notes=notes,
        series=own_series,
        simulated=np.full(len(times), simulated),
    )


def concatenate(parts: Sequence[Examples]) -> Examples:
    """One set of examples from several (real traces and simulator rollouts)."""
    notes: dict[str, str] = {}
    for part in parts:
        notes.update(part.notes)
    return Examples(
        windows=np.concatenate([p.windows for p in parts]),
        capacity=np.concatenate([p.capacity for p in parts]),
        runtime=np.concatenate([p.runtime for p in parts]),
        zone=[z for p in parts for z in p.zone],
        region=[r for p in parts for r in p.region],
        time=np.concatenate([p.time for p in parts]),
        fraction=np.concatenate([p.fraction for p in parts]),
        notes=notes,
        series=[s for p in parts for s in p.series],
        simulated=np.concatenate(
            [p.simulated if p.simulated is not None else np.zeros(len(p), bool) for p in parts]
        ),
    )
