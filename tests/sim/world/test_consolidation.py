"""Karpenter consolidation: empty nodes, underutilised nodes, disruption budgets, on-demand → spot."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster
from tests.sim.world.support import (
    START,
    ZONE_A,
    is_ready,
    journal,
    launch,
    make_cluster,
    node_names,
    node_of,
    pods_on,
    pool_pod,
    scenario,
    set_capacity,
    web_pool,
    when,
    workload_pods,
)


def empty_node(pool: dict[str, Any], **settings: Any) -> tuple[SimCluster, str, datetime]:
    """A cluster with one empty spot node of ``web-spot``; returns it with the node and when it registered."""
    sim = make_cluster(scenario(pools=[pool]), **settings)
    claim = launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT)
    sim.run_for(timedelta(minutes=2))
    assert claim.machine.registered is not None
    return sim, claim.machine.node_name, claim.machine.registered


def test_an_empty_node_is_removed_once_consolidate_after_has_passed() -> None:
    sim, node, registered = empty_node(web_pool(consolidate_after="5m"))

    sim.run_until(registered + timedelta(minutes=5) - timedelta(seconds=1))
    assert node in node_names(sim)

    sim.run_until(registered + timedelta(minutes=6))
    assert node not in node_names(sim)
    (drain,) = journal(sim, "drain-started")
    assert (drain["node"], drain["reason"]) == (node, "consolidation-empty")
    assert timedelta(minutes=5) <= when(drain) - registered <= timedelta(minutes=6)
    assert sim.world.store.list("nodeclaims") == []


def test_pod_churn_restarts_the_consolidate_after_clock() -> None:
    sim, node, registered = empty_node(web_pool(consolidate_after="5m"))
    sim.run_until(registered + timedelta(minutes=4))
    sim.world.store.create(pool_pod("visitor", cpu="100m"))
    sim.run_for(timedelta(seconds=1))
    assert node_of(sim, "visitor") == node
    sim.world.store.delete("pods", "visitor", "default")
    left = sim.world.now

    sim.run_until(left + timedelta(minutes=5) - timedelta(seconds=1))
    assert node in node_names(sim)
    sim.run_until(left + timedelta(minutes=6))
    assert node not in node_names(sim)


def test_consolidation_disabled_keeps_empty_nodes() -> None:
    sim, node, _ = empty_node(web_pool(consolidate_after="1m"), consolidation=False)
    sim.run_for(timedelta(hours=2))
    assert node in node_names(sim)


def test_consolidation_policy_never_keeps_empty_nodes() -> None:
    sim, node, _ = empty_node(web_pool(consolidation_policy="Never"))
    pool = sim.world.store.get("nodepools", "web-spot")
    assert pool["spec"]["disruption"]["consolidateAfter"] == "Never"
    sim.run_for(timedelta(hours=2))
    assert node in node_names(sim)


def test_a_zero_node_budget_blocks_consolidation() -> None:
    sim, node, _ = empty_node(web_pool(consolidate_after="1m", budgets=[{"nodes": "0"}]))
    sim.run_for(timedelta(hours=3))
    assert node in node_names(sim)
    assert journal(sim, "drain-started") == []


def test_a_scheduled_zero_budget_blocks_only_inside_its_window() -> None:
    """``nodes: "0"`` from 00:00 for 2h each day: the empty node (stable from ~00:07) must survive the window
    and go at the first consolidation pass after 02:00 (Karpenter polls every 10 s)."""
    assert START.hour == 0
    budget = {"nodes": "0", "schedule": "0 0 * * *", "duration": "2h"}
    sim, node, _ = empty_node(web_pool(consolidate_after="5m", budgets=[budget]))

    sim.run_until(START + timedelta(hours=2) - timedelta(seconds=1))
    assert node in node_names(sim)

    sim.run_until(START + timedelta(hours=2, minutes=2))
    assert node not in node_names(sim)


def test_raising_a_zero_budget_lets_a_waiting_node_go() -> None:
    sim, node, _ = empty_node(web_pool(consolidate_after="1m", budgets=[{"nodes": "0"}]))
    sim.run_for(timedelta(minutes=30))
    assert node in node_names(sim)

    budgets = [{"nodes": "1"}]
    sim.world.store.patch("nodepools", "web-spot", {"spec": {"disruption": {"budgets": budgets}}})
    sim.run_for(timedelta(minutes=2))
    assert node not in node_names(sim)


def test_an_underutilised_node_is_drained_onto_the_others() -> None:
    workload = {"name": "app", "pool": "web", "replicas": 2, "cpu": "500m", "memory": "256Mi"}
    sim = make_cluster(scenario(pools=[web_pool(consolidate_after="5m")], workloads=[workload]))
    (first,) = node_names(sim)
    spare = launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT)
    sim.run_for(timedelta(minutes=2))
    # Move one replica onto the new node, so both nodes are half-used and one can absorb the other.
    victim = pods_on(sim, first)[0]
    sim.world.store.patch("nodes", first, {"spec": {"unschedulable": True}})
    sim.world.store.delete("pods", victim, "default")
    sim.run_for(timedelta(seconds=1))
    sim.world.store.patch("nodes", first, {"spec": {"unschedulable": False}})
    assert len(pods_on(sim, spare.machine.node_name)) == 1
    assert len(pods_on(sim, first)) == 1

    sim.run_for(timedelta(minutes=15))

    assert len(node_names(sim)) == 1
    (drain,) = journal(sim, "drain-started")
    assert drain["reason"] == "consolidation-delete"
    (survivor,) = node_names(sim)
    assert all(p["spec"]["nodeName"] == survivor and is_ready(p) for p in workload_pods(sim, "app"))


def test_when_empty_policy_leaves_an_underutilised_node_alone() -> None:
    workload = {"name": "app", "pool": "web", "replicas": 1, "cpu": "100m", "memory": "256Mi"}
    sim = make_cluster(
        scenario(
            pools=[web_pool(consolidate_after="1m", consolidation_policy="WhenEmpty")], workloads=[workload]
        )
    )
    (node,) = node_names(sim)
    launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT)  # plenty of room for the pod elsewhere
    sim.run_for(timedelta(hours=1))
    assert node in node_names(sim)
    assert [e["reason"] for e in journal(sim, "drain-started")] == ["consolidation-empty"]


def test_an_on_demand_node_is_replaced_by_cheaper_spot_when_capacity_returns() -> None:
    workload = {
        "name": "app",
        "pool": "web",
        "replicas": 2,
        "cpu": "500m",
        "memory": "256Mi",
        "startup": "20s",
    }
    sim = make_cluster(scenario(pools=[web_pool(consolidate_after="5m")], workloads=[workload]))
    t0 = sim.world.now
    back = t0 + timedelta(minutes=20)
    set_capacity(sim, [("m5.large", ZONE_A, t0, back)])

    # The warm spot node is reclaimed; spot is out, so the pods land on on-demand.
    sim.run_until(t0 + timedelta(minutes=5))
    (od,) = node_names(sim)
    assert sim.world.store.get("nodes", od)["metadata"]["labels"][L.CAPACITY_TYPE] == L.ON_DEMAND
    assert journal(sim, "consolidation-replace") == []

    sim.run_until(back - timedelta(seconds=1))
    assert journal(sim, "consolidation-replace") == []  # no spot to move to yet
    sim.run_until(back + timedelta(minutes=15))

    (decision,) = journal(sim, "consolidation-replace")
    assert (decision["node"], decision["capacity"]) == (od, L.SPOT)
    assert when(decision) >= back
    replacement = decision["replacement"]
    (ready,) = [e for e in journal(sim, "node-ready") if e["node"] == replacement]
    (drain,) = [e for e in journal(sim, "drain-started") if e["node"] == od]
    assert drain["reason"] == "consolidation-replace"
    assert when(ready) - when(decision) == timedelta(seconds=60)
    entries = sim.world.journal.entries
    assert entries.index(ready) < entries.index(drain)  # replacement Ready before the old node drains
    assert node_names(sim) == {replacement}
    labels = sim.world.store.get("nodes", replacement)["metadata"]["labels"]
    assert (labels[L.CAPACITY_TYPE], labels[L.NODEPOOL]) == (L.SPOT, "web-spot")
    pods = workload_pods(sim, "app")
    assert len(pods) == 2
    assert all(p["spec"]["nodeName"] == replacement and is_ready(p) for p in pods)


def test_on_demand_is_not_replaced_while_the_router_keeps_it_preferred() -> None:
    workload = {"name": "app", "pool": "web", "replicas": 2, "cpu": "500m", "memory": "256Mi"}
    pool = web_pool(consolidate_after="5m", on_demand_weight=200)
    sim = make_cluster(scenario(pools=[pool], workloads=[workload]))
    (od,) = node_names(sim)
    assert sim.world.store.get("nodes", od)["metadata"]["labels"][L.CAPACITY_TYPE] == L.ON_DEMAND

    sim.run_for(timedelta(hours=1))
    assert node_names(sim) == {od}

    # The router flips the weights back: Karpenter consolidates onto spot on its own.
    sim.world.store.patch("nodepools", "web-od", {"spec": {"weight": 10}})
    sim.run_for(timedelta(minutes=15))
    (decision,) = journal(sim, "consolidation-replace")
    assert decision["node"] == od
    assert od not in node_names(sim)
