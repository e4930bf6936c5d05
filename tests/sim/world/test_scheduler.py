"""The simulated default scheduler: packing, selectors, taints, priority and preemption, Unschedulable."""

from __future__ import annotations

from datetime import timedelta

from spotvortex.sim.world import labels as L
from tests.sim.world.support import (
    condition,
    empty_cluster,
    get_pod,
    guard_against_livelock,
    journal,
    make_cluster,
    node,
    node_names,
    node_of,
    pod,
    pool_pod,
    scenario,
    settle,
    web_pool,
)

SPOT = {L.CAPACITY_TYPE: L.SPOT}
ON_DEMAND = {L.CAPACITY_TYPE: L.ON_DEMAND}


def test_the_fullest_node_that_fits_wins() -> None:
    sim = empty_cluster()
    store = sim.world.store
    for name in ("empty", "quarter", "half", "nearly-full"):
        store.create(node(name, cpu="4", memory="16Gi"))
    store.create(pod("q", cpu="1", node_name="quarter"))
    store.create(pod("h", cpu="2", node_name="half"))
    store.create(pod("f", cpu="3500m", node_name="nearly-full"))
    settle(sim)

    store.create(pod("new", cpu="1"))
    settle(sim)

    # nearly-full has 500m left, so the fullest node that still fits is "half".
    assert node_of(sim, "new") == "half"


def test_memory_counts_as_much_as_cpu_when_packing() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("cpu-busy", cpu="4", memory="16Gi"))
    store.create(node("mem-busy", cpu="4", memory="16Gi"))
    store.create(pod("c", cpu="2", memory="1Gi", node_name="cpu-busy"))
    store.create(pod("m", cpu="100m", memory="14Gi", node_name="mem-busy"))
    settle(sim)

    store.create(pod("new", cpu="100m", memory="1Gi"))
    settle(sim)

    assert node_of(sim, "new") == "mem-busy"


def test_a_pod_never_lands_on_a_node_without_room() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("small", cpu="1", memory="2Gi", pods=2))
    store.create(pod("a", cpu="100m"))
    store.create(pod("b", cpu="100m"))
    store.create(pod("c", cpu="100m"))
    settle(sim, 5)

    placed = [n for n in ("a", "b", "c") if node_of(sim, n) == "small"]
    assert len(placed) == 2  # the pod-count limit, not CPU, is the binding one
    (left,) = {"a", "b", "c"} - set(placed)
    assert node_of(sim, left) is None


def test_node_selector_on_capacity_type() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("spot-1", labels=SPOT))
    store.create(node("od-1", labels=ON_DEMAND))
    store.create(pod("filler", cpu="2", node_name="spot-1"))  # spot-1 is the fuller node
    settle(sim)

    store.create(pod("pinned", node_selector={L.CAPACITY_TYPE: L.ON_DEMAND}))
    store.create(pod("free"))
    settle(sim)

    assert node_of(sim, "pinned") == "od-1"
    assert node_of(sim, "free") == "spot-1"


def test_required_node_affinity_on_capacity_type() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("spot-1", labels=SPOT))
    store.create(node("od-1", labels=ON_DEMAND))
    store.create(node("unlabelled"))
    store.create(pod("filler", cpu="3", node_name="unlabelled"))  # the most attractive node by packing
    settle(sim)

    in_spot = [{"key": L.CAPACITY_TYPE, "operator": "In", "values": [L.SPOT]}]
    not_spot = [{"key": L.CAPACITY_TYPE, "operator": "NotIn", "values": [L.SPOT]}]
    has_type = [{"key": L.CAPACITY_TYPE, "operator": "Exists"}]
    store.create(pod("wants-spot", affinity_terms=[in_spot]))
    store.create(pod("avoids-spot", cpu="1500m", affinity_terms=[not_spot]))
    store.create(pod("any-labelled", affinity_terms=[has_type]))
    settle(sim)

    assert node_of(sim, "wants-spot") == "spot-1"
    # NotIn matches nodes without the label too: the unlabelled node is fuller, but 1500m no longer fits.
    assert node_of(sim, "avoids-spot") == "od-1"
    assert node_of(sim, "any-labelled") in {"spot-1", "od-1"}


def test_affinity_terms_are_ored_and_expressions_anded() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("spot-a", labels={**SPOT, L.ZONE: "us-east-1a"}))
    store.create(node("spot-b", labels={**SPOT, L.ZONE: "us-east-1b"}))
    store.create(node("od-b", labels={**ON_DEMAND, L.ZONE: "us-east-1b"}))
    settle(sim)

    spot_in_b = [
        {"key": L.CAPACITY_TYPE, "operator": "In", "values": [L.SPOT]},
        {"key": L.ZONE, "operator": "In", "values": ["us-east-1b"]},
    ]
    store.create(pod("anded", affinity_terms=[spot_in_b]))
    settle(sim)
    assert node_of(sim, "anded") == "spot-b"

    od_only = [{"key": L.CAPACITY_TYPE, "operator": "In", "values": [L.ON_DEMAND]}]
    zone_a_only = [{"key": L.ZONE, "operator": "In", "values": ["us-east-1a"]}]
    store.create(pod("ored-1", cpu="3", affinity_terms=[od_only, zone_a_only]))
    store.create(pod("ored-2", cpu="3", affinity_terms=[od_only, zone_a_only]))
    store.create(pod("ored-3", cpu="3", affinity_terms=[od_only, zone_a_only]))
    settle(sim)
    placed = {node_of(sim, f"ored-{i}") for i in (1, 2, 3)}
    assert placed == {"spot-a", "od-b"} | {None}  # two fit (one per matching node), spot-b never matches


def test_no_schedule_taint_blocks_unless_tolerated() -> None:
    sim = empty_cluster()
    store = sim.world.store
    taint = {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}
    store.create(node("tainted", taints=[taint]))
    settle(sim)

    store.create(pod("plain"))
    store.create(
        pod("wrong-value", tolerations=[{"key": "dedicated", "value": "web", "effect": "NoSchedule"}])
    )
    store.create(
        pod("tolerates", tolerations=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}])
    )
    store.create(pod("exists", tolerations=[{"key": "dedicated", "operator": "Exists"}]))
    store.create(pod("wildcard", tolerations=[{"operator": "Exists"}]))
    settle(sim, 2)

    assert node_of(sim, "plain") is None
    assert node_of(sim, "wrong-value") is None
    assert node_of(sim, "tolerates") == "tainted"
    assert node_of(sim, "exists") == "tainted"
    assert node_of(sim, "wildcard") == "tainted"


def test_no_execute_blocks_and_prefer_no_schedule_does_not() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("no-execute", taints=[{"key": "k", "effect": "NoExecute"}]))
    store.create(node("prefer", taints=[{"key": "k", "effect": "PreferNoSchedule"}]))
    settle(sim)

    for i in range(3):
        store.create(pod(f"p{i}"))
    settle(sim)

    assert {node_of(sim, f"p{i}") for i in range(3)} == {"prefer"}


def test_a_cordoned_node_gets_no_new_pods() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("cordoned", unschedulable=True))
    store.create(node("open"))
    store.create(pod("filler", cpu="3", node_name="cordoned"))  # would win on packing
    settle(sim)

    store.create(pod("p"))
    settle(sim)
    assert node_of(sim, "p") == "open"

    store.patch("nodes", "open", {"spec": {"unschedulable": True}})
    store.create(pod("q"))
    settle(sim, 2)
    assert node_of(sim, "q") is None
    assert node_of(sim, "filler") == "cordoned"  # cordoning evicts nothing


def test_a_not_ready_node_gets_no_pods() -> None:
    sim = empty_cluster()
    sim.world.store.create(node("sick", ready=False))
    sim.world.store.create(pod("p"))
    settle(sim, 2)
    assert node_of(sim, "p") is None


def test_unschedulable_condition_set_on_a_pod_that_fits_nowhere() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("n1", cpu="2"))
    store.create(node("n2", cpu="2"))
    settle(sim)

    store.create(pod("huge", cpu="3"))
    settle(sim, 2)

    found = get_pod(sim, "huge")
    assert found is not None
    assert found["status"]["phase"] == "Pending"
    cond = condition(found, "PodScheduled")
    assert cond is not None
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    assert cond["message"].startswith("0/2 nodes are available")

    # Room appears: the pod is bound and the condition flips to True.
    store.create(node("big", cpu="4"))
    settle(sim, 1)
    assert node_of(sim, "huge") == "big"
    cond = condition(get_pod(sim, "huge") or {}, "PodScheduled")
    assert cond is not None
    assert cond["status"] == "True"


def test_bound_pods_run_and_turn_ready_after_their_startup_time() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("n1"))
    store.create(pod("slow", startup="45s"))
    settle(sim)
    found = get_pod(sim, "slow") or {}
    assert found["status"]["phase"] == "Running"
    assert (condition(found, "Ready") or {}).get("status") == "False"

    settle(sim, 44)
    assert (condition(get_pod(sim, "slow") or {}, "Ready") or {}).get("status") == "False"
    settle(sim, 1)
    assert (condition(get_pod(sim, "slow") or {}, "Ready") or {}).get("status") == "True"


# -- priority and preemption ---------------------------------------------------------------------------------


def test_higher_priority_pods_are_placed_first() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(pod("low", cpu="3", priority=0))
    store.create(pod("high", cpu="3", priority=100))
    settle(sim)  # both pending, nothing to place them on yet

    store.create(node("only", cpu="4"))
    settle(sim)

    assert node_of(sim, "high") == "only"
    assert node_of(sim, "low") is None


def test_high_priority_pod_preempts_the_lowest_priority_pod() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="4"))
    store.create(pod("low", cpu="1", priority=0, node_name="full"))
    store.create(pod("mid", cpu="1", priority=10, node_name="full"))
    store.create(pod("peer", cpu="1", priority=1000, node_name="full"))
    store.create(pod("top", cpu="1", priority=2000, node_name="full"))
    settle(sim)

    store.create(pod("urgent", cpu="1", priority=1000))
    settle(sim, 1)

    preempted = journal(sim, "preempted")
    assert [(e["pod"], e["by"], e["node"]) for e in preempted] == [("low", "urgent", "full")]
    assert get_pod(sim, "low") is None
    assert node_of(sim, "urgent") == "full"
    for survivor in ("mid", "peer", "top"):
        assert node_of(sim, survivor) == "full"


def test_equal_priority_never_preempts() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="2"))
    store.create(pod("a", cpu="1", priority=500, node_name="full"))
    store.create(pod("b", cpu="1", priority=500, node_name="full"))
    settle(sim)

    store.create(pod("c", cpu="1", priority=500))
    settle(sim, 30)

    assert journal(sim, "preempted") == []
    assert node_of(sim, "a") == node_of(sim, "b") == "full"
    assert node_of(sim, "c") is None
    assert (condition(get_pod(sim, "c") or {}, "PodScheduled") or {}).get("reason") == "Unschedulable"


def test_lower_priority_pod_never_preempts() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="2"))
    store.create(pod("a", cpu="2", priority=100, node_name="full"))
    settle(sim)

    store.create(pod("b", cpu="1", priority=0))
    settle(sim, 30)

    assert journal(sim, "preempted") == []
    assert node_of(sim, "b") is None


def test_preemption_frees_several_pods_when_one_is_not_enough() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="4"))
    for i in range(4):
        store.create(pod(f"small-{i}", cpu="1", priority=0, node_name="full"))
    settle(sim)

    store.create(pod("wide", cpu="2", priority=100))
    settle(sim, 1)

    assert len(journal(sim, "preempted")) == 2
    assert node_of(sim, "wide") == "full"
    assert sum(node_of(sim, f"small-{i}") == "full" for i in range(4)) == 2


def test_preemption_picks_a_node_where_it_needs_the_fewest_victims() -> None:
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("many-small", cpu="4"))
    store.create(node("one-big", cpu="4"))
    for i in range(4):
        store.create(pod(f"s{i}", cpu="1", priority=0, node_name="many-small"))
    store.create(pod("b", cpu="4", priority=0, node_name="one-big"))
    settle(sim)

    store.create(pod("wide", cpu="3", priority=100))
    settle(sim, 1)

    assert [e["pod"] for e in journal(sim, "preempted")] == ["b"]
    assert node_of(sim, "wide") == "one-big"


def test_preemption_reprieves_higher_priority_victims_it_does_not_need() -> None:
    """The scheduler removes every lower-priority pod, then reprieves them highest priority first while the
    preemptor still fits (``selectVictimsOnNode``), so a small low-priority pod whose eviction would not be
    enough on its own is spared when a bigger, higher-priority victim makes the room."""
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="4"))
    store.create(pod("low-small", cpu="1", priority=0, node_name="full"))
    store.create(pod("mid-big", cpu="2", priority=5, node_name="full"))
    store.create(pod("high-small", cpu="1", priority=10, node_name="full"))
    settle(sim)

    store.create(pod("urgent", cpu="2", priority=100))
    settle(sim, 1)

    assert [e["pod"] for e in journal(sim, "preempted")] == ["mid-big"]
    assert node_of(sim, "low-small") == "full"
    assert node_of(sim, "high-small") == "full"
    assert node_of(sim, "urgent") == "full"


def test_room_freed_by_preemption_is_held_for_the_nominated_pod() -> None:
    """Once a preemptor is nominated to a node, the scheduler counts it there when filtering pods of equal
    or lower priority, so a lower-priority pending pod cannot take the room its victims freed."""
    sim = empty_cluster()
    store = sim.world.store
    store.create(node("full", cpu="4"))
    store.create(pod("v1", cpu="1", priority=0, node_name="full"))
    store.create(pod("v2", cpu="1", priority=0, node_name="full"))
    store.create(pod("k1", cpu="1", priority=50, node_name="full"))
    store.create(pod("k2", cpu="1", priority=50, node_name="full"))
    settle(sim)

    store.create(pod("preemptor", cpu="2", priority=100))
    store.create(pod("bystander", cpu="1", priority=50))
    settle(sim, 10)

    assert sorted(e["pod"] for e in journal(sim, "preempted")) == ["v1", "v2"]
    assert node_of(sim, "preemptor") == "full"
    assert node_of(sim, "k1") == node_of(sim, "k2") == "full"
    assert node_of(sim, "bystander") is None


def test_a_preemptor_is_not_starved_by_a_deployment_recreating_its_victims() -> None:
    """Two batch pods wait for capacity the NodePool limits will never give. A higher-priority pod preempts
    one running batch pod; the Deployment recreates it at once. The room must go to the nominated pod
    (one preemption, bound) - not to the waiting batch pods, which would restart the cycle at the same
    instant forever and stop simulated time."""
    batch = {
        "name": "batch",
        "pool": "web",
        "replicas": 6,
        "cpu": "900m",
        "memory": "256Mi",
        "priority": -100,
    }
    sim = make_cluster(scenario(pools=[web_pool(cpu_limit=2)], workloads=[batch]))
    guard_against_livelock(sim, limit=2_000)
    assert len(node_names(sim)) == 2
    assert len(sim.world.state.pending) == 2  # 4 of 6 fit; the limits stop further launches

    sim.world.store.create(pool_pod("urgent", cpu="900m", priority=0))
    sim.run_for(timedelta(minutes=1))

    assert len(journal(sim, "preempted")) == 1
    assert node_of(sim, "urgent") in node_names(sim)
