"""What the simulator remembers between writes: parsed pod requests, node facts, label indexes and launch
verdicts. Each must follow the writes that change what it remembers."""

from __future__ import annotations

from datetime import timedelta

from spotvortex.sim.world import labels as L
from spotvortex.sim.world.state import NodeInfo, NodeSet
from tests.sim.world.support import (
    ZONE_A,
    empty_cluster,
    journal,
    machine,
    make_cluster,
    node,
    node_names,
    pod,
    pool_pod,
    scenario,
    settle,
    web_pool,
)

ON_DEMAND_ONLY = [[{"key": L.CAPACITY_TYPE, "operator": "In", "values": [L.ON_DEMAND]}]]


def test_a_pod_patched_with_new_requests_is_counted_with_them() -> None:
    sim = empty_cluster()
    state = sim.world.state
    sim.world.store.create(node("n1"))
    sim.world.store.create(pod("p", cpu="500m", memory="256Mi", node_name="n1"))
    settle(sim)
    assert (state.nodes["n1"].used_cpu, state.nodes["n1"].used_memory) == (500, 256)

    containers = [{"name": "app", "resources": {"requests": {"cpu": "1500m", "memory": "1Gi"}}}]
    sim.world.store.patch("pods", "p", {"spec": {"containers": containers}}, namespace="default")
    sim.world.store.patch("pods", "p", {"metadata": {"labels": {"touched": "yes"}}}, namespace="default")

    stored = state.pods[("default", "p")]
    assert state.requests(stored) == (1500, 1024)
    assert (state.nodes["n1"].used_cpu, state.nodes["n1"].used_memory) == (1500, 1024)
    sim.world.store.delete("pods", "p", "default")
    assert (state.nodes["n1"].used_cpu, state.nodes["n1"].used_memory) == (0, 0)


def test_requests_of_a_pod_the_index_does_not_hold_are_parsed_from_it() -> None:
    sim = empty_cluster()
    loose = pod("loose", cpu="250m", memory="1Gi")
    assert sim.world.state.requests(loose) == (250, 1024)
    loose["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2"
    assert sim.world.state.requests(loose) == (2000, 1024)


def test_node_facts_follow_node_writes() -> None:
    sim = empty_cluster()
    sim.world.store.create(node("n1", labels={"tier": "a"}))
    info = sim.world.state.nodes["n1"]
    assert (info.ready, info.unschedulable, info.taints, info.labels["tier"]) == (True, False, [], "a")

    taint = {"key": "k", "effect": "NoSchedule"}
    body = {"metadata": {"labels": {"tier": "b"}}, "spec": {"unschedulable": True, "taints": [taint]}}
    sim.world.store.patch("nodes", "n1", body)
    conditions = [{"type": "Ready", "status": "False"}]
    sim.world.store.patch("nodes", "n1", {"status": {"conditions": conditions}})

    info = sim.world.state.nodes["n1"]
    assert (info.ready, info.unschedulable, info.taints, info.labels["tier"]) == (False, True, [taint], "b")


def test_pods_on_a_node_stay_in_key_order_as_they_come_and_go() -> None:
    sim = empty_cluster()
    sim.world.store.create(node("n1"))
    for name in ("c", "a", "b"):
        sim.world.store.create(pod(name, cpu="100m", node_name="n1"))
    assert [p["metadata"]["name"] for p in sim.world.state.pods_on("n1")] == ["a", "b", "c"]
    sim.world.store.delete("pods", "b", "default")
    sim.world.store.create(pod("aa", cpu="100m", node_name="n1"))
    assert [p["metadata"]["name"] for p in sim.world.state.pods_on("n1")] == ["a", "aa", "c"]


def test_node_set_narrows_by_every_selector_key_it_is_asked_about() -> None:
    def info(name: str, labels: dict[str, str]) -> NodeInfo:
        return NodeInfo(name, node(name, labels=labels), 4000, 16384, 110)

    nodes = [
        info("a", {"pool": "web", "zone": "1"}),
        info("b", {"pool": "web", "zone": "2"}),
        info("c", {"pool": "api", "zone": "1"}),
    ]
    indexed = NodeSet(nodes)
    names = lambda selector: [n.name for n in indexed.candidates({"spec": {"nodeSelector": selector}})]  # noqa: E731
    assert names({}) == ["a", "b", "c"]
    assert names({"pool": "web"}) == ["a", "b"]
    assert names({"pool": "web", "zone": "1"}) in (["a", "c"], ["a", "b"])
    assert names({"zone": "2"}) == ["b"]
    assert names({"pool": "db"}) == []
    assert names({"missing": "x"}) == []


def test_an_on_demand_node_ruled_out_for_replacement_is_reconsidered_when_its_pods_change() -> None:
    pool = web_pool(instance_types=["m5.large", "m5.xlarge"], consolidate_after="1m")
    sim = make_cluster(scenario(pools=[pool]))
    store = sim.world.store
    store.create(pool_pod("big", cpu="3", affinity_terms=ON_DEMAND_ONLY))
    store.create(pool_pod("small", cpu="500m", affinity_terms=ON_DEMAND_ONLY))
    sim.run_for(timedelta(minutes=5))
    (od,) = node_names(sim)
    assert store.get("nodes", od)["metadata"]["labels"][L.INSTANCE_TYPE] == "m5.xlarge"

    sim.run_for(timedelta(hours=1))  # the big pod needs the xlarge: nothing cheaper takes both
    assert journal(sim, "consolidation-replace") == []

    store.delete("pods", "big", "default")
    sim.run_for(timedelta(minutes=30))
    (decision,) = journal(sim, "consolidation-replace")
    assert decision["node"] == od
    replacement = machine(sim, decision["replacement"])
    assert (replacement.instance_type, replacement.capacity_type, replacement.zone) == (
        "m5.large",
        L.ON_DEMAND,
        ZONE_A,
    )


def test_an_on_demand_node_held_back_by_the_spot_limit_is_replaced_once_the_limit_or_the_claims_allow() -> (
    None
):
    pool = web_pool(consolidate_after="1m")
    sim = make_cluster(scenario(pools=[pool]))
    store = sim.world.store
    store.patch("nodepools", "web-spot", {"spec": {"limits": {"cpu": "0"}}})
    store.create(pool_pod("app", cpu="500m"))
    sim.run_for(timedelta(minutes=5))
    (od,) = node_names(sim)
    assert machine(sim, od).capacity_type == L.ON_DEMAND  # the spot twin may hold nothing

    sim.run_for(timedelta(hours=1))  # spot is cheaper, but the limit rules a spot replacement out
    assert journal(sim, "consolidation-replace") == []

    store.patch("nodepools", "web-spot", {"spec": {"limits": {"cpu": "4"}}})
    sim.run_for(timedelta(minutes=30))
    (decision,) = journal(sim, "consolidation-replace")
    assert decision["node"] == od
    assert machine(sim, decision["replacement"]).capacity_type == L.SPOT
