"""The north star and its gate, on hand-made run results: per-seed improvement and outage delta, their median
and maximum, the comparison with on-demand, and the gate at its boundaries."""

from __future__ import annotations

import pytest

from spotvortex.sim.eval.northstar import Gate, north_star
from spotvortex.sim.eval.runs import RunResult


def result(
    policy: str,
    seed: int,
    net: float,
    outages: int = 0,
    *,
    compute: float | None = None,
    minutes: float = 0.0,
) -> RunResult:
    return RunResult(
        policy,
        seed,
        {
            "net_cost": net,
            "compute_cost": net if compute is None else compute,
            "outage_events": outages,
            "outage_minutes": minutes,
        },
    )


def baseline(*nets: float, outages: int = 0) -> list[RunResult]:
    return [result("spot-first", seed, net, outages) for seed, net in enumerate(nets, 1)]


def test_improvement_is_the_percent_of_the_baseline_net_cost_saved_per_seed() -> None:
    runs = [*baseline(100.0, 200.0, 50.0), result("spotvortex", 1, 90.0), result("spotvortex", 2, 210.0),
            result("spotvortex", 3, 49.0)]  # fmt: skip
    entry = north_star(runs, Gate())["spotvortex"]
    assert entry["net_profit_improvement_pct"]["per_seed"] == {"1": 10.0, "2": -5.0, "3": 2.0}
    assert entry["net_profit_improvement_pct"]["median"] == 2.0


def test_the_median_of_an_even_number_of_seeds_is_the_mean_of_the_middle_two() -> None:
    runs = [*baseline(100.0, 100.0, 100.0, 100.0)]
    runs += [result("spotvortex", s, net) for s, net in ((1, 90.0), (2, 105.0), (3, 97.0), (4, 99.0))]
    entry = north_star(runs, Gate())["spotvortex"]
    assert entry["net_profit_improvement_pct"]["per_seed"] == {"1": 10.0, "2": -5.0, "3": 3.0, "4": 1.0}
    assert entry["net_profit_improvement_pct"]["median"] == 2.0


def test_improvements_are_rounded_to_three_decimals() -> None:
    runs = [*baseline(3.0), result("spotvortex", 1, 2.0)]
    assert north_star(runs, Gate())["spotvortex"]["net_profit_improvement_pct"]["per_seed"] == {"1": 33.333}


def test_outage_delta_is_the_extra_outage_events_per_seed_and_its_maximum() -> None:
    runs = [*baseline(10.0, 10.0, 10.0, outages=2)]
    runs += [result("spotvortex", s, 9.0, outages) for s, outages in ((1, 0), (2, 5), (3, 2))]
    delta = north_star(runs, Gate())["spotvortex"]["outage_delta"]
    assert delta == {"per_seed": {"1": -2, "2": 3, "3": 0}, "max": 3}


@pytest.mark.parametrize(
    ("net", "extra_outages", "passed"),
    [
        (98.0, 0, True),  # exactly the 2 % target, no extra outage
        (98.001, 0, False),  # 1.999 %: just short
        (50.0, 1, False),  # half the cost, but one outage more than spot-first on a seed
        (50.0, -1, True),  # fewer outages than spot-first is fine
    ],
)
def test_the_default_gate_needs_two_percent_median_and_no_extra_outage(
    net: float, extra_outages: int, passed: bool
) -> None:
    runs = [*baseline(100.0, outages=1), result("spotvortex", 1, net, 1 + extra_outages)]
    gate = north_star(runs, Gate())["spotvortex"]["gate"]
    assert gate == {"min_median_improvement_pct": 2.0, "max_outage_delta": 0, "passed": passed}


def test_one_seed_over_the_outage_limit_fails_the_gate_even_with_a_good_median() -> None:
    runs = [*baseline(100.0, 100.0, 100.0)]
    runs += [result("spotvortex", s, 50.0, outages) for s, outages in ((1, 0), (2, 0), (3, 2))]
    assert north_star(runs, Gate(2.0, 1))["spotvortex"]["gate"]["passed"] is False
    assert north_star(runs, Gate(2.0, 2))["spotvortex"]["gate"]["passed"] is True


def test_a_loose_gate_passes_a_policy_that_costs_more() -> None:
    runs = [*baseline(100.0), result("spotvortex", 1, 300.0, 4)]
    assert north_star(runs, Gate(-1000.0, 1000))["spotvortex"]["gate"]["passed"] is True
    assert north_star(runs, Gate())["spotvortex"]["gate"]["passed"] is False


def test_savings_and_outage_minutes_are_also_compared_with_on_demand_when_it_ran() -> None:
    runs = [
        result("spot-first", 1, 40.0, compute=30.0, minutes=12.0),
        result("on-demand", 1, 100.0, compute=100.0, minutes=2.5),
        result("spotvortex", 1, 60.0, compute=55.0, minutes=4.0),
    ]
    star = north_star(runs, Gate())
    assert star["spotvortex"]["savings_vs_on_demand_pct"] == {"1": 45.0}
    assert star["spotvortex"]["outage_minutes_vs_on_demand"] == {"1": 1.5}
    assert "savings_vs_on_demand_pct" not in star["on-demand"]
    assert "spot-first" not in star, "the baseline is not compared with itself"

    without_od = north_star([runs[0], runs[2]], Gate())
    assert "savings_vs_on_demand_pct" not in without_od["spotvortex"]


def test_a_baseline_that_cost_nothing_counts_as_no_improvement() -> None:
    runs = [*baseline(0.0), result("spotvortex", 1, 5.0)]
    assert north_star(runs, Gate())["spotvortex"]["net_profit_improvement_pct"]["per_seed"] == {"1": 0.0}


def test_the_north_star_needs_the_spot_first_baseline() -> None:
    with pytest.raises(ValueError, match="spot-first"):
        north_star([result("spotvortex", 1, 10.0)], Gate())
