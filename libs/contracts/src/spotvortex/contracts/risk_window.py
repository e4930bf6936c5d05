"""Feature spec 2: the risk model's input window, one implementation for the collector, inference and training.

A pool's window is ``STEPS`` consecutive steps of ``STEP`` ending at the snapshot's own time (never the moment
it is processed, so a redelivered snapshot gives the same window). Each step is one row of ``WINDOW_FEATURES``:
what the pool's markets did in that half hour, what its family did across zones, and when it was. The collector
keeps ``HISTORY`` of every market so the window can be filled; training builds the same ``MarketSeries`` from
recorded traces and calls the same function, so serving and training cannot drift apart.

Conventions, each a fix of the earlier feature builder (upstream-spec §2.7, §11 item 22):

- prices are step functions in time: a price holds until the next change, and step statistics are
  time-weighted, so the number of price changes reported never changes a feature;
- prices enter as ratios to the on-demand price, never as raw USD;
- availability is a step function of capacity reports; before the first report a market is taken as
  available (spot usually is), and ``observed`` tells the model how much of a step the sender actually watched;
- a capacity loss is a report of no capacity that follows capacity (a recovery is not a loss).

Pure Python on purpose: the contracts package carries no numerical dependency, and a pool's window costs a few
tens of microseconds per market.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spotvortex.contracts.telemetry import MarketSeries

SPEC_VERSION = "2"
STEP = timedelta(minutes=30)
STEPS = 12
HISTORY = STEP * STEPS
UNKNOWN_ADVISOR_BAND = 2  # the 10-15 % band, as the simulator assumes for a type without a band
MAX_ADVISOR_BAND = 4


@dataclass(frozen=True)
class WindowFeature:
    name: str
    definition: str
    raises_risk: bool  # more of it should never mean less risk (checked by the model report)


WINDOW_FEATURES: tuple[WindowFeature, ...] = (
    WindowFeature(
        "price_ratio", "time-weighted mean spot / on-demand price over the step, clip [0, 1]", True
    ),
    WindowFeature("price_change", "price ratio at the step's end − at its start, clip [−1, 1]", True),
    WindowFeature("unavailable_share", "time-weighted share of the step without spot capacity", True),
    WindowFeature("capacity_loss", "share of the pool's markets that lost spot capacity in the step", True),
    WindowFeature(
        "interruption", "share of the pool's markets with an interruption notice in the step", True
    ),
    WindowFeature(
        "rebalance", "share of the pool's markets with a rebalance recommendation in the step", True
    ),
    WindowFeature(
        "family_loss",
        "share of the family's markets (every size and zone the snapshot carries) that lost capacity or had "
        "an interruption in the step",
        True,
    ),
    WindowFeature("observed", "share of the step the sender was watching the pool's markets", False),
    WindowFeature(
        "advisor_band", "worst Spot Advisor band of the pool's markets / 4 (unknown = band 2)", True
    ),
    WindowFeature("hour_sin", "sin(2π·h/24), h = UTC hour of the step's end", False),
    WindowFeature("hour_cos", "cos(2π·h/24)", False),
    WindowFeature("week_sin", "sin(2π·d/7), d = days since Monday 00:00 UTC at the step's end", False),
    WindowFeature("week_cos", "cos(2π·d/7)", False),
)
WINDOW_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in WINDOW_FEATURES)
N_WINDOW_FEATURES = len(WINDOW_FEATURES)
N_MARKET_FEATURES = 8  # the first eight are per market, averaged over the pool's markets (family_loss aside)
PRICE_RATIO, PRICE_CHANGE, UNAVAILABLE, LOSS, INTERRUPTION, REBALANCE, FAMILY_LOSS, OBSERVED = range(8)

MarketSteps = list[list[float]]  # [STEPS][8]: per step, the per-market features (family_loss slot unused)
StepCache = dict[tuple[int, float], MarketSteps]


def family_of(instance_type: str) -> str:
    return instance_type.split(".", 1)[0].lower()


def _bounds(at: datetime) -> list[float]:
    end = at.timestamp()
    step = STEP.total_seconds()
    return [end - (STEPS - k) * step for k in range(STEPS + 1)]


def _step_means(
    times: Sequence[float], values: Sequence[float], before: float, bounds: Sequence[float]
) -> tuple[list[float], list[float], list[float]]:
    """Per step ``[bounds[k], bounds[k+1])``: the time-weighted mean of the step function, its value at the
    step's start and at its end, in one sweep (``before`` holds until the first time)."""
    n = len(times)
    j = 0
    value = before
    means: list[float] = []
    openings: list[float] = []
    closings: list[float] = []
    for k in range(STEPS):
        start, end = bounds[k], bounds[k + 1]
        while j < n and times[j] <= start:
            value = values[j]
            j += 1
        openings.append(value)
        total = 0.0
        cursor = start
        while j < n and times[j] < end:
            total += value * (times[j] - cursor)
            cursor, value = times[j], values[j]
            j += 1
        total += value * (end - cursor)
        means.append(total / (end - start))
        closings.append(value)
    return means, openings, closings


def _flags(times: Sequence[float], bounds: Sequence[float]) -> list[float]:
    """Per step, 1.0 when some time lies in ``(bounds[k], bounds[k+1]]``."""
    flags = [0.0] * STEPS
    for t in times:
        k = bisect.bisect_left(bounds, t) - 1
        if 0 <= k < STEPS:
            flags[k] = 1.0
    return flags


def market_steps(series: MarketSeries, at: datetime) -> MarketSteps:
    """The per-market features of every step of the window ending at ``at``."""
    bounds = _bounds(at)
    od = series.on_demand_price if series.on_demand_price > 0 else 1.0
    points = sorted((p.time.timestamp(), p.spot_price / od) for p in series.prices if p.time <= at)
    now = at.timestamp()
    if not points or points[-1][0] < now:
        points.append((now, series.spot_price / od))
    prices, openings, closings = _step_means(
        [t for t, _ in points], [v for _, v in points], points[0][1], bounds
    )
    reports = [(p.time.timestamp(), p.available) for p in series.availability if p.time <= at]
    if not reports:
        reports = [(bounds[0], series.spot_available)]
    unavailable, _, _ = _step_means(
        [t for t, _ in reports], [0.0 if ok else 1.0 for _, ok in reports], 0.0, bounds
    )
    losses: list[float] = []
    previous = True
    for when, ok in reports:
        if previous and not ok:
            losses.append(when)
        previous = ok
    lost = _flags(losses, bounds)
    interrupted = _flags([t.timestamp() for t in series.interruption_times], bounds)
    rebalanced = _flags([t.timestamp() for t in series.rebalance_times], bounds)
    since = series.observed_since.timestamp() if series.observed_since is not None else -math.inf
    rows: MarketSteps = []
    for k in range(STEPS):
        start, end = bounds[k], bounds[k + 1]
        rows.append(
            [
                min(1.0, max(0.0, prices[k])),
                min(1.0, max(-1.0, closings[k] - openings[k])),
                unavailable[k],
                lost[k],
                interrupted[k],
                rebalanced[k],
                0.0,
                min(1.0, max(0.0, (end - max(start, since)) / (end - start))),
            ]
        )
    return rows


def _cached(series: MarketSeries, at: datetime, cache: StepCache | None) -> MarketSteps:
    if cache is None:
        return market_steps(series, at)
    key = (id(series), at.timestamp())
    found = cache.get(key)
    if found is None:
        found = cache[key] = market_steps(series, at)
    return found


def _calendar(at: datetime) -> list[list[float]]:
    """Hour of day and time of week (UTC, Monday 00:00 = 0) of every step's end, on the circle."""
    end = at.astimezone(UTC)
    midnight = end.replace(hour=0, minute=0, second=0, microsecond=0)
    day_seconds = (end - midnight).total_seconds()
    rows = []
    step = STEP.total_seconds()
    for k in range(STEPS):
        back = (STEPS - 1 - k) * step
        days_back, seconds = divmod(day_seconds - back, 86400.0)
        hour = seconds / 3600
        week = (end.weekday() + days_back) % 7 + hour / 24
        rows.append(
            [
                math.sin(2 * math.pi * hour / 24),
                math.cos(2 * math.pi * hour / 24),
                math.sin(2 * math.pi * week / 7),
                math.cos(2 * math.pi * week / 7),
            ]
        )
    return rows


def pool_window(
    series: Sequence[MarketSeries],
    family: Sequence[MarketSeries],
    at: datetime,
    cache: StepCache | None = None,
) -> list[list[float]]:
    """The ``[STEPS][N_WINDOW_FEATURES]`` window of a pool decided on ``series`` (its chosen markets).

    ``family`` is every series of the same family the snapshot carries (it may include ``series``). ``cache``
    (keyed by series identity and time) lets a batch of pools sharing markets compute each market once; keep it
    no longer than the series objects live.
    """
    if not series:
        raise ValueError("a pool window needs at least one market series")
    own = [_cached(s, at, cache) for s in series]
    kin = [_cached(s, at, cache) for s in family] or own
    bands = [s.advisor_band for s in series if s.advisor_band is not None]
    band = min(MAX_ADVISOR_BAND, max(0, max(bands) if bands else UNKNOWN_ADVISOR_BAND)) / MAX_ADVISOR_BAND
    n, m = len(own), len(kin)
    calendar = _calendar(at)
    window: list[list[float]] = []
    for k in range(STEPS):
        if n == 1:
            row = own[0][k][:]
        else:
            row = [sum(column) / n for column in zip(*(steps[k] for steps in own), strict=True)]
        row[FAMILY_LOSS] = sum(1.0 for steps in kin if steps[k][LOSS] or steps[k][INTERRUPTION]) / m
        row.append(band)
        row += calendar[k]
        window.append(row)
    return window


def family_series(market: Sequence[MarketSeries], instance_type: str) -> list[MarketSeries]:
    """The snapshot's series of ``instance_type``'s family, every size and zone."""
    family = family_of(instance_type)
    return [s for s in market if family_of(s.instance_type) == family]
