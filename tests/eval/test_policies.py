"""Each policy's defining behaviour on a tiny world: what the baselines never do, what a fixed share holds,
and that ``spotvortex`` runs the inference service's decision code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from spotvortex.inference import decide_batch
from spotvortex.sim.eval import runs
from spotvortex.sim.eval.runs import RunSpec, check_policy, run
from spotvortex.sim.scenario import load_scenario
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster, build, nodepool_manifests
from tests.eval.support import APP, SEED, ZONE_A, write_scenario

TWO_POOLS: dict[str, Any] = {
    "pools": [
        {"name": "web", "instance_types": ["m5.large"], "zones": [ZONE_A]},
        {"name": "api", "instance_types": ["c5.large"], "zones": [ZONE_A]},
    ],
    "workloads": [
        {**APP, "replicas": 4},
        {"name": "orders", "pool": "api", "replicas": 3, "cpu": "1", "memory": "1Gi"},
    ],
}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[SimCluster]:
    """The worlds ``run`` builds, kept so a test can look inside them after the run."""
    clusters: list[SimCluster] = []

    def keep(*args: Any, **kwargs: Any) -> SimCluster:
        cluster = build(*args, **kwargs)
        clusters.append(cluster)
        return cluster

    monkeypatch.setattr("spotvortex.sim.eval.runs.build", keep)
    return clusters


def spot_by_pool(cluster: SimCluster) -> dict[str, tuple[int, int]]:
    """(spot nodes, all nodes) per scenario pool among the instances running now."""
    spot: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for m in cluster.fleet.machines.values():
        pool = m.labels[L.POOL]
        total[pool] += 1
        spot[pool] += m.spot
    return {pool: (spot[pool], total[pool]) for pool in sorted(total)}


# -- policy names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["spot-first", "on-demand", "spotvortex", "spotvortex-rl", "static-0", "static-0.5", "static-1"]
)
def test_known_policies_are_accepted(name: str) -> None:
    assert check_policy(name) == name


@pytest.mark.parametrize(
    "name", ["static-1.5", "static--0.1", "static-half", "static-", "static-nan", "yolo", ""]
)
def test_unknown_policies_are_refused_with_the_list_of_known_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown policy .*known: spot-first, on-demand"):
        check_policy(name)


def test_a_run_spec_is_keyed_by_policy_and_seed() -> None:
    assert RunSpec("demo", "static-0.5", 8).key == "static-0.5/seed-8"


# -- on-demand -----------------------------------------------------------------------------------------------


def test_the_on_demand_baseline_drops_exactly_the_spot_nodepools(tmp_path: Path) -> None:
    manifests = nodepool_manifests(load_scenario(write_scenario(tmp_path, **TWO_POOLS)))
    kept = runs._only_on_demand(manifests)
    assert [m["metadata"]["name"] for m in kept] == ["web-od", "api-od"]
    assert len(manifests) == 4


def test_on_demand_launches_no_spot_node_and_creates_no_spot_nodepool(
    tmp_path: Path, built: list[SimCluster]
) -> None:
    m = run(RunSpec(str(write_scenario(tmp_path, **TWO_POOLS)), "on-demand", SEED)).metrics
    (cluster,) = built

    assert sorted(o["metadata"]["name"] for o in cluster.world.store.list("nodepools")) == [
        "api-od",
        "web-od",
    ]
    assert cluster.fleet.history, "the workloads got nodes"
    assert not [m.node_name for m in cluster.fleet.history if m.spot]
    assert (m["spot_residency"], m["spot_cost"]) == (0.0, 0.0)
    assert (m["decisions"], m["drains"], m["migrations"]) == (0, 0, 0)


def test_on_demand_runs_no_spot_even_for_an_auto_scaling_group_pool(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        pools=[{"name": "batch", "autoscaler": "asg", "instance_types": ["m5.large"], "zones": [ZONE_A],
                "spot_desired": 2, "on_demand_desired": 0}],
        workloads=[{"name": "job", "pool": "batch", "replicas": 2, "cpu": "1", "memory": "1Gi"}],
        duration="6h",
    )  # fmt: skip
    m = run(RunSpec(str(scenario), "on-demand", SEED)).metrics
    assert m["compute_cost"] > 0
    assert m["spot_residency"] == 0.0
    assert m["spot_cost"] == 0.0


# -- spot-first ----------------------------------------------------------------------------------------------


def test_spot_first_runs_everything_on_spot_without_deciding_anything(tmp_path: Path) -> None:
    m = run(RunSpec(str(write_scenario(tmp_path, **TWO_POOLS)), "spot-first", SEED)).metrics
    assert m["spot_residency"] == 1.0
    assert m["on_demand_cost"] == 0.0
    assert (m["decisions"], m["rejected"], m["migrations"], m["drains"], m["drains_rolled_back"]) == (0,) * 5


def test_spot_first_rides_out_interruptions_without_draining_or_migrating(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, market={"capacity": "traces"}, duration="24h")
    m = run(RunSpec(str(scenario), "spot-first", 1)).metrics
    assert m["interruptions"] >= 1, "the traces take spot capacity away at least once in a day"
    assert m["on_demand_cost"] > 0, "Karpenter fell back to on-demand while spot was gone"
    assert (m["decisions"], m["migrations"], m["drains"], m["drains_rolled_back"]) == (0, 0, 0, 0)


# -- static-<share> ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_a_static_share_ends_within_one_node_of_its_target_in_every_pool(
    share: float, tmp_path: Path, built: list[SimCluster]
) -> None:
    m = run(RunSpec(str(write_scenario(tmp_path, **TWO_POOLS)), f"static-{share:g}", SEED)).metrics
    (cluster,) = built

    pools = spot_by_pool(cluster)
    assert pools.keys() == {"web", "api"}
    for pool, (spot, total) in pools.items():
        assert total == {"web": 4, "api": 3}[pool]
        assert abs(spot - share * total) <= 1.0, (pool, spot, total)
    if share == 1.0:
        assert m["migrations"] == 0, "already all spot: nothing to move"
    else:
        assert m["migrations"] >= 1
        assert m["drains"] >= 1


def test_static_half_spends_between_spot_first_and_on_demand(tmp_path: Path) -> None:
    scenario = str(write_scenario(tmp_path, **TWO_POOLS))
    cost = {
        p: run(RunSpec(scenario, p, SEED)).metrics["compute_cost"]
        for p in ("spot-first", "static-0.5", "on-demand")
    }
    assert cost["spot-first"] < cost["static-0.5"] < cost["on-demand"]


# -- spotvortex ----------------------------------------------------------------------------------------------


def test_spotvortex_decides_through_the_inference_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counting(snapshots: Sequence[Any], now: datetime, *args: Any, **kwargs: Any) -> Any:
        outcomes = decide_batch(snapshots, now, *args, **kwargs)
        calls.append(len(outcomes))
        return outcomes

    monkeypatch.setattr("spotvortex.sim.eval.proposers.decide_batch", counting)
    m = run(RunSpec(str(write_scenario(tmp_path, **TWO_POOLS)), "spotvortex", SEED)).metrics

    assert len(calls) == 12 * 6 + 1, "one batch every 10 simulated minutes, at both ends of 12 h"
    assert m["decisions"] == sum(calls) > 0
    assert m["migrations"] + m["steering_released"] + m["rejected"] == m["decisions"]
