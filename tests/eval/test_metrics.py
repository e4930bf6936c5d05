"""What a run's metrics mean, checked against numbers worked out by hand from the scenario and the market."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from spotvortex.sim.eval.runs import RunSpec, run
from spotvortex.sim.market.ondemand import load_on_demand
from spotvortex.sim.market.sources import fixture_files
from tests.eval.support import APP, METRIC_KEYS, SEED, START, ZONE_A, write_scenario, write_scripted

HOURS = 12
NODES: int = APP["replicas"]  # one 1-CPU pod per m5.large


def m5_large_on_demand() -> float:
    """The list price the build bills on-demand nodes at: the fixture on-demand table (us-east-1)."""
    return load_on_demand(fixture_files().on_demand, "us-east-1").price("m5.large")


def test_a_run_reports_every_metric_and_the_wall_time(tmp_path: Path) -> None:
    result = run(RunSpec(str(write_scenario(tmp_path)), "spot-first", SEED))
    assert (result.policy, result.seed) == ("spot-first", SEED)
    assert set(result.metrics) == METRIC_KEYS | {"wall_seconds"}
    assert result.metrics["simulated_days"] == pytest.approx(HOURS / 24)


def test_on_demand_compute_cost_is_nodes_times_list_price_times_hours(tmp_path: Path) -> None:
    result = run(RunSpec(str(write_scenario(tmp_path)), "on-demand", SEED))
    m = result.metrics

    assert {s["nodes"] for s in result.series} == {NODES}, "three nodes for the whole window"
    expected = NODES * m5_large_on_demand() * HOURS
    assert expected == pytest.approx(3.456)
    assert m["compute_cost"] == pytest.approx(expected, abs=1e-4)
    assert m["on_demand_cost"] == m["compute_cost"]
    assert m["spot_cost"] == 0.0
    assert m["spot_residency"] == 0.0
    assert m["net_cost"] == m["compute_cost"]
    assert (m["outage_events"], m["outage_minutes"], m["outage_penalty"]) == (0, 0.0, 0.0)


def test_spot_first_compute_cost_is_the_scripted_spot_price_integrated_over_the_window(
    tmp_path: Path,
) -> None:
    # 0.03 $/h for the first 72 five-minute steps (6 h), then 0.06 $/h for the rest of the window.
    steps = [{"current_price": 0.03}] * 72 + [{"current_price": 0.06}]
    prices = write_scripted(
        tmp_path,
        {"default": {"current_price": 0.03, "on_demand_price": 0.096}, "series": {"m5.large:*": steps}},
    )
    scenario = write_scenario(tmp_path, market={"scripted": str(prices)})

    result = run(RunSpec(str(scenario), "spot-first", SEED))
    m = result.metrics

    assert {s["nodes"] for s in result.series} == {NODES}
    expected = NODES * (6 * 0.03 + 6 * 0.06)
    assert m["compute_cost"] == pytest.approx(expected, abs=1e-4)
    assert m["spot_cost"] == m["compute_cost"]
    assert m["on_demand_cost"] == 0.0
    assert m["spot_residency"] == 1.0
    assert m["compute_cost"] < NODES * m5_large_on_demand() * HOURS


def test_spot_first_on_the_fixture_market_is_cheaper_than_on_demand_and_all_spot(tmp_path: Path) -> None:
    scenario = str(write_scenario(tmp_path))
    spot = run(RunSpec(scenario, "spot-first", SEED)).metrics
    od = run(RunSpec(scenario, "on-demand", SEED)).metrics
    assert spot["spot_residency"] == 1.0
    assert 0.0 < spot["compute_cost"] < od["compute_cost"]
    # The fixture prices are 20-60 % of on-demand.
    assert 0.2 * od["compute_cost"] <= spot["compute_cost"] <= 0.6 * od["compute_cost"]


def test_a_workload_that_can_never_be_placed_is_one_outage_for_the_whole_window(tmp_path: Path) -> None:
    # Zone d has no spot price series, so a pod pinned to spot in a pool confined to it never runs: the
    # workload is below its floor from the ledger's opening to the end of the window.
    scenario = write_scenario(
        tmp_path,
        zones=[ZONE_A, "us-east-1d"],
        pools=[
            {"name": "web", "instance_types": ["m5.large"], "zones": [ZONE_A]},
            {"name": "ghost", "instance_types": ["m5.large"], "zones": ["us-east-1d"]},
        ],
        workloads=[
            APP,
            {"name": "stranded", "pool": "ghost", "replicas": 2, "cpu": "1", "memory": "1Gi",
             "capacity_types": ["spot"], "floor": 1, "penalty_per_hour": 30},
        ],
    )  # fmt: skip

    for policy in ("spot-first", "on-demand"):
        m = run(RunSpec(str(scenario), policy, SEED)).metrics
        assert m["outage_events"] == 1, policy
        assert m["outage_minutes"] == pytest.approx(HOURS * 60), policy
        assert m["outage_penalty"] == pytest.approx(HOURS * 30), policy
        assert m["net_cost"] == pytest.approx(m["compute_cost"] + HOURS * 30, abs=1e-4), policy


def test_outage_penalty_is_outage_hours_times_the_penalty_rate_under_real_interruptions(
    tmp_path: Path,
) -> None:
    # Availability traces take m5.large in zone a away for tens of minutes several times a day; with the
    # floor at every replica, each interruption is an outage until the replacement is Ready.
    scenario = write_scenario(
        tmp_path,
        market={"capacity": "traces"},
        duration="24h",
        workloads=[{"name": "app", "pool": "web", "replicas": 2, "cpu": "1", "memory": "1Gi", "floor": 2,
                    "penalty_per_hour": 45}],
    )  # fmt: skip
    m = run(RunSpec(str(scenario), "spot-first", 1)).metrics

    assert m["interruptions"] >= 1
    assert m["outage_events"] >= 1
    assert m["outage_minutes"] > 0
    assert m["outage_penalty"] == pytest.approx(m["outage_minutes"] / 60 * 45, abs=0.01)
    assert m["net_cost"] == pytest.approx(m["compute_cost"] + m["outage_penalty"], abs=1e-3)
    assert m["pod_restarts"] >= m["interruptions"], "every interrupted node took a pod with it"

    calm = run(RunSpec(str(scenario), "on-demand", 1)).metrics
    assert (calm["interruptions"], calm["outage_events"], calm["outage_penalty"]) == (0, 0, 0.0)


def test_a_window_from_start_and_end_overrides_the_scenario_duration(tmp_path: Path) -> None:
    scenario = str(write_scenario(tmp_path, duration="30d"))
    start = START + timedelta(days=2)
    m = run(RunSpec(scenario, "on-demand", SEED, start=start, end=start + timedelta(hours=6))).metrics
    assert m["simulated_days"] == pytest.approx(0.25)
    assert m["compute_cost"] == pytest.approx(NODES * m5_large_on_demand() * 6, abs=1e-4)
