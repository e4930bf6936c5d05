"""The capacity process: deterministic per seed, calibrated to its inputs, correlated within a zone."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from spotvortex.sim.market.advisor import load_advisor
from spotvortex.sim.market.availability import AvailabilityTrace
from spotvortex.sim.market.capacity import HazardParameters, band_rate, from_hazard, from_traces
from spotvortex.sim.market.sources import fixture_files

START = datetime(2021, 3, 1, tzinfo=UTC)
POOLS = [(t, z) for t in ("m5.large", "m5.xlarge", "c5.large") for z in ("us-east-1a", "us-east-1b")]


def test_same_seed_same_timeline_other_seed_differs() -> None:
    end = START + timedelta(days=365)
    a = from_hazard(POOLS, START, end, seed=3)
    b = from_hazard(POOLS, START, end, seed=3)
    c = from_hazard(POOLS, START, end, seed=4)
    assert a.outages == b.outages
    assert a.rebalances == b.rebalances
    assert a.outages != c.outages


def test_episode_rate_follows_the_advisor_band() -> None:
    advisor = load_advisor(fixture_files().advisor)
    params = HazardParameters(zone_share=0.0)
    years = 50
    end = START + timedelta(days=365 * years)
    timeline = from_hazard([("r5.large", "us-east-1a")], START, end, seed=1, advisor=advisor, params=params)
    expected_rate = band_rate(advisor, "us-east-1", "r5.large", params)  # band 15-20 %
    assert math.isclose(expected_rate, -math.log(1 - 0.19) / 720, rel_tol=1e-9)
    observed = len(timeline.outages[("r5.large", "us-east-1a")]) / (years * 8760)
    assert math.isclose(observed, expected_rate, rel_tol=0.15)
    share = timeline.unavailable_share("r5.large", "us-east-1a")
    assert math.isclose(share, expected_rate * params.mean_outage_minutes / 60, rel_tol=0.25)


def test_zone_shocks_hit_a_family_together_and_stop_at_the_zone() -> None:
    params = HazardParameters(zone_share=1.0)  # only zone-wide shocks
    timeline = from_hazard(POOLS, START, START + timedelta(days=3650), seed=9, params=params)
    m5a = [o.start for o in timeline.outages[("m5.large", "us-east-1a")]]
    assert m5a
    assert m5a == [o.start for o in timeline.outages[("m5.xlarge", "us-east-1a")]]
    assert m5a != [o.start for o in timeline.outages[("c5.large", "us-east-1a")]]
    assert m5a != [o.start for o in timeline.outages[("m5.large", "us-east-1b")]]
    assert all(o.cause == "zone-shock" for o in timeline.outages[("m5.large", "us-east-1a")])


def test_availability_queries_match_episodes_and_rebalances_lead_losses() -> None:
    timeline = from_hazard(POOLS, START, START + timedelta(days=3650), seed=5)
    pool = max(POOLS, key=lambda p: len(timeline.outages[p]))
    outage = timeline.outages[pool][0]
    assert timeline.available(*pool, outage.start - timedelta(seconds=1))
    assert not timeline.available(*pool, outage.start)
    assert timeline.available(*pool, outage.end)
    leading = [r for r in timeline.rebalances if r.precedes_outage]
    spurious = [r for r in timeline.rebalances if not r.precedes_outage]
    assert leading
    assert spurious
    for r in leading:  # each one comes 5 to 30 minutes before a loss of its pool
        gaps = [o.start - r.time for o in timeline.outages[(r.instance_type, r.zone)]]
        assert any(timedelta(minutes=5) <= g <= timedelta(minutes=30) for g in gaps)
    for r in spurious:
        assert timeline.available(r.instance_type, r.zone, r.time)


def test_traces_drive_outages_per_zone() -> None:
    trace = AvailabilityTrace("t", "us-east-1", "x", "p3.2xlarge", START, 60.0, (1,) * 50 + (0,) * 10)
    end = START + timedelta(hours=10)
    timeline = from_traces(POOLS, [trace], START, end, seed=2)
    for pool in POOLS:
        share = timeline.unavailable_share(*pool)
        assert math.isclose(share, 10 / 60, rel_tol=0.05), (pool, share)
    # pools of one zone see the same trace at the same phase
    assert [o.start for o in timeline.outages[("m5.large", "us-east-1a")]] == [
        o.start for o in timeline.outages[("c5.large", "us-east-1a")]
    ]
