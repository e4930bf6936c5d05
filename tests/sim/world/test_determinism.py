"""Same scenario and seed, same world: the journal digest over a multi-day run with busy spot capacity."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from spotvortex.sim.scenario import load_scenario
from spotvortex.sim.world.build import SimCluster
from tests.sim.world.support import (
    ZONE_A,
    ZONE_B,
    ZONE_C,
    guard_against_livelock,
    hazard_capacity,
    make_cluster,
    scenario,
)

ZONES = [ZONE_A, ZONE_B, ZONE_C]
POOLS = [
    {"name": "web", "instance_types": ["m5.large", "m5.xlarge"]},
    {"name": "api", "instance_types": ["c5.large", "c5.xlarge"]},
]
WORKLOADS = [
    {"name": "storefront", "pool": "web", "replicas": 8, "cpu": "1", "memory": "2Gi", "startup": "20s",
     "pdb": {"min_available": 6}, "penalty_per_hour": 40},
    {"name": "search", "pool": "web", "replicas": 4, "cpu": "1", "memory": "4Gi", "startup": "1m",
     "pdb": {"max_unavailable": 1}, "penalty_per_hour": 30},
    {"name": "orders", "pool": "api", "replicas": 6, "cpu": "1500m", "memory": "1Gi", "startup": "30s",
     "pdb": {"min_available": 4}, "penalty_per_hour": 80},
    {"name": "sessions", "pool": "api", "kind": "StatefulSet", "replicas": 3, "cpu": "1", "memory": "1Gi",
     "startup": "2m", "pdb": {"max_unavailable": 1}, "floor": 2, "penalty_per_hour": 150},
]  # fmt: skip
"""One priority throughout: preemption has its own tests (and a livelock, see test_scheduler)."""
DAYS = 4


def run(seed: int) -> SimCluster:
    sim = make_cluster(scenario(pools=POOLS, workloads=WORKLOADS, zones=ZONES), seed=seed)
    guard_against_livelock(sim)
    hazard_capacity(sim, seed=seed, days=DAYS, speedup=60)
    sim.run_for(timedelta(days=DAYS))
    return sim


def test_same_seed_gives_an_identical_journal() -> None:
    first, second = run(3), run(3)

    counts = first.world.journal.counts
    assert counts["capacity-lost"] >= 10, counts
    assert counts["interruption-notice"] >= 10, counts
    assert counts["rebalance"] >= 10, counts
    assert counts["outage-started"] >= 1, counts
    assert first.world.journal.entries == second.world.journal.entries
    assert first.world.journal.digest() == second.world.journal.digest()
    assert first.ledger.costs() == second.ledger.costs()


def test_a_different_seed_gives_a_different_world() -> None:
    a, b = run(3), run(4)
    assert a.world.journal.digest() != b.world.journal.digest()
    # Not only names: the market itself (losses, notices, rebalances) differs.
    kinds = ("capacity-lost", "interruption-notice", "rebalance")
    assert a.world.journal.of_kind(*kinds) != b.world.journal.of_kind(*kinds)


def test_the_demo_cluster_runs_through_busy_capacity() -> None:
    """The shipped demo (priorities 1000 / 0 / -100, PDBs) under the same busy hazard process: simulated
    time must keep moving through every interruption storm."""
    demo = load_scenario("demo")
    demo = msgspec.structs.replace(
        demo, market=msgspec.structs.replace(demo.market, data="fixture", capacity="none")
    )
    sim = make_cluster(demo, seed=7)
    guard_against_livelock(sim, limit=2_000)
    hazard_capacity(sim, seed=7, days=3, speedup=60)

    sim.run_for(timedelta(days=3))

    assert sim.world.now == sim.scenario.start + timedelta(days=3)
    assert sim.world.journal.counts["interruption-notice"] >= 5
