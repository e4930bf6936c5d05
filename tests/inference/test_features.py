"""Feature spec 1: shape, normalisation, the market view, and the shipped model's monotone response."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import numpy as np
import pytest

from spotvortex.contracts import PoolTelemetry
from spotvortex.inference import Models
from spotvortex.inference.features import (
    FEATURE_NAMES,
    FEATURE_SPEC_VERSION,
    FEATURES,
    N_FEATURES,
    feature_matrix,
    feature_vector,
    market_view,
    telemetry_features,
)

from .builders import OD, SNAPSHOT, series, telemetry

F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def features(t: PoolTelemetry) -> list[float]:
    found = telemetry_features(t)
    assert found is not None
    return found


def test_spec_shape() -> None:
    assert FEATURE_SPEC_VERSION == "1"
    assert len(set(FEATURE_NAMES)) == N_FEATURES == len(FEATURES) == 13
    assert len(features(telemetry())) == N_FEATURES
    matrix = feature_matrix([features(telemetry()) for _ in range(5)])
    assert matrix.shape == (5, N_FEATURES)
    assert matrix.dtype == np.float32


def test_normalisation_bounds_hold_for_extreme_markets() -> None:
    wild = telemetry(
        market=[
            series(
                spot=OD * 3,
                history=[(timedelta(hours=2), OD * 0.01), (timedelta(minutes=20), OD * 5)],
                spot_available=False,
                interruptions_1h=40,
                rebalances_1h=9,
                capacity_losses_1h=3,
                advisor_band=9,
            )
        ]
    )
    values = features(wild)
    for name, value in zip(FEATURE_NAMES, values, strict=True):
        low = -1.0 if name == "price_change_1h" or name.endswith(("_sin", "_cos")) else 0.0
        assert low <= value <= 1.0, name


def test_window_statistics_are_time_weighted() -> None:
    """A price at 0.3 of on-demand for the first half hour and 0.5 for the second: change 0.2, std 0.1."""
    t = telemetry(
        market=[
            series(spot=0.05, od=0.1, history=[(timedelta(hours=2), 0.03), (timedelta(minutes=30), 0.05)])
        ]
    )
    v = features(t)
    assert v[F["spot_price_ratio"]] == pytest.approx(0.5)
    assert v[F["price_change_1h"]] == pytest.approx(0.2)
    assert v[F["price_volatility_1h"]] == pytest.approx(2 * 0.1)
    assert v[F["price_peak_ratio_1h"]] == pytest.approx(0.5)


def test_a_short_history_extends_backwards_and_an_empty_one_means_flat() -> None:
    recent = features(telemetry(market=[series(spot=0.05, od=0.1, history=[(timedelta(minutes=30), 0.05)])]))
    flat = features(telemetry(market=[series(spot=0.05, od=0.1, history=[])]))
    assert recent[F["price_change_1h"]] == flat[F["price_change_1h"]] == 0.0
    assert recent[F["price_volatility_1h"]] == flat[F["price_volatility_1h"]] == 0.0


def test_shares_and_band_across_the_pools_markets() -> None:
    t = telemetry(
        zones=["us-east-1a", "us-east-1b"],
        market=[
            series(zone="us-east-1a", interruptions_1h=2, advisor_band=1),
            series(zone="us-east-1b", spot_available=False, advisor_band=3),
            series(zone="us-east-1c", rebalances_1h=1),  # not one of the pool's zones
        ],
    )
    v = features(t)
    assert v[F["interrupted_share_1h"]] == 0.5
    assert v[F["spot_unavailable_share"]] == 0.5
    assert v[F["rebalance_share_1h"]] == 0.0
    assert v[F["advisor_band"]] == 0.75
    unknown = features(telemetry(market=[series(advisor_band=None)]))
    assert unknown[F["advisor_band"]] == 0.5


def test_calendar_features_use_the_snapshot_time_in_utc() -> None:
    six_utc = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday
    local = six_utc.astimezone(timezone(timedelta(hours=2)))
    a = features(telemetry(time=six_utc, market=[series(history=[])]))
    b = features(telemetry(time=local, market=[series(history=[])]))
    assert a == pytest.approx(b)
    assert a[F["hour_sin"]] == pytest.approx(1.0)
    assert a[F["hour_cos"]] == pytest.approx(0.0, abs=1e-12)
    assert a[F["week_sin"]] == pytest.approx(math.sin(2 * math.pi * 0.25 / 7))


def test_market_view_prefers_the_dominant_type_in_the_pools_zones() -> None:
    t = telemetry(
        instance_types=["c5.large", "m5.large"],
        dominant_instance_type="m5.large",
        market=[
            series("c5.large", od=0.085, spot=0.03),
            series("m5.large", spot=0.04),
            series("m5.large", zone="us-east-1b"),
        ],
    )
    view = market_view(t)
    assert view is not None
    assert view.instance_type == "m5.large"
    assert [s.zone for s in view.series] == ["us-east-1a"]
    assert view.dominant_match
    assert view.zone_share == 1.0
    fallback = market_view(msgspec.structs.replace(t, dominant_instance_type="r5.large"))
    assert fallback is not None
    assert fallback.instance_type == "c5.large"
    assert not fallback.dominant_match
    assert market_view(telemetry(market=[])) is None
    assert market_view(telemetry(market=[series(spot=0.0)])) is None


def capacity(models: Models, t: PoolTelemetry) -> float:
    row = feature_matrix([features(t)])
    return float(models.risk.raw_scores(row)[0][0])


def runtime(models: Models, t: PoolTelemetry) -> float:
    return float(models.risk.raw_scores(feature_matrix([features(t)]))[1][0])


@pytest.mark.parametrize(
    ("case", "market"),
    [
        ("spot price spike", series(spot=OD * 0.95, history=[(timedelta(hours=3), 0.035), (timedelta(minutes=5), OD * 0.95)])),
        ("spike that came back", series(history=[(timedelta(hours=3), 0.035), (timedelta(minutes=40), OD), (timedelta(minutes=10), 0.035)])),
        ("recent interruption", series(interruptions_1h=1)),
        ("recent capacity loss", series(capacity_losses_1h=2)),
        ("rebalance recommendation", series(rebalances_1h=1)),
        ("no spot capacity", series(spot_available=False)),
        ("worse advisor band", series(advisor_band=4)),
    ],
)  # fmt: skip
def test_risk_signals_never_lower_the_scores(models: Models, case: str, market: object) -> None:
    calm = telemetry()
    worse = telemetry(market=[market])
    assert capacity(models, worse) >= capacity(models, calm), case
    assert runtime(models, worse) >= runtime(models, calm), case


def test_a_pool_without_spot_capacity_scores_as_an_emergency(models: Models) -> None:
    assert capacity(models, telemetry(market=[series(spot_available=False)])) > 0.95
    assert capacity(models, telemetry()) < 0.189  # calm: low enough for the strict out-of-distribution growth


def test_time_of_snapshot_not_time_of_processing() -> None:
    """Features read only the snapshot: the same snapshot always gives the same vector."""
    t = telemetry()
    assert features(t) == features(msgspec.json.decode(msgspec.json.encode(t), type=PoolTelemetry))
    assert feature_vector(market_view(t), SNAPSHOT) == features(t)  # type: ignore[arg-type]
