"""Karpenter provisioning: spot first, NodePool weights, ICE fallback to on-demand, latency, limits, claims."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster
from tests.sim.world.support import (
    START,
    ZONE_A,
    ZONE_B,
    ZONE_C,
    journal,
    machine,
    make_cluster,
    node_names,
    node_of,
    nodes_of_pool,
    pool_pod,
    scenario,
    set_capacity,
    settle,
    web_pool,
    when,
    workload_pods,
)

APP = {"name": "app", "pool": "web", "replicas": 3, "cpu": "500m", "memory": "512Mi", "startup": "10s"}
ONE_PER_NODE = "1500m"
"""An m5.large leaves 1930m allocatable: a 1500m pod needs a node of its own."""


def launched_since(sim: SimCluster, mark: int) -> list[dict[str, Any]]:
    return [e for e in sim.world.journal.entries[mark:] if e["kind"] == "instance-launched"]


def test_spot_is_preferred_when_capacity_exists() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    nodes = sim.world.store.list("nodes")
    assert nodes
    assert {n["metadata"]["labels"][L.CAPACITY_TYPE] for n in nodes} == {L.SPOT}
    assert {n["metadata"]["labels"][L.NODEPOOL] for n in nodes} == {"web-spot"}

    mark = len(sim.world.journal.entries)
    sim.world.store.create(pool_pod("extra", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=3))

    (launch,) = launched_since(sim, mark)
    assert (launch["capacity"], launch["owner"]) == (L.SPOT, "karpenter/web-spot")
    assert node_of(sim, "extra") == launch["node"]


def test_nodes_and_nodeclaims_carry_the_karpenter_labels() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    store = sim.world.store
    claims = {c["status"]["nodeName"]: c for c in store.list("nodeclaims")}
    nodes = store.list("nodes")
    assert len(claims) == len(nodes) >= 1
    for n in nodes:
        labels = n["metadata"]["labels"]
        assert labels[L.CAPACITY_TYPE] == L.SPOT
        assert labels[L.NODEPOOL] == "web-spot"
        assert labels[L.INSTANCE_TYPE] == "m5.large"
        assert labels[L.ZONE] == ZONE_A
        assert labels[L.POOL] == "web"
        claim = claims[n["metadata"]["name"]]
        assert claim["status"]["providerID"] == n["spec"]["providerID"]
        assert claim["metadata"]["labels"] == {
            L.NODEPOOL: "web-spot",
            L.CAPACITY_TYPE: L.SPOT,
            L.INSTANCE_TYPE: "m5.large",
            L.ZONE: ZONE_A,
        }
        assert claim["metadata"]["name"].startswith("web-spot-")
        ready = [c for c in claim["status"]["conditions"] if c["type"] == "Ready"]
        assert ready
        assert ready[0]["status"] == "True"


def test_pending_pods_of_one_batch_share_a_new_node() -> None:
    sim = make_cluster(scenario(pools=[web_pool()]))
    assert node_names(sim) == set()
    for i in range(3):
        sim.world.store.create(pool_pod(f"p{i}", cpu="500m"))
    sim.run_for(timedelta(minutes=3))

    assert len(journal(sim, "nodeclaim-created")) == 1
    assert len({node_of(sim, f"p{i}") for i in range(3)}) == 1


def test_node_is_ready_exactly_the_launch_latency_after_its_claim() -> None:
    sim = make_cluster(scenario(pools=[web_pool()]), launch_seconds=75.0)
    created_at = sim.world.now
    sim.world.store.create(pool_pod("p", cpu="500m", startup="20s"))
    sim.run_for(timedelta(minutes=5))

    (claim,) = journal(sim, "nodeclaim-created")
    (ready,) = journal(sim, "node-ready")
    assert when(claim) == created_at + timedelta(seconds=1)  # BATCH_IDLE_DURATION
    assert when(ready) - when(claim) == timedelta(seconds=75)
    launched = machine(sim, ready["node"])
    assert launched.launched == when(claim)
    assert launched.registered == when(ready)
    node = sim.world.store.get("nodes", ready["node"])
    assert node["metadata"]["creationTimestamp"] == when(ready).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert node_of(sim, "p") == ready["node"]


def test_nodepool_weight_decides_where_new_capacity_goes() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    store = sim.world.store

    store.patch("nodepools", "web-od", {"spec": {"weight": 200}})
    mark = len(sim.world.journal.entries)
    store.create(pool_pod("to-od", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=3))
    (launch,) = launched_since(sim, mark)
    assert (launch["capacity"], launch["owner"]) == (L.ON_DEMAND, "karpenter/web-od")
    assert node_of(sim, "to-od") == launch["node"]

    store.patch("nodepools", "web-od", {"spec": {"weight": 10}})
    mark = len(sim.world.journal.entries)
    store.create(pool_pod("to-spot", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=3))
    (launch,) = launched_since(sim, mark)
    assert (launch["capacity"], launch["owner"]) == (L.SPOT, "karpenter/web-spot")


def test_pod_pinned_to_on_demand_gets_on_demand_despite_the_spot_pool_weight() -> None:
    pinned = {**APP, "name": "pinned", "capacity_types": ["on-demand"]}
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[pinned]))
    pods = workload_pods(sim, "pinned")
    assert len(pods) == 3
    for p in pods:
        n = sim.world.store.get("nodes", p["spec"]["nodeName"])
        assert n["metadata"]["labels"][L.CAPACITY_TYPE] == L.ON_DEMAND
        assert n["metadata"]["labels"][L.NODEPOOL] == "web-od"


def test_spot_without_capacity_falls_back_to_on_demand_and_the_ice_entry_expires_after_3_minutes() -> None:
    sim = make_cluster(scenario(pools=[web_pool()]), consolidation=False)
    t0 = sim.world.now
    set_capacity(sim, [("m5.large", ZONE_A, t0, t0 + timedelta(hours=1))])
    store = sim.world.store

    sim.run_until(t0 + timedelta(minutes=1))
    store.create(pool_pod("first", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=2))
    (ice,) = journal(sim, "insufficient-capacity")
    assert (ice["type"], ice["zone"], ice["capacity"]) == ("m5.large", ZONE_A, L.SPOT)
    assert when(ice) == t0 + timedelta(minutes=1, seconds=1)
    (first,) = journal(sim, "instance-launched")
    assert (first["capacity"], first["owner"]) == (L.ON_DEMAND, "karpenter/web-od")
    assert when(first) == when(ice)

    # Within the TTL the cached refusal is used: on-demand again, the market is not asked again.
    store.create(pool_pod("second", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(seconds=30))
    assert len(journal(sim, "insufficient-capacity")) == 1
    assert journal(sim, "instance-launched")[-1]["capacity"] == L.ON_DEMAND

    # After the TTL Karpenter tries spot again; capacity is still gone, so a fresh ICE and on-demand.
    sim.run_until(when(ice) + timedelta(minutes=3))
    store.create(pool_pod("third", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(seconds=30))
    ices = journal(sim, "insufficient-capacity")
    assert len(ices) == 2
    assert when(ices[1]) >= when(ice) + timedelta(minutes=3)
    assert journal(sim, "instance-launched")[-1]["capacity"] == L.ON_DEMAND

    # Once capacity is back (and the cache entry has run out) new nodes are spot again.
    sim.run_until(t0 + timedelta(hours=1, minutes=1))
    store.create(pool_pod("fourth", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=3))
    assert journal(sim, "instance-launched")[-1]["capacity"] == L.SPOT
    assert len(journal(sim, "insufficient-capacity")) == 2
    for name in ("first", "second", "third", "fourth"):
        assert node_of(sim, name) is not None


def test_spot_outage_in_one_zone_moves_spot_launches_to_another_zone() -> None:
    zones = [ZONE_A, ZONE_B, ZONE_C]
    sim = make_cluster(scenario(pools=[web_pool(zones=zones)], zones=zones), consolidation=False)
    t0 = sim.world.now
    cheapest = min(zones, key=lambda z: sim.world.market.spot_price("m5.large", z, t0) or 1.0)
    set_capacity(sim, [("m5.large", cheapest, t0, t0 + timedelta(hours=1))])

    sim.world.store.create(pool_pod("p", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=3))

    assert [(e["zone"]) for e in journal(sim, "insufficient-capacity")] == [cheapest]
    (launch,) = journal(sim, "instance-launched")
    assert launch["capacity"] == L.SPOT
    assert launch["zone"] != cheapest


def test_nodepool_cpu_limits_stop_launches() -> None:
    sim = make_cluster(scenario(pools=[web_pool(cpu_limit=4)]), consolidation=False)
    nodepools = {p["metadata"]["name"]: p for p in sim.world.store.list("nodepools")}
    assert nodepools["web-spot"]["spec"]["limits"] == {"cpu": "4"}

    for i in range(5):
        sim.world.store.create(pool_pod(f"p{i}", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=5))

    # Each twin may hold 4 vCPU = two m5.large; the heavier spot pool fills first, then on-demand.
    assert len(nodes_of_pool(sim, "web-spot")) == 2
    assert len(nodes_of_pool(sim, "web-od")) == 2
    placed = [node_of(sim, f"p{i}") for i in range(5)]
    assert placed.count(None) == 1
    (stuck,) = journal(sim, "unprovisionable")
    assert stuck["pod"] == f"default/p{placed.index(None)}"


def test_an_unprovisionable_pod_is_retried_once_a_nodepool_limit_is_raised() -> None:
    """Karpenter's pod trigger requeues a provisionable pod every 10 s, so raising a limit is enough: no other
    pod or node event has to happen for the stuck pod to get its node."""
    sim = make_cluster(scenario(pools=[web_pool(cpu_limit=2)]), consolidation=False)
    store = sim.world.store
    store.create(pool_pod("a", cpu=ONE_PER_NODE))
    store.create(pool_pod("b", cpu=ONE_PER_NODE))
    store.create(pool_pod("c", cpu=ONE_PER_NODE))
    sim.run_for(timedelta(minutes=5))
    assert [node_of(sim, n) is None for n in "abc"].count(True) == 1
    assert len(journal(sim, "unprovisionable")) == 1

    store.patch("nodepools", "web-spot", {"spec": {"limits": {"cpu": "4"}}})
    sim.run_for(timedelta(seconds=10 + 1 + 60 + 5))  # requeue + batch + launch + slack

    assert len(nodes_of_pool(sim, "web-spot")) == 2
    assert None not in [node_of(sim, n) for n in "abc"]


def test_a_spot_only_pod_gets_a_node_when_spot_capacity_returns() -> None:
    """A pod that requires spot waits out the outage; once capacity is back Karpenter's periodic requeue
    launches for it without any other event in the cluster."""
    sim = make_cluster(scenario(pools=[web_pool()]), consolidation=False)
    t0 = sim.world.now
    set_capacity(sim, [("m5.large", ZONE_A, t0, t0 + timedelta(minutes=30))])
    spot_only = [[{"key": L.CAPACITY_TYPE, "operator": "In", "values": [L.SPOT]}]]
    sim.world.store.create(pool_pod("p", cpu="500m", affinity_terms=spot_only))
    sim.run_for(timedelta(minutes=10))
    assert node_of(sim, "p") is None
    assert journal(sim, "instance-launched") == []

    sim.run_until(t0 + timedelta(minutes=33))
    (launch,) = journal(sim, "instance-launched")
    assert launch["capacity"] == L.SPOT
    assert when(launch) <= t0 + timedelta(minutes=30, seconds=11)
    assert node_of(sim, "p") == launch["node"]


def test_nodeclaim_is_deleted_with_its_node() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    store = sim.world.store
    (claim,) = store.list("nodeclaims")
    node_name = claim["status"]["nodeName"]

    sim.fleet.terminate(machine(sim, node_name), "test")
    settle(sim)

    assert store.find("nodes", node_name) is None
    assert store.find("nodeclaims", claim["metadata"]["name"]) is None
    assert node_name not in sim.karpenter.provisioner.by_node
    # The workload's pods were replaced and a new claim provisioned for them.
    sim.run_for(timedelta(minutes=3))
    (replacement,) = store.list("nodeclaims")
    assert replacement["metadata"]["name"] != claim["metadata"]["name"]
    assert all(
        p["spec"].get("nodeName") == replacement["status"]["nodeName"] for p in workload_pods(sim, "app")
    )


def test_warm_start_is_steady_at_t0() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[APP]))
    assert sim.world.now == START
    pods = workload_pods(sim, "app")
    assert len(pods) == 3
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods
    )
    assert sim.world.state.pending == set()


def test_equal_weights_order_nodepools_by_name_descending() -> None:
    """Karpenter's ``OrderByWeight`` (pkg/utils/nodepool) breaks weight ties by name, the name later in the
    alphabet first: with ``web-spot`` and ``web-od`` at equal weight, ``web-spot`` is tried first."""
    sim = make_cluster(scenario(pools=[web_pool(spot_weight=50, on_demand_weight=50)]))
    sim.world.store.create(pool_pod("p", cpu="500m"))
    sim.run_for(timedelta(minutes=3))

    (launch,) = journal(sim, "instance-launched")
    assert launch["owner"] == "karpenter/web-spot"
