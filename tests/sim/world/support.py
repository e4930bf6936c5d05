"""Builders for the simulated-world tests: tiny scenarios on the fixture market, pods, nodes, capacity.

Every scenario here uses ``market: {data: fixture, capacity: none}`` so a test owns spot capacity entirely:
it either injects a :class:`CapacityTimeline` (``set_capacity``) or calls the spot market directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from spotvortex.sim.market.capacity import CapacityTimeline, Outage, Rebalance
from spotvortex.sim.scenario.loader import parse_scenario
from spotvortex.sim.scenario.schema import Scenario
from spotvortex.sim.world import labels as L
from spotvortex.sim.world.build import SimCluster, build
from spotvortex.sim.world.karpenter.nodepools import Offering
from spotvortex.sim.world.karpenter.provisioner import Claim
from spotvortex.sim.world.karpenter.settings import KarpenterSettings
from spotvortex.sim.world.machines import Machine

Obj = dict[str, Any]

START = datetime(2021, 3, 10, tzinfo=UTC)
"""Mid-March 2021: every fixture price series has data well before and after."""
ZONE_A, ZONE_B, ZONE_C = "us-east-1a", "us-east-1b", "us-east-1c"


# -- scenarios and clusters ----------------------------------------------------------------------------------


def scenario(
    *,
    pools: Sequence[Mapping[str, Any]] = (),
    workloads: Sequence[Mapping[str, Any]] = (),
    zones: Sequence[str] = (ZONE_A,),
    start: datetime = START,
    karpenter: Mapping[str, Any] | None = None,
    market: Mapping[str, Any] | None = None,
    seed: int = 1,
) -> Scenario:
    """A scenario document on the fixture market with no spot capacity process, parsed like a file."""
    doc: dict[str, Any] = {
        "name": "world-test",
        "zones": list(zones),
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": "1d",
        "seed": seed,
        "market": {"data": "fixture", "capacity": "none", **(market or {})},
        "pools": [dict(p) for p in pools],
        "workloads": [dict(w) for w in workloads],
    }
    if karpenter:
        doc["karpenter"] = dict(karpenter)
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "world-test")


def web_pool(**overrides: Any) -> dict[str, Any]:
    """One Karpenter pool ``web`` on m5.large in zone a (so every offering is known in advance)."""
    return {"name": "web", "instance_types": ["m5.large"], "zones": [ZONE_A], **overrides}


def make_cluster(
    scn: Scenario, *, seed: int | None = None, duration: timedelta | None = None, **settings: Any
) -> SimCluster:
    """Build and warm-start; keyword arguments become :class:`KarpenterSettings` fields."""
    return build(
        scn, seed=seed, duration=duration, karpenter=KarpenterSettings(**settings) if settings else None
    )


def empty_cluster(**settings: Any) -> SimCluster:
    """No pools, no workloads: a bare scheduler/kubelet world for tests that create nodes themselves."""
    return make_cluster(scenario(), **settings)


# -- manifests -------------------------------------------------------------------------------------------------


def pod(
    name: str,
    *,
    cpu: str = "500m",
    memory: str = "256Mi",
    priority: int = 0,
    node_selector: Mapping[str, str] | None = None,
    affinity_terms: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    tolerations: Sequence[Mapping[str, Any]] | None = None,
    node_name: str | None = None,
    labels: Mapping[str, str] | None = None,
    startup: str | None = None,
    namespace: str = "default",
) -> Obj:
    """A bare pod (no controller) as a client would create it."""
    spec: Obj = {
        "containers": [
            {
                "name": "app",
                "image": "registry.k8s.io/pause:3.10",
                "resources": {"requests": {"cpu": cpu, "memory": memory}},
            }
        ],
        "priority": priority,
    }
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    if affinity_terms is not None:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [dict(e) for e in term]} for term in affinity_terms
                    ]
                }
            }
        }
    if tolerations:
        spec["tolerations"] = [dict(t) for t in tolerations]
    if node_name:
        spec["nodeName"] = node_name
    metadata: Obj = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if startup is not None:
        metadata["annotations"] = {L.STARTUP_ANNOTATION: startup}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {"phase": "Pending"},
    }


def pool_pod(name: str, pool: str = "web", **kwargs: Any) -> Obj:
    """A pod that selects one scenario pool, as the scenario's own workloads do."""
    selector = {L.POOL: pool, **(kwargs.pop("node_selector", None) or {})}
    return pod(name, node_selector=selector, **kwargs)


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "16Gi",
    pods: int = 110,
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Mapping[str, Any]] = (),
    unschedulable: bool = False,
    ready: bool = True,
) -> Obj:
    """A registered, Ready node with exactly the allocatable resources given."""
    spec: Obj = {"taints": [dict(t) for t in taints]}
    if unschedulable:
        spec["unschedulable"] = True
    alloc = {"cpu": cpu, "memory": memory, "pods": str(pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {
            "capacity": dict(alloc),
            "allocatable": dict(alloc),
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


# -- reading the world ---------------------------------------------------------------------------------------


def settle(sim: SimCluster, seconds: float = 0.0) -> None:
    """Let everything due within ``seconds`` (at least the current instant) run."""
    sim.run_for(timedelta(seconds=seconds))


def get_pod(sim: SimCluster, name: str, namespace: str = "default") -> Obj | None:
    return sim.world.store.find("pods", name, namespace)


def node_of(sim: SimCluster, name: str, namespace: str = "default") -> str | None:
    found = get_pod(sim, name, namespace)
    if found is None:
        return None
    return (found.get("spec") or {}).get("nodeName") or None


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            found: Mapping[str, Any] = cond
            return found
    return None


def is_ready(obj: Mapping[str, Any]) -> bool:
    cond = condition(obj, "Ready")
    return cond is not None and cond.get("status") == "True"


def pods_on(sim: SimCluster, node_name: str) -> list[str]:
    return sorted(p["metadata"]["name"] for p in sim.world.state.pods_on(node_name))


def workload_pods(sim: SimCluster, workload: str) -> list[Obj]:
    return sim.world.store.list("pods", label_selector=f"{L.WORKLOAD}={workload}")


def node_names(sim: SimCluster) -> set[str]:
    return {n["metadata"]["name"] for n in sim.world.store.list("nodes")}


def nodes_of_pool(sim: SimCluster, nodepool: str) -> list[Obj]:
    return sim.world.store.list("nodes", label_selector=f"{L.NODEPOOL}={nodepool}")


def journal(sim: SimCluster, *kinds: str) -> list[dict[str, Any]]:
    return sim.world.journal.of_kind(*kinds)


def when(entry: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["time"])


def machine(sim: SimCluster, node_name: str) -> Machine:
    return next(m for m in sim.fleet.history if m.node_name == node_name)


def launch(sim: SimCluster, nodepool: str, instance_type: str, zone: str, capacity_type: str) -> Claim:
    """Have the Karpenter simulator launch one specific offering for ``nodepool`` (registers after latency)."""
    provisioner = sim.karpenter.provisioner
    pool = next(p for p in provisioner.pools() if p.name == nodepool)
    shape = next(s for s in provisioner.catalogue if s.name == instance_type)
    return provisioner.launch(pool, Offering(shape, zone, capacity_type))


# -- spot capacity -------------------------------------------------------------------------------------------


def set_capacity(
    sim: SimCluster,
    outages: Iterable[tuple[str, str, datetime, datetime]] = (),
    rebalances: Iterable[tuple[str, str, datetime]] = (),
) -> CapacityTimeline:
    """Replace the (absent) capacity process with explicit outages of (type, zone, start, end) and start it.

    Times are world times; the scenarios here run the world on the market's own clock (offset zero).
    """
    view = sim.world.market
    assert view.capacity is None, "set_capacity replaces a scenario built with capacity: none"
    by_pool: dict[tuple[str, str], list[Outage]] = {}
    for itype, zone, start, end in outages:
        by_pool.setdefault((itype, zone), []).append(
            Outage(itype, zone, view.market_time(start), view.market_time(end), "test")
        )
    timeline = CapacityTimeline(
        start=view.market_time(sim.world.now) - timedelta(days=1),
        end=view.market_time(sim.world.now) + timedelta(days=60),
        outages={k: sorted(v, key=lambda o: o.start) for k, v in by_pool.items()},
        rebalances=sorted(
            (Rebalance(t, z, view.market_time(at), False) for t, z, at in rebalances),
            key=lambda r: (r.time, r.instance_type, r.zone),
        ),
    )
    install_capacity(sim, timeline)
    return timeline


def install_capacity(sim: SimCluster, timeline: CapacityTimeline) -> None:
    sim.world.market = dataclasses.replace(sim.world.market, capacity=timeline)
    sim.spot_market.start()


class Livelock(AssertionError):
    """The world kept changing at one instant: simulated time would never advance."""


def guard_against_livelock(sim: SimCluster, limit: int = 20_000) -> None:
    """Fail (instead of hanging) when more than ``limit`` pod/node changes happen at a single instant."""
    seen: dict[str, Any] = {"at": None, "changes": 0}

    def observe(_change: object) -> None:
        if sim.world.now != seen["at"]:
            seen["at"], seen["changes"] = sim.world.now, 0
        seen["changes"] += 1
        if seen["changes"] > limit:
            raise Livelock(f"{limit} pod/node changes at {sim.world.now.isoformat()} without time moving")

    sim.world.state.observe(observe)


def hazard_capacity(
    sim: SimCluster, *, seed: int, days: float, speedup: float = 8.0, mean_outage_minutes: float = 40.0
) -> CapacityTimeline:
    """A hazard-model capacity timeline for every (type, zone) of the scenario, ``speedup`` times busier than
    the top advisor band: the process is drawn over a window ``speedup`` times longer and compressed (outage
    lengths keep their mean). A pure function of the seed, like the simulator's own."""
    from spotvortex.sim.market.capacity import HazardParameters, from_hazard
    from spotvortex.sim.world.build import expand_pools

    scn = sim.scenario
    keys = sorted(
        {(t, z) for p, _ in expand_pools(scn) for t in p.instance_types for z in (p.zones or scn.zones)}
    )
    start = sim.world.market.market_time(sim.world.now)
    top = HazardParameters().top_band_rate  # every pool rated like the open-ended ">20%" advisor band
    params = HazardParameters(mean_outage_minutes=mean_outage_minutes * speedup, default_band_rate=top)
    drawn = from_hazard(keys, start, start + timedelta(days=days * speedup), seed=seed, params=params)

    def squeeze(t: datetime) -> datetime:
        return start + (t - start) / speedup

    timeline = CapacityTimeline(
        start=start,
        end=start + timedelta(days=days),
        outages={
            k: [Outage(o.instance_type, o.zone, squeeze(o.start), squeeze(o.end), o.cause) for o in v]
            for k, v in drawn.outages.items()
        },
        rebalances=[
            Rebalance(r.instance_type, r.zone, squeeze(r.time), r.precedes_outage) for r in drawn.rebalances
        ],
    )
    install_capacity(sim, timeline)
    return timeline
