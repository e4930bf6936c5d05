"""The pool's market as the models see it: which series a decision rests on, and the inputs built from them.

- The risk model's input is feature spec 2 (``spotvortex.contracts.risk_window``, shared with the collector
  and training): a window of ``STEPS`` half-hour steps per pool. This module picks the series and the family.
- The rl state and the earlier bundle read a short price summary (``market_summary``): the spot/on-demand ratio
  now and its time-weighted volatility over the last hour. Prices are price-change events (a price holds until
  the next change), so the statistics are taken over the step function in time, never over a count of points
  (upstream-spec §11 item 22).

Series used: those of the pool's dominant instance type (else its first listed type with market data, else any),
restricted to the pool's zones when they are known; the family is every series of that type's family the
snapshot carries. Every input is a property of the market before the snapshot's own time
(``PoolTelemetry.time``), never of the moment the snapshot is processed, so a redelivered snapshot gives the same
input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.risk_window import (
    N_WINDOW_FEATURES,
    SPEC_VERSION,
    STEPS,
    WINDOW_FEATURE_NAMES,
    WINDOW_FEATURES,
    StepCache,
    WindowFeature,
    family_series,
    pool_window,
)
from spotvortex.contracts.telemetry import MarketSeries, PoolTelemetry

FEATURE_SPEC_VERSION = SPEC_VERSION
FEATURE_NAMES: tuple[str, ...] = WINDOW_FEATURE_NAMES
FEATURES: tuple[WindowFeature, ...] = WINDOW_FEATURES
N_FEATURES = N_WINDOW_FEATURES
WINDOW = timedelta(hours=1)  # the span of the rl state's price summary and of the data-quality check

FloatMatrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class MarketView:
    """The market series a pool's decision rests on, and how well they describe the pool."""

    instance_type: str
    series: tuple[MarketSeries, ...]
    on_demand_price: float  # mean over the series, USD/h
    spot_price: float  # mean over the series, USD/h
    dominant_match: bool  # the series are the dominant type's own
    zone_share: float  # share of the pool's zones that have a series (1 when the pool lists none)
    history_share: float  # share of series whose price history reaches back to the window start

    @property
    def savings_ratio(self) -> float:
        return max(0.0, self.on_demand_price - self.spot_price) / self.on_demand_price


def _usable(series: MarketSeries) -> bool:
    return series.on_demand_price > 0 and series.spot_price > 0


def market_view(telemetry: PoolTelemetry, in_scope: Callable[[str], bool] | None = None) -> MarketView | None:
    """The series to decide on, or ``None`` when the snapshot carries no usable market data.

    ``in_scope`` filters instance types (the model's family scope), so a pool that mixes supported and
    unsupported types is judged on its supported markets only.
    """
    usable = [s for s in telemetry.market if _usable(s) and (in_scope is None or in_scope(s.instance_type))]
    if not usable:
        return None
    order = [telemetry.dominant_instance_type, *telemetry.instance_types, *(s.instance_type for s in usable)]
    chosen = next(t for t in order if t is not None and any(s.instance_type == t for s in usable))
    series = [s for s in usable if s.instance_type == chosen]
    zone_share = 1.0
    if telemetry.zones:
        in_zone = [s for s in series if s.zone in telemetry.zones]
        series = in_zone or series
        zone_share = len({s.zone for s in in_zone}) / len(set(telemetry.zones))
    expected = telemetry.dominant_instance_type or (
        telemetry.instance_types[0] if telemetry.instance_types else None
    )
    start = telemetry.time - WINDOW
    return MarketView(
        instance_type=chosen,
        series=tuple(series),
        on_demand_price=sum(s.on_demand_price for s in series) / len(series),
        spot_price=sum(s.spot_price for s in series) / len(series),
        dominant_match=expected is None or expected == chosen,
        zone_share=zone_share,
        history_share=sum(1 for s in series if any(p.time <= start for p in s.prices)) / len(series),
    )


@dataclass(frozen=True)
class _WindowStats:
    ratio_now: float
    ratio_start: float
    mean: float
    std: float
    peak: float


def _window_stats(series: MarketSeries, at: datetime) -> _WindowStats:
    """Statistics of the spot/on-demand ratio over ``[at − WINDOW, at]`` as a step function of time.

    The reported current spot price is the price in force at ``at``; a history that starts inside the window is
    extended backwards with its first price (the best knowledge there is), and an empty history means the price
    held all hour.
    """
    od = series.on_demand_price
    start = at - WINDOW
    points = sorted((p.time, p.spot_price) for p in series.prices if p.time < at)
    points.append((at, series.spot_price))
    before = [price for when, price in points if when <= start]
    opening = before[-1] if before else points[0][1]
    steps = [(start, opening)] + [(when, price) for when, price in points if when > start]
    total = WINDOW.total_seconds()
    mean = 0.0
    square = 0.0
    for (when, price), (nxt, _) in zip(steps, [*steps[1:], (at, 0.0)], strict=True):
        weight = (nxt - when).total_seconds() / total
        mean += weight * price / od
        square += weight * (price / od) ** 2
    return _WindowStats(
        ratio_now=series.spot_price / od,
        ratio_start=opening / od,
        mean=mean,
        std=math.sqrt(max(0.0, square - mean * mean)),
        peak=max(price for _, price in steps) / od,
    )


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass(frozen=True)
class MarketSummary:
    """The price facts the rl state and the earlier bundle read: the spot/on-demand ratio now and its
    time-weighted standard deviation over the last hour, averaged over the view's markets."""

    spot_price_ratio: float
    price_volatility_1h: float


def market_summary(view: MarketView, at: datetime) -> MarketSummary:
    stats = [_window_stats(s, at) for s in view.series]
    n = len(stats)
    return MarketSummary(
        spot_price_ratio=_clip(sum(s.ratio_now for s in stats) / n, 0.0, 1.0),
        price_volatility_1h=_clip(2 * sum(s.std for s in stats) / n, 0.0, 1.0),
    )


def window_rows(
    view: MarketView, telemetry: PoolTelemetry, cache: StepCache | None = None
) -> list[list[float]]:
    """Feature spec 2's window of the pool (``[STEPS][N_FEATURES]``): its chosen markets, with every series of
    the chosen type's family in the snapshot as the family."""
    family = family_series(telemetry.market, view.instance_type)
    return pool_window(view.series, family, telemetry.time, cache)


def window_tensor(windows: Sequence[Sequence[Sequence[float]]]) -> FloatMatrix:
    """Stack windows into the model's ``[batch, STEPS, N_FEATURES]`` float32 input."""
    return np.asarray(windows, dtype=np.float32).reshape(len(windows), STEPS, N_FEATURES)


def telemetry_window(telemetry: PoolTelemetry) -> list[list[float]] | None:
    """Convenience for training and tests: the window of a snapshot, or ``None`` without market data."""
    view = market_view(telemetry)
    return None if view is None else window_rows(view, telemetry)
