"""The cost ledger: compute cost as the integral of the price in force, outages below the floor."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from spotvortex.sim.market.sources import fixture_files
from spotvortex.sim.world import labels as L
from tests.sim.world.support import (
    ZONE_A,
    journal,
    launch,
    machine,
    make_cluster,
    node_names,
    scenario,
    set_capacity,
    web_pool,
    when,
)


def fixture_series(instance_type: str, zone: str) -> list[tuple[datetime, float]]:
    """The price changes of one pool, read straight from the fixture CSV (not through the simulator)."""
    rows = []
    with Path(fixture_files().spot_prices).open() as f:
        for row in csv.DictReader(f):
            if (row["instance_type"], row["az"]) == (instance_type, zone):
                stamp = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
                rows.append((stamp, float(row["spot_price_usd_per_hour"])))
    return sorted(rows)


def integral(series: list[tuple[datetime, float]], start: datetime, end: datetime) -> float:
    """USD for [start, end) of a step function that holds each price until the next change."""
    total = 0.0
    for i, (t, price) in enumerate(series):
        nxt = series[i + 1][0] if i + 1 < len(series) else end
        lo, hi = max(t, start), min(nxt, end)
        if hi > lo:
            total += price * (hi - lo).total_seconds() / 3600
    return total


def on_demand_price(instance_type: str) -> float:
    with Path(fixture_files().on_demand).open() as f:
        return next(
            float(r["ondemand_usd_per_hour"])
            for r in csv.DictReader(f)
            if r["instance_type"] == instance_type
        )


def test_spot_node_cost_is_the_integral_of_the_fixture_price_series() -> None:
    workload = {"name": "app", "pool": "web", "replicas": 1, "cpu": "500m", "memory": "256Mi"}
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[workload]))
    t0 = sim.world.now
    series = fixture_series("m5.large", ZONE_A)
    window = timedelta(days=2)
    changes = [t for t, _ in series if t0 < t < t0 + window]
    assert len(changes) >= 2, "the window should cross several price changes"

    sim.run_for(window)
    costs = sim.ledger.costs()

    expected = integral(series, t0, t0 + window)
    assert costs.spot_cost == pytest.approx(expected, rel=1e-9)
    assert costs.compute_cost == pytest.approx(expected, rel=1e-9)
    assert costs.on_demand_cost == 0.0
    assert costs.spot_hours == pytest.approx(48.0)
    assert costs.spot_residency == 1.0
    # A price-weighted mean, not the price at either end.
    assert min(p for _, p in series) * 48 <= expected <= max(p for _, p in series) * 48


def test_cost_of_a_part_window_and_of_on_demand() -> None:
    sim = make_cluster(scenario(pools=[web_pool()]), consolidation=False)
    t0 = sim.world.now
    sim.run_for(timedelta(hours=3))
    spot = launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT).machine
    od = launch(sim, "web-od", "m5.large", ZONE_A, L.ON_DEMAND).machine
    sim.run_for(timedelta(hours=10))
    sim.fleet.terminate(spot, "test")
    stop = sim.world.now
    sim.run_for(timedelta(hours=5))

    costs = sim.ledger.costs()
    start = t0 + timedelta(hours=3)
    assert costs.spot_cost == pytest.approx(
        integral(fixture_series("m5.large", ZONE_A), start, stop), rel=1e-9
    )
    assert costs.on_demand_cost == pytest.approx(on_demand_price("m5.large") * 15, rel=1e-9)
    assert costs.spot_hours == pytest.approx(10.0)
    assert costs.on_demand_hours == pytest.approx(15.0)
    assert od.terminated is None
    # Costs up to a given instant ignore what comes after it.
    early = sim.ledger.costs(until=start + timedelta(hours=1))
    assert early.on_demand_cost == pytest.approx(on_demand_price("m5.large"), rel=1e-9)


def test_the_warm_start_is_not_billed() -> None:
    workload = {"name": "app", "pool": "web", "replicas": 1, "cpu": "500m", "memory": "256Mi"}
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[workload]))
    assert sim.ledger.costs().compute_cost == 0.0


def test_an_outage_below_the_floor_is_counted_once_with_its_minutes_and_penalty() -> None:
    workload = {
        "name": "app",
        "pool": "web",
        "replicas": 2,
        "cpu": "500m",
        "memory": "256Mi",
        "startup": "30s",
        "floor": 2,
        "penalty_per_hour": 60.0,
    }
    # Without consolidation: it would later move the on-demand replacement back to spot, a second outage.
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[workload]), consolidation=False)
    (node,) = node_names(sim)
    sim.run_for(timedelta(minutes=1))
    assert sim.ledger.costs().outage_events == 0
    t0 = sim.world.now

    sim.spot_market.interrupt(machine(sim, node))
    sim.run_for(timedelta(hours=1))

    (started,) = journal(sim, "outage-started")
    (ended,) = journal(sim, "outage-ended")
    assert when(started) == t0  # both pods evicted at the notice
    # batch 1 s + launch 60 s + startup 30 s before both replacements are Ready again.
    assert when(ended) - when(started) == timedelta(seconds=91)
    costs = sim.ledger.costs()
    assert costs.outage_events == 1
    assert costs.outage_minutes == pytest.approx(91 / 60)
    assert costs.outage_penalty == pytest.approx(91 / 3600 * 60.0)
    assert costs.interruptions == 1
    assert sim.ledger.interruptions() == 1  # the count alone, without pricing the history
    assert sim.ledger.interruptions(until=t0 - timedelta(seconds=1)) == 0
    assert costs.net_cost == pytest.approx(costs.compute_cost + costs.outage_penalty)

    # Counting again later changes nothing: the outage is closed.
    sim.run_for(timedelta(hours=1))
    later = sim.ledger.costs()
    assert (later.outage_events, later.outage_minutes) == (1, costs.outage_minutes)


def test_an_open_outage_accrues_up_to_now() -> None:
    workload = {
        "name": "app",
        "pool": "web",
        "replicas": 1,
        "cpu": "500m",
        "memory": "256Mi",
        "floor": 1,
        "penalty_per_hour": 120.0,
        "capacity_types": ["spot"],
    }
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[workload]), consolidation=False)
    t0 = sim.world.now
    # Spot capacity goes for a day; the pod may not run on-demand, so it stays down.
    set_capacity(sim, [("m5.large", ZONE_A, t0 + timedelta(minutes=10), t0 + timedelta(days=1))])
    sim.run_for(timedelta(minutes=40))

    (started,) = journal(sim, "outage-started")
    assert when(started) == t0 + timedelta(minutes=10)
    costs = sim.ledger.costs()
    assert costs.outage_events == 1
    assert costs.outage_minutes == pytest.approx(30.0)
    assert costs.outage_penalty == pytest.approx(60.0)
