"""The pool safety vector formulas (upstream-spec §2.5) and the fixes to them."""

from __future__ import annotations

import pytest

from spotvortex.collector.safety import SafetyInputs, safety_vector, zone_score


def inputs(**overrides: object) -> SafetyInputs:
    """A calm pool: three zones, ample on-demand headroom, fast restarts, nothing critical or stateful."""
    values: dict[str, object] = {
        "restart_p95_seconds": 60.0,
        "non_spot_nodes": 4,
        "utilisation": 0.5,
        "zones": 3,
        "workload_pods": 10,
        "critical_pods": 0,
        "critical_on_spot": 0,
        "stateful_pods": 0,
        "evictable_pods": 10,
        "slack_one_node": None,
        "slack_two_nodes": None,
    }
    values.update(overrides)
    return SafetyInputs(**values)  # type: ignore[arg-type]


def test_a_calm_pool_without_pdbs_has_no_pdb_limit() -> None:
    vector = safety_vector(inputs())
    assert vector.min_pdb_slack_if_one_node_lost is None
    assert vector.min_pdb_slack_if_two_nodes_lost is None
    assert vector.spare_od_headroom_nodes == pytest.approx(2.0)
    assert vector.recovery_budget_violation_risk == 0.0
    assert vector.safe_max_spot_ratio == 1.0


def test_upstream_read_no_pdb_as_zero_slack_which_froze_the_pool() -> None:
    """What the fix avoids: the same pool with slack 0 would be capped at 0.35 with risk 0.70."""
    zero = safety_vector(inputs(slack_one_node=0, slack_two_nodes=0))
    assert zero.recovery_budget_violation_risk == pytest.approx(0.70)
    assert zero.safe_max_spot_ratio == pytest.approx(0.35)


@pytest.mark.parametrize(
    ("overrides", "risk", "cap"),
    [
        ({"slack_one_node": -1, "slack_two_nodes": -2}, 0.95, 0.10),
        ({"slack_one_node": 1, "slack_two_nodes": 0}, 0.55, 0.50),
        ({"slack_one_node": 2, "slack_two_nodes": 1}, 0.0, 1.0),
        (
            {"critical_pods": 4, "critical_on_spot": 2},
            0.60,
            0.25,
        ),  # crit .5: .2+.8*.5 = .6 → risk cap .40, crit cap .25
        ({"critical_pods": 4, "critical_on_spot": 1}, 0.40, 0.50),
        ({"stateful_pods": 5}, 0.475, 0.50),
        ({"stateful_pods": 3}, 0.345, 0.70),
        ({"restart_p95_seconds": 700.0}, 0.75, 0.25),
        ({"restart_p95_seconds": 300.0}, 0.50, 0.50),
        ({"restart_p95_seconds": 150.0}, 0.30, 1.0),
        ({"non_spot_nodes": 1, "utilisation": 0.5}, 0.55, 0.60),  # headroom 0.5 < 1
        ({"utilisation": 1.7}, 0.55, 0.60),  # over-committed: utilisation clipped, headroom 0
        ({"zones": 2}, 0.30, 1.0),
        ({"zones": 1}, 0.60, 0.40),  # zone score 0 → cap .60, risk .60 → cap .40
        ({"evictable_pods": 2}, 0.68, 0.20),
        ({"evictable_pods": 4}, 0.51, 0.40),
    ],
)
def test_each_rule(overrides: dict[str, object], risk: float, cap: float) -> None:
    vector = safety_vector(inputs(**overrides))
    assert vector.recovery_budget_violation_risk == pytest.approx(risk)
    assert vector.safe_max_spot_ratio == pytest.approx(cap)


def test_risk_is_clamped_and_the_worst_term_wins() -> None:
    vector = safety_vector(
        inputs(
            critical_pods=2,
            critical_on_spot=2,
            slack_one_node=-3,
            zones=1,
            evictable_pods=0,
            stateful_pods=10,
        )
    )
    assert vector.recovery_budget_violation_risk == 1.0
    assert vector.safe_max_spot_ratio == pytest.approx(0.10)
    assert vector.critical_service_spot_concentration == 1.0
    assert vector.stateful_pod_fraction == 1.0
    assert vector.evictable_pod_fraction == 0.0


def test_a_pool_without_workload_pods_still_gets_a_coherent_vector() -> None:
    """Upstream left risk 0 and cap 1.0 for such pools whatever their zones or headroom."""
    empty = safety_vector(inputs(workload_pods=0, evictable_pods=0, zones=1, non_spot_nodes=0))
    assert empty.evictable_pod_fraction == 1.0
    assert empty.stateful_pod_fraction == 0.0
    assert empty.zone_diversification_score == 0.0
    assert empty.spare_od_headroom_nodes == 0.0
    assert empty.recovery_budget_violation_risk == pytest.approx(0.60)
    assert empty.safe_max_spot_ratio == pytest.approx(0.40)


def test_zone_scores() -> None:
    assert [zone_score(z) for z in (0, 1, 2, 3, 5)] == [0.0, 0.0, 0.5, 1.0, 1.0]
