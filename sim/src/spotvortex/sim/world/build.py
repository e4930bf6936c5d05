"""From a scenario to a running world: market, store, controllers, NodePools, workloads, warm start.

The warm start places the scenario's workloads with zero launch latency and instant readiness, so a run
begins from a steady cluster (what Karpenter would have built) and the ledger counts only what happens
after it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spotvortex.sim.kube.server import KubeEmulator
from spotvortex.sim.market.advisor import load_advisor
from spotvortex.sim.market.availability import load_availability
from spotvortex.sim.market.capacity import CapacityTimeline, HazardParameters, from_hazard, from_traces
from spotvortex.sim.market.ondemand import OnDemandPrices, load_on_demand
from spotvortex.sim.market.prices import PriceSeries, SpotPriceBook, load_spot_prices
from spotvortex.sim.market.scripted import load_scripted
from spotvortex.sim.market.sources import MarketFiles, default_market_files
from spotvortex.sim.scenario.durations import seconds
from spotvortex.sim.scenario.loader import ScenarioError
from spotvortex.sim.scenario.schema import Pool, Scenario

from . import labels as L
from .asg import AutoScaling, GroupState
from .core import World
from .fleet import Fleet
from .karpenter.controller import Karpenter
from .karpenter.settings import KarpenterSettings
from .kubelet import Kubelet
from .ledger import Ledger
from .market import MarketView
from .quantity import cpu_millis, memory_mib
from .scheduler import Scheduler
from .shapes import Shape, shape_of
from .spot_market import SpotMarket
from .timeline import Timeline
from .workloads import Workloads, WorkloadSpec


@dataclass
class SimCluster:
    """Everything a run needs, built and warm."""

    scenario: Scenario
    world: World
    emulator: KubeEmulator
    fleet: Fleet
    karpenter: Karpenter
    spot_market: SpotMarket
    workloads: Workloads
    ledger: Ledger
    autoscaling: AutoScaling
    end: datetime

    def run_until(self, when: datetime) -> int:
        return self.world.timeline.run_until(when)

    def run_for(self, duration: timedelta) -> int:
        return self.run_until(self.world.now + duration)


@functools.lru_cache(maxsize=4)
def _on_demand(path: Path, region: str) -> OnDemandPrices:
    return load_on_demand(path, region)


def market_files(scenario: Scenario) -> MarketFiles:
    files = default_market_files(prefer_real=scenario.market.data != "fixture")
    if scenario.market.data == "real" and not files.real:
        raise ScenarioError(
            f"{scenario.name}: market.data is 'real' but the real data set is absent "
            "(put it in shared/data beside the checkout or set SPOTVORTEX_MARKET_DATA)"
        )
    return files


def _scripted_book(path: str, region: str, pools: list[tuple[str, str]], start: datetime) -> SpotPriceBook:
    from spotvortex.sim.feed.scripted import scripted_events

    feed = scripted_events(load_scripted(path), pools, start, steps=288, interval=timedelta(minutes=5))
    points: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
    for event in feed.events:
        if event.time is not None:
            points.setdefault((event.instance_type, event.zone), []).append((event.time, event.spot_price))
    series = {
        key: PriceSeries(key[0], key[1], tuple(t for t, _ in rows), tuple(p for _, p in rows))
        for key, rows in points.items()
    }
    return SpotPriceBook(region=region, series=series)


def _capacity(
    scenario: Scenario, files: MarketFiles, pools: list[tuple[str, str]], end: datetime, seed: int
) -> CapacityTimeline | None:
    kind = scenario.market.capacity
    h = scenario.market.hazard
    params = HazardParameters(
        zone_share=h.zone_share,
        mean_outage_minutes=h.mean_outage_minutes,
        rebalance_before_loss=h.rebalance_before_loss,
        spurious_rebalance_ratio=h.spurious_rebalance_ratio,
        rate_multiplier=h.rate_multiplier,
    )
    if kind == "none":
        return None
    if kind == "traces":
        traces = load_availability(files.availability)
        return from_traces(pools, traces, scenario.start, end, seed=seed, params=params)
    advisor = load_advisor(files.advisor)
    return from_hazard(
        pools, scenario.start, end, seed=seed, region=scenario.region, advisor=advisor, params=params
    )


def expand_pools(scenario: Scenario) -> list[tuple[Pool, str]]:
    """(pool declaration, concrete pool name) for every copy."""
    out = []
    for pool in scenario.pools:
        if pool.copies == 1:
            out.append((pool, pool.name))
        else:
            out.extend((pool, f"{pool.name}-{i:02d}") for i in range(1, pool.copies + 1))
    return out


def _floor(
    replicas: int, min_available: int | str | None, max_unavailable: int | str | None, floor: int | None
) -> int:
    if floor is not None:
        return floor
    if min_available is not None:
        if isinstance(min_available, str) and min_available.endswith("%"):
            return math.ceil(replicas * float(min_available[:-1]) / 100)
        return int(min_available)
    if max_unavailable is not None:
        if isinstance(max_unavailable, str) and max_unavailable.endswith("%"):
            return replicas - math.floor(replicas * float(max_unavailable[:-1]) / 100)
        return replicas - int(max_unavailable)
    return math.ceil(replicas / 2)


def workload_specs(scenario: Scenario) -> list[WorkloadSpec]:
    copies: dict[str, list[str]] = {}
    for pool, concrete in expand_pools(scenario):
        copies.setdefault(pool.name, []).append(concrete)
    specs = []
    for w in scenario.workloads:
        targets = copies[w.pool]
        for concrete in targets:
            name = w.name if len(targets) == 1 else f"{w.name}-{concrete.rsplit('-', 1)[1]}"
            pdb = w.pdb
            specs.append(
                WorkloadSpec(
                    name=name,
                    pool=concrete,
                    replicas=w.replicas,
                    cpu_millis=cpu_millis(w.cpu),
                    memory_mib=memory_mib(w.memory),
                    namespace=w.namespace.format(pool=concrete),
                    kind=w.kind,
                    startup_seconds=seconds(w.startup),
                    priority=w.priority,
                    capacity_types=tuple(w.capacity_types or ()),
                    min_available=pdb.min_available if pdb else None,
                    max_unavailable=pdb.max_unavailable if pdb else None,
                    floor=_floor(
                        w.replicas,
                        pdb.min_available if pdb else None,
                        pdb.max_unavailable if pdb else None,
                        w.floor,
                    ),
                    penalty_per_hour=w.penalty_per_hour,
                )
            )
    return specs


def nodepool_manifests(scenario: Scenario) -> list[dict[str, Any]]:
    """Twin NodePools per Karpenter pool: ``<pool>-spot`` and ``<pool>-od``, selected by ``spotvortex.io/pool``."""
    manifests = []
    for pool, concrete in expand_pools(scenario):
        if pool.autoscaler != "karpenter":
            continue
        zones = pool.zones or scenario.zones
        for suffix, capacity, weight in (
            ("spot", L.SPOT, pool.spot_weight),
            ("od", L.ON_DEMAND, pool.on_demand_weight),
        ):
            disruption: dict[str, Any] = {
                "consolidationPolicy": pool.consolidation_policy
                if pool.consolidation_policy != "Never"
                else "WhenEmpty",
                "consolidateAfter": "Never"
                if pool.consolidation_policy == "Never"
                else f"{seconds(pool.consolidate_after):g}s",
                "budgets": [
                    {
                        k: v
                        for k, v in {
                            "nodes": str(b.nodes),
                            "schedule": b.schedule,
                            "duration": b.duration,
                            "reasons": b.reasons,
                        }.items()
                        if v is not None
                    }
                    for b in (pool.budgets or [])
                ]
                or [{"nodes": "10%"}],
            }
            spec: dict[str, Any] = {
                "weight": weight,
                "template": {
                    "metadata": {"labels": {L.POOL: concrete}},
                    "spec": {
                        "nodeClassRef": {
                            "group": "karpenter.k8s.aws",
                            "kind": "EC2NodeClass",
                            "name": "default",
                        },
                        "requirements": [
                            {"key": L.CAPACITY_TYPE, "operator": "In", "values": [capacity]},
                            {"key": L.INSTANCE_TYPE, "operator": "In", "values": list(pool.instance_types)},
                            {"key": L.ZONE, "operator": "In", "values": list(zones)},
                        ],
                        "expireAfter": "720h",
                    },
                },
                "disruption": disruption,
            }
            if pool.cpu_limit is not None:
                spec["limits"] = {"cpu": str(pool.cpu_limit)}
            manifests.append(
                {
                    "apiVersion": "karpenter.sh/v1",
                    "kind": "NodePool",
                    "metadata": {"name": f"{concrete}-{suffix}", "labels": {L.POOL: concrete}},
                    "spec": spec,
                }
            )
    return manifests


def asg_groups(scenario: Scenario, shapes: list[Shape], created: datetime) -> list[GroupState]:
    """Twin groups ``<pool>-spot-asg`` and ``<pool>-od-asg`` for every pool with ``autoscaler: asg``."""
    by_name = {s.name: s for s in shapes}
    groups = []
    for pool, concrete in expand_pools(scenario):
        if pool.autoscaler != "asg":
            continue
        for suffix, capacity, desired in (
            ("spot-asg", L.SPOT, pool.spot_desired),
            ("od-asg", L.ON_DEMAND, pool.on_demand_desired),
        ):
            groups.append(
                GroupState(
                    name=f"{concrete}-{suffix}",
                    pool=concrete,
                    capacity_type=capacity,
                    shapes=[by_name[t] for t in pool.instance_types],
                    zones=list(pool.zones or scenario.zones),
                    min_size=pool.min_size,
                    max_size=max(pool.max_size, desired),
                    desired=desired,
                    created=created,
                )
            )
    return groups


def catalogue(scenario: Scenario, view: MarketView) -> list[Shape]:
    declared = {d.name: Shape(d.name, d.vcpu, memory_mib(d.memory), d.arch) for d in scenario.instance_types}
    names = sorted({t for p in scenario.pools for t in p.instance_types})
    shapes = []
    for name in names:
        try:
            shapes.append(shape_of(name, declared))
        except ValueError as exc:
            raise ScenarioError(f"{scenario.name}: {exc}") from None
    for pool in scenario.pools:
        if not any(t in view.on_demand.prices for t in pool.instance_types):
            raise ScenarioError(
                f"{scenario.name}: pool {pool.name!r}: none of {pool.instance_types} has an on-demand price "
                f"in {view.on_demand.source}"
            )
    return shapes


def build(
    scenario: Scenario,
    *,
    seed: int | None = None,
    world_start: datetime | None = None,
    duration: timedelta | None = None,
    karpenter: KarpenterSettings | None = None,
    now: Callable[[], datetime] | None = None,
    kube_port: int = 0,
    files: MarketFiles | None = None,
    nodepools: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
) -> SimCluster:
    """Build and warm-start the scenario's world. ``world_start`` shifts the market onto another date.

    ``files`` replaces the market data the scenario would pick; ``nodepools`` rewrites the NodePool manifests
    before the warm start (the evaluation's on-demand baseline removes the spot NodePools this way).
    """
    seed = scenario.seed if seed is None else seed
    run_length = duration or timedelta(seconds=seconds(scenario.duration))
    files = files or market_files(scenario)
    pools_tz = sorted(
        {
            (t, z)
            for p, _ in expand_pools(scenario)
            for t in p.instance_types
            for z in (p.zones or scenario.zones)
        }
    )
    market_end = scenario.start + run_length
    if scenario.market.scripted:
        book = _scripted_book(scenario.market.scripted, scenario.region, pools_tz, scenario.start)
    else:
        book = load_spot_prices(files.spot_prices)
    start = world_start or scenario.start
    view = MarketView(
        region=scenario.region,
        spot=book,
        on_demand=_on_demand(files.on_demand, scenario.region),
        capacity=_capacity(scenario, files, pools_tz, market_end + timedelta(days=1), seed),
        offset=scenario.start - start,
    )
    shapes = catalogue(scenario, view)
    timeline = Timeline(start)
    emulator = KubeEmulator(now=now or (lambda: timeline.now), seed=seed, port=kube_port)
    world = World(emulator.store, timeline, view, seed=seed)
    k = scenario.karpenter
    settings = karpenter or KarpenterSettings(
        launch_seconds=seconds(k.launch),
        batch_idle_seconds=seconds(k.batch_idle),
        ice_ttl_seconds=seconds(k.ice_ttl),
        interruption_handling=k.interruption_handling,
        consolidation=k.consolidation,
        consolidation_interval_seconds=seconds(k.consolidation_interval),
    )
    fleet = Fleet(world)
    spot_market = SpotMarket(world, fleet)
    Scheduler(world)
    kubelet = Kubelet(world, instant=True)
    instant = replace(settings, launch_seconds=0.0, batch_idle_seconds=0.0)
    karpenter_sim = Karpenter(world, fleet, spot_market, shapes, scenario.zones, instant)
    autoscaling = AutoScaling(world, fleet, launch_seconds=0.0, retry_seconds=seconds(scenario.asg.retry))
    specs = workload_specs(scenario)
    workloads = Workloads(world, specs)
    ledger = Ledger(world, fleet, specs)
    manifests = nodepool_manifests(scenario)
    for manifest in nodepools(manifests) if nodepools else manifests:
        emulator.store.create(manifest)
    for group in asg_groups(scenario, shapes, start):
        autoscaling.add_group(group)
    workloads.create_all()
    timeline.run_until(timeline.now)
    kubelet.instant = False
    karpenter_sim.provisioner.settings = settings
    karpenter_sim.disruption.settings = settings
    autoscaling.launch_seconds = seconds(scenario.asg.launch)
    world.journal.record("warm", nodes=len(fleet.machines), pods=len(world.state.pods))
    ledger.open()
    spot_market.start()
    return SimCluster(
        scenario,
        world,
        emulator,
        fleet,
        karpenter_sim,
        spot_market,
        workloads,
        ledger,
        autoscaling,
        start + run_length,
    )
