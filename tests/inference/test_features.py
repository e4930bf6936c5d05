"""Feature spec 2: the window's shape and meaning, the market view, and the shipped model's response to risk."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import numpy as np
import pytest

from spotvortex.contracts import AvailabilityPoint, PoolTelemetry
from spotvortex.contracts.risk_window import STEP, STEPS, pool_window
from spotvortex.inference import Models
from spotvortex.inference.features import (
    FEATURE_NAMES,
    FEATURE_SPEC_VERSION,
    FEATURES,
    N_FEATURES,
    market_view,
    telemetry_window,
    window_tensor,
)
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.sources import fixture_files
from spotvortex.sim.modeling.dataset import build_examples

from .builders import OD, SNAPSHOT, series, telemetry

F = {name: i for i, name in enumerate(FEATURE_NAMES)}
LAST = STEPS - 1


def window(t: PoolTelemetry) -> list[list[float]]:
    found = telemetry_window(t)
    assert found is not None
    return found


def report(age: timedelta, available: bool) -> AvailabilityPoint:
    return AvailabilityPoint(time=SNAPSHOT - age, available=available)


def test_spec_shape() -> None:
    assert FEATURE_SPEC_VERSION == "2"
    assert len(set(FEATURE_NAMES)) == N_FEATURES == len(FEATURES) == 13
    w = window(telemetry())
    assert len(w) == STEPS
    assert all(len(row) == N_FEATURES for row in w)
    tensor = window_tensor([window(telemetry()) for _ in range(5)])
    assert tensor.shape == (5, STEPS, N_FEATURES)
    assert tensor.dtype == np.float32


def test_prices_are_time_weighted_ratios_per_step() -> None:
    """0.3 of on-demand until 15 minutes before the snapshot, then 0.5: the last step averages 0.4."""
    t = telemetry(
        market=[
            series(spot=0.05, od=0.1, history=[(timedelta(hours=8), 0.03), (timedelta(minutes=15), 0.05)])
        ]
    )
    w = window(t)
    assert w[LAST][F["price_ratio"]] == pytest.approx(0.4)
    assert w[LAST][F["price_change"]] == pytest.approx(0.2)
    assert w[0][F["price_ratio"]] == pytest.approx(0.3)
    assert w[0][F["price_change"]] == 0.0


def test_availability_losses_and_recoveries() -> None:
    """Lost 100 minutes ago, back 80 minutes ago: one loss in its step, a third of that step without capacity;
    the recovery is no loss."""
    t = telemetry(
        market=[
            series(
                availability=[
                    report(timedelta(hours=9), True),
                    report(timedelta(minutes=100), False),
                    report(timedelta(minutes=80), True),
                ]
            )
        ]
    )
    w = window(t)
    lost_step = LAST - 3  # the step covering 120 … 90 minutes before the snapshot
    assert w[lost_step][F["capacity_loss"]] == 1.0
    assert w[lost_step][F["unavailable_share"]] == pytest.approx(10 / 30)
    assert w[lost_step + 1][F["unavailable_share"]] == pytest.approx(10 / 30)
    assert w[lost_step + 1][F["capacity_loss"]] == 0.0
    assert sum(row[F["capacity_loss"]] for row in w) == 1.0
    assert w[LAST][F["unavailable_share"]] == 0.0


def test_no_reports_means_the_current_state_all_window() -> None:
    down = window(telemetry(market=[series(spot_available=False)]))
    assert all(row[F["unavailable_share"]] == 1.0 for row in down)
    up = window(telemetry())
    assert all(row[F["unavailable_share"]] == 0.0 for row in up)


def test_events_shares_family_and_observation() -> None:
    t = telemetry(
        zones=["us-east-1a", "us-east-1b"],
        market=[
            series(zone="us-east-1a", interruption_times=[SNAPSHOT - timedelta(minutes=5)], advisor_band=1,
                   observed_since=SNAPSHOT - timedelta(hours=1)),
            series(zone="us-east-1b", rebalance_times=[SNAPSHOT - timedelta(minutes=50)], advisor_band=3),
            series("m5.xlarge", zone="us-east-1c", interruption_times=[SNAPSHOT - timedelta(minutes=10)]),
            series("c5.large", zone="us-east-1c", interruption_times=[SNAPSHOT - timedelta(minutes=10)]),
        ],
    )  # fmt: skip
    w = window(t)
    assert w[LAST][F["interruption"]] == 0.5
    assert w[LAST - 1][F["rebalance"]] == 0.5
    assert w[LAST][F["family_loss"]] == pytest.approx(2 / 3)  # two of three m5 markets; c5 is another family
    assert w[LAST][F["advisor_band"]] == 0.75
    assert w[LAST][F["observed"]] == 1.0
    assert w[LAST - 2][F["observed"]] == 0.5  # one of the two markets was not watched yet
    assert window(telemetry(market=[series(advisor_band=None)]))[0][F["advisor_band"]] == 0.5


def test_calendar_features_are_each_steps_end_in_utc() -> None:
    six_utc = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday
    local = six_utc.astimezone(timezone(timedelta(hours=2)))
    a = window(telemetry(time=six_utc, market=[series(history=[])]))
    b = window(telemetry(time=local, market=[series(history=[])]))
    assert np.allclose(a, b)
    assert a[LAST][F["hour_sin"]] == pytest.approx(1.0)
    assert a[LAST][F["hour_cos"]] == pytest.approx(0.0, abs=1e-12)
    assert a[LAST][F["week_sin"]] == pytest.approx(math.sin(2 * math.pi * 0.25 / 7))
    earlier = six_utc - STEP
    assert a[LAST - 1][F["hour_sin"]] == pytest.approx(math.sin(2 * math.pi * (earlier.hour + 0.5) / 24))


def test_bounds_hold_for_extreme_markets() -> None:
    wild = telemetry(
        market=[
            series(
                spot=OD * 3,
                history=[(timedelta(hours=9), OD * 0.01), (timedelta(minutes=20), OD * 5)],
                spot_available=False,
                interruption_times=[SNAPSHOT - timedelta(minutes=m) for m in range(0, 300, 7)],
                advisor_band=9,
            )
        ]
    )
    for row in window(wild):
        for name, value in zip(FEATURE_NAMES, row, strict=True):
            low = -1.0 if name == "price_change" or name.endswith(("_sin", "_cos")) else 0.0
            assert low <= value <= 1.0, name


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


def scores(models: Models, t: PoolTelemetry) -> tuple[float, float]:
    out = models.risk.assess(window_tensor([window(t)]))  # type: ignore[arg-type]
    return float(out.capacity[0]), float(out.runtime[0])


@pytest.mark.parametrize(
    ("case", "market"),
    [
        ("capacity lost now", series(spot_available=False, availability=[report(timedelta(hours=9), True), report(timedelta(minutes=5), False)])),
        ("interruption notice", series(interruption_times=[SNAPSHOT - timedelta(minutes=5)])),
        ("capacity lost and back in the last hour", series(availability=[report(timedelta(hours=9), True), report(timedelta(minutes=50), False), report(timedelta(minutes=20), True)])),
        ("no spot capacity all window", series(spot_available=False)),
    ],
)  # fmt: skip
def test_capacity_trouble_raises_both_scores(models: Models, case: str, market: object) -> None:
    calm_c, calm_r = scores(models, telemetry())
    worse_c, worse_r = scores(models, telemetry(market=[market]))
    assert worse_c > calm_c, case
    assert worse_r >= calm_r - 0.02, case


def test_scores_span_the_range_so_thresholds_can_fire(models: Models) -> None:
    """The earlier model never left 0.02–0.17 (upstream-spec §2.8); this one must reach both ends."""
    calm_c, _ = scores(models, telemetry())
    down_c, _ = scores(models, telemetry(market=[series(spot_available=False)]))
    assert calm_c < 0.2
    assert down_c > 0.8


def test_the_window_reads_the_snapshot_not_the_processing_time() -> None:
    t = telemetry(market=[series(interruption_times=[SNAPSHOT - timedelta(minutes=40)])])
    again = msgspec.json.decode(msgspec.json.encode(t), type=PoolTelemetry)
    assert window(t) == window(again)
    view = market_view(t)
    assert view is not None
    assert pool_window(view.series, t.market, SNAPSHOT) == window(t)


def test_a_price_spike_never_lowers_a_score(models: Models) -> None:
    """The earlier model lowered its scores on a spike (upstream-spec §2.8); here prices only add risk. Checked
    on every window of the shipped fixture traces (calm and troubled markets alike), with the spot price raised
    by 30 points of on-demand over the last hour."""
    examples = build_examples(load_availability(fixture_files().availability), sample_seconds=1800)
    spiked = examples.windows.copy()
    price, change = FEATURE_NAMES.index("price_ratio"), FEATURE_NAMES.index("price_change")
    spiked[:, -2:, price] = np.minimum(1.0, spiked[:, -2:, price] + 0.3)
    spiked[:, -2, change] = np.minimum(1.0, spiked[:, -2, change] + 0.3)
    before, after = models.risk.assess(examples.windows), models.risk.assess(spiked)
    assert len(examples) > 500
    assert np.all(after.capacity >= before.capacity - 1e-6)
    assert np.all(after.runtime >= before.runtime - 1e-6)
    assert np.mean(after.capacity > before.capacity) > 0.5  # and it does add risk
