"""Spot interruptions and rebalance recommendations acting on Karpenter nodes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spotvortex.contracts.market import MarketEvent, MarketInterruption, MarketRebalance
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster
from tests.sim.world.support import (
    ZONE_A,
    ZONE_B,
    is_ready,
    journal,
    launch,
    machine,
    make_cluster,
    node_names,
    pods_on,
    scenario,
    set_capacity,
    settle,
    web_pool,
    when,
    workload_pods,
)


def app(replicas: int = 2, cpu: str = "1500m", **extra: object) -> dict[str, object]:
    return {
        "name": "app",
        "pool": "web",
        "replicas": replicas,
        "cpu": cpu,
        "memory": "512Mi",
        "startup": "20s",
        **extra,
    }


def listen(sim: SimCluster) -> list[MarketEvent]:
    events: list[MarketEvent] = []
    sim.world.on_announcement(events.append)
    return events


def ready_elsewhere(sim: SimCluster, gone: str) -> int:
    return sum(1 for p in workload_pods(sim, "app") if p["spec"].get("nodeName") != gone and is_ready(p))


def test_notice_taints_the_node_announces_it_and_replaces_its_pods() -> None:
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[app()]))
    events = listen(sim)
    victim = sorted(node_names(sim))[0]
    target = machine(sim, victim)
    t0 = sim.world.now

    sim.spot_market.interrupt(target)
    settle(sim)

    (event,) = events
    assert isinstance(event, MarketInterruption)
    assert (event.node, event.instance_id, event.zone, event.instance_type) == (
        victim,
        target.instance_id,
        ZONE_A,
        "m5.large",
    )
    assert event.notice_seconds == 120
    assert event.time == t0
    (notice,) = journal(sim, "interruption-notice")
    assert (notice["node"], when(notice)) == (victim, t0)
    (drain,) = journal(sim, "drain-started")
    assert (drain["node"], drain["reason"], when(drain)) == (victim, "interruption", t0)

    # Nothing evicted was left on the node; the claim is gone with it.
    assert victim not in node_names(sim)
    assert victim not in {c["status"]["nodeName"] for c in sim.world.store.list("nodeclaims")}
    assert target.terminated is not None
    assert target.terminated - t0 <= timedelta(seconds=120)

    sim.run_for(timedelta(minutes=3))
    assert ready_elsewhere(sim, victim) == 2
    assert len(workload_pods(sim, "app")) == 2


def test_the_disrupted_taint_is_on_the_node_while_a_pdb_holds_the_drain() -> None:
    sim = make_cluster(
        scenario(pools=[web_pool()], workloads=[app(replicas=1, cpu="500m", pdb={"min_available": 1})])
    )
    (victim,) = node_names(sim)
    sim.spot_market.interrupt(machine(sim, victim))
    settle(sim, 1)

    node = sim.world.store.get("nodes", victim)
    assert {"key": L.DISRUPTED_TAINT, "effect": "NoSchedule"} in node["spec"]["taints"]
    assert pods_on(sim, victim)  # the PDB refused the eviction


def test_node_is_reclaimed_exactly_120s_after_the_notice_when_pods_cannot_leave() -> None:
    sim = make_cluster(
        scenario(pools=[web_pool()], workloads=[app(replicas=1, cpu="500m", pdb={"min_available": 1})])
    )
    (victim,) = node_names(sim)
    target = machine(sim, victim)
    t0 = sim.world.now
    sim.spot_market.interrupt(target)

    sim.run_until(t0 + timedelta(seconds=119))
    assert victim in node_names(sim)
    sim.run_until(t0 + timedelta(seconds=120))
    assert victim not in node_names(sim)
    assert target.terminated == t0 + timedelta(seconds=120)
    (gone,) = journal(sim, "instance-terminated")
    assert (gone["instance"], gone["reason"], when(gone)) == (
        target.instance_id,
        "spot-interruption",
        t0 + timedelta(seconds=120),
    )


def test_without_interruption_handling_pods_stay_until_the_reclaim() -> None:
    sim = make_cluster(
        scenario(pools=[web_pool()], workloads=[app(replicas=2, cpu="500m")]), interruption_handling=False
    )
    events = listen(sim)
    (victim,) = node_names(sim)
    before = sorted(p["metadata"]["name"] for p in workload_pods(sim, "app"))
    t0 = sim.world.now
    sim.spot_market.interrupt(machine(sim, victim))

    sim.run_until(t0 + timedelta(seconds=119))
    assert len(events) == 1  # the notice still goes out: it is the cloud's, not Karpenter's
    assert journal(sim, "drain-started") == []
    node = sim.world.store.get("nodes", victim)
    assert not any(t["key"] == L.DISRUPTED_TAINT for t in node["spec"].get("taints") or [])
    assert pods_on(sim, victim) == before
    assert journal(sim, "nodeclaim-created")[-1]["node"] == victim  # nothing launched ahead

    sim.run_until(t0 + timedelta(seconds=120))
    assert victim not in node_names(sim)
    assert not any(sim.world.store.find("pods", n) for n in before)
    # The replacements only start looking for capacity now.
    sim.run_for(timedelta(minutes=3))
    assert ready_elsewhere(sim, victim) == 2


@pytest.mark.parametrize(
    "pdb", [{"min_available": 2}, {"max_unavailable": 1}], ids=["minAvailable", "maxUnavailable"]
)
def test_pdb_refused_evictions_are_retried_until_they_succeed(pdb: dict[str, int]) -> None:
    """Three replicas, two on the interrupted node, at most one may be down: the second eviction is refused
    (429) until the first pod's replacement is Ready elsewhere, then retried and admitted within the notice.

    With ``maxUnavailable`` the disruption controller takes the expected pod count from the owning
    controller's scale (3), not from the pods that happen to exist after the first eviction."""
    workload = app(replicas=3, cpu="900m", pdb=pdb)
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[workload]))
    crowded = max(node_names(sim), key=lambda n: len(pods_on(sim, n)))
    first, second = pods_on(sim, crowded)
    t0 = sim.world.now

    sim.spot_market.interrupt(machine(sim, crowded))
    sim.run_for(timedelta(seconds=130))

    stamp = "%Y-%m-%dT%H:%M:%SZ"
    evicted = {d.name: d.time for d in sim.world.store.deletions if d.evicted and d.resource == "pods"}
    assert evicted[first] == t0.strftime(stamp)
    assert second in evicted, "the refused eviction was never retried"
    assert evicted[second] != t0.strftime(stamp), "evicted together with the first pod: the PDB did not hold"
    assert evicted[second] < (t0 + timedelta(seconds=120)).strftime(stamp)
    (gone,) = [
        e for e in journal(sim, "instance-terminated") if e["instance"] == machine(sim, crowded).instance_id
    ]
    assert gone["reason"] == "interruption"  # drained in time: Karpenter terminated it, not the reclaim
    ready = [p for p in workload_pods(sim, "app") if is_ready(p)]
    assert len(ready) == 3


def test_interrupted_offering_is_avoided_for_the_ice_ttl() -> None:
    """Karpenter's interruption controller marks the interrupted (type, zone) spot offering unavailable, so
    the replacement capacity is not launched into the pool being reclaimed."""
    sim = make_cluster(scenario(pools=[web_pool()], workloads=[app(replicas=1, cpu="500m")]))
    (victim,) = node_names(sim)
    sim.spot_market.interrupt(machine(sim, victim))
    sim.run_for(timedelta(minutes=2))

    replacement = journal(sim, "instance-launched")[-1]
    assert replacement["node"] != victim
    assert (replacement["type"], replacement["zone"], replacement["capacity"]) != ("m5.large", ZONE_A, L.SPOT)
    assert replacement["capacity"] == L.ON_DEMAND


def test_capacity_loss_interrupts_every_spot_node_of_that_pool_only() -> None:
    zones = [ZONE_A, ZONE_B]
    sim = make_cluster(scenario(pools=[web_pool(zones=zones)], zones=zones), consolidation=False)
    spot_a = [launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT) for _ in range(2)]
    spot_b = launch(sim, "web-spot", "m5.large", ZONE_B, L.SPOT)
    od_a = launch(sim, "web-od", "m5.large", ZONE_A, L.ON_DEMAND)
    sim.run_for(timedelta(minutes=2))
    events = listen(sim)
    t0 = sim.world.now
    set_capacity(sim, [("m5.large", ZONE_A, t0 + timedelta(minutes=1), t0 + timedelta(hours=1))])

    sim.run_for(timedelta(minutes=1))

    assert sorted(str(e.node) for e in events if isinstance(e, MarketInterruption)) == sorted(
        c.machine.node_name for c in spot_a
    )
    assert spot_b.machine.notice is None
    assert od_a.machine.notice is None
    (lost,) = journal(sim, "capacity-lost")
    assert (lost["type"], lost["zone"], when(lost)) == ("m5.large", ZONE_A, t0 + timedelta(minutes=1))


def test_rebalance_reaches_only_running_spot_nodes_of_that_pool() -> None:
    zones = [ZONE_A, ZONE_B]
    sim = make_cluster(
        scenario(pools=[web_pool(instance_types=["m5.large", "m5.xlarge"], zones=zones)], zones=zones),
        consolidation=False,
    )
    targets = [launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT) for _ in range(2)]
    noticed = launch(sim, "web-spot", "m5.large", ZONE_A, L.SPOT)
    others = [
        launch(sim, "web-spot", "m5.large", ZONE_B, L.SPOT),
        launch(sim, "web-spot", "m5.xlarge", ZONE_A, L.SPOT),
        launch(sim, "web-od", "m5.large", ZONE_A, L.ON_DEMAND),
    ]
    sim.run_for(timedelta(minutes=2))
    sim.spot_market.interrupt(noticed.machine)  # already on its way out: no rebalance for it
    events = listen(sim)
    t0 = sim.world.now
    set_capacity(sim, rebalances=[("m5.large", ZONE_A, t0 + timedelta(minutes=5))])

    sim.run_for(timedelta(minutes=5))

    rebalances = [e for e in events if isinstance(e, MarketRebalance)]
    assert sorted(str(e.node) for e in rebalances) == sorted(c.machine.node_name for c in targets)
    assert {(e.zone, e.instance_type) for e in rebalances} == {(ZONE_A, "m5.large")}
    assert all(e.time == t0 + timedelta(minutes=5) for e in rebalances)
    (entry,) = journal(sim, "rebalance")
    assert entry["nodes"] == 2
    # A recommendation is only a signal: nothing is drained or terminated because of it.
    assert all(c.machine.terminated is None for c in [*targets, *others])
    assert [e["node"] for e in journal(sim, "drain-started")] == [noticed.machine.node_name]
