"""The risk model's input: one versioned feature vector per pool snapshot, computed one way for serving and training.

Every feature is a property of the pool's *market* over the last hour before the snapshot's own time
(``PoolTelemetry.time``), never of the moment the snapshot is processed, so a redelivered snapshot gives the same
vector. Workload and safety inputs are not model features: the policy's cap rules handle them.

Fixes to the earlier feature builder (upstream-spec §11 item 22):

- prices are *price-change events* (a price holds until the next change), so window statistics are taken over
  the step function in time (time-weighted), never over a count of points; the number of changes reported
  does not change a feature;
- prices enter as ratios to the on-demand price, never as raw USD, so a feature means the same for a
  ``t3.micro`` and an ``m5.24xlarge``;
- hour and day are those of the snapshot, encoded on the circle (23:59 is next to 00:00).

The window is one hour whatever the snapshot's ``window_seconds``, matching the collector's ``*_1h`` counters;
prices older than the window only tell the price in force at its start.

Spec version ``1`` (``FEATURES`` lists name, definition and normalisation, in input order). Market series used:
those of the pool's dominant instance type (else its first listed type with market data, else any), restricted
to the pool's zones when they are known. Per-market values are averaged, except ``price_peak_ratio_1h`` (the
maximum), the ``*_share`` features (the share of markets showing the event) and ``advisor_band`` (the worst).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from spotvortex.contracts.telemetry import MarketSeries, PoolTelemetry

FEATURE_SPEC_VERSION = "1"
WINDOW = timedelta(hours=1)
UNKNOWN_ADVISOR_BAND = 2  # the 10-15 % band, as the simulator assumes for a type without a band
MAX_ADVISOR_BAND = 4


@dataclass(frozen=True)
class FeatureDef:
    name: str
    definition: str
    normalisation: str
    raises_risk: bool  # a higher value may never lower a score (the model's coefficient is constrained ≥ 0)


FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef("spot_price_ratio", "current spot price / on-demand price", "clip [0, 1]", True),
    FeatureDef("price_change_1h", "price ratio now − price ratio one hour earlier", "clip [−1, 1]", True),
    FeatureDef(
        "price_volatility_1h",
        "time-weighted std of the price ratio over the last hour",
        "×2, clip [0, 1]",
        True,
    ),
    FeatureDef("price_peak_ratio_1h", "highest price ratio in the last hour", "clip [0, 1]", True),
    FeatureDef("spot_unavailable_share", "share of markets reporting no spot capacity now", "[0, 1]", True),
    FeatureDef(
        "interrupted_share_1h",
        "share of markets with an interruption notice in the last hour",
        "[0, 1]",
        True,
    ),
    FeatureDef(
        "rebalance_share_1h",
        "share of markets with a rebalance recommendation in the last hour",
        "[0, 1]",
        True,
    ),
    FeatureDef(
        "capacity_loss_share_1h",
        "share of markets with a capacity-loss signal in the last hour",
        "[0, 1]",
        True,
    ),
    FeatureDef("advisor_band", "worst Spot Advisor interruption band (unknown = band 2)", "band / 4", True),
    FeatureDef("hour_sin", "hour of day of the snapshot (UTC)", "sin(2π·h/24)", False),
    FeatureDef("hour_cos", "hour of day of the snapshot (UTC)", "cos(2π·h/24)", False),
    FeatureDef("week_sin", "time of week of the snapshot (UTC, Monday 00:00 = 0)", "sin(2π·d/7)", False),
    FeatureDef("week_cos", "time of week of the snapshot (UTC, Monday 00:00 = 0)", "cos(2π·d/7)", False),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
N_FEATURES = len(FEATURES)

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


def _share(series: Sequence[MarketSeries], flag: Callable[[MarketSeries], bool]) -> float:
    return sum(1 for s in series if flag(s)) / len(series)


def feature_vector(view: MarketView, at: datetime) -> list[float]:
    """The spec-``1`` features (in ``FEATURE_NAMES`` order) of ``view`` as seen at ``at`` (the snapshot time)."""
    stats = [_window_stats(s, at) for s in view.series]
    n = len(stats)
    bands = [s.advisor_band for s in view.series if s.advisor_band is not None]
    band = max(bands) if bands else UNKNOWN_ADVISOR_BAND
    moment = at.astimezone(UTC)
    hour = moment.hour + moment.minute / 60 + moment.second / 3600
    week = moment.weekday() + hour / 24
    return [
        _clip(sum(s.ratio_now for s in stats) / n, 0.0, 1.0),
        _clip(sum(s.ratio_now - s.ratio_start for s in stats) / n, -1.0, 1.0),
        _clip(2 * sum(s.std for s in stats) / n, 0.0, 1.0),
        _clip(max(s.peak for s in stats), 0.0, 1.0),
        _share(view.series, lambda s: not s.spot_available),
        _share(view.series, lambda s: s.interruptions_1h > 0),
        _share(view.series, lambda s: s.rebalances_1h > 0),
        _share(view.series, lambda s: s.capacity_losses_1h > 0),
        _clip(band, 0, MAX_ADVISOR_BAND) / MAX_ADVISOR_BAND,
        math.sin(2 * math.pi * hour / 24),
        math.cos(2 * math.pi * hour / 24),
        math.sin(2 * math.pi * week / 7),
        math.cos(2 * math.pi * week / 7),
    ]


def feature_matrix(rows: Sequence[Sequence[float]]) -> FloatMatrix:
    """Stack feature vectors into the model's ``[batch, N_FEATURES]`` float32 input."""
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), N_FEATURES)
    return matrix


def telemetry_features(telemetry: PoolTelemetry) -> list[float] | None:
    """Convenience for training and tests: the features of a snapshot, or ``None`` without market data."""
    view = market_view(telemetry)
    return None if view is None else feature_vector(view, telemetry.time)
