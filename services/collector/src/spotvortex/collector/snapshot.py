"""One pool's ``PoolTelemetry`` at ``now``: counts, utilisation, workload, safety and market, from the index.

Cost is O(nodes + pods of the pool): the index hands over the pool's nodes, their pods and each pod's
PDBs; nothing here looks at the rest of the cluster.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec

from spotvortex.collector.index import ClusterIndex
from spotvortex.collector.market import MarketWindow
from spotvortex.collector.records import NodePoolRecord, NodeRecord, PdbKey, PodRecord
from spotvortex.collector.safety import SafetyInputs, safety_vector
from spotvortex.collector.workload import PodFacts, outage_penalty, profile
from spotvortex.contracts.capacity import ON_DEMAND, RESERVED, SPOT
from spotvortex.contracts.enums import Provisioner
from spotvortex.contracts.telemetry import (
    MarketSeries,
    NodeCounts,
    NodePoolInfo,
    PoolTelemetry,
    Utilisation,
)

Trigger = Literal["cadence", "interruption", "startup"]
IsPending = Callable[[NodeRecord], bool]


def node_counts(nodes: list[NodeRecord], pending: IsPending) -> NodeCounts:
    buckets = Counter(n.capacity_bucket for n in nodes)
    return NodeCounts(
        spot=buckets[SPOT],
        on_demand=buckets[ON_DEMAND],
        reserved=buckets[RESERVED],
        spot_ready=sum(1 for n in nodes if n.ready and n.capacity_bucket == SPOT),
        on_demand_ready=sum(1 for n in nodes if n.ready and n.capacity_bucket == ON_DEMAND),
        cordoned=sum(1 for n in nodes if n.draining),
        not_ready=sum(1 for n in nodes if not n.ready),
        unavailable=sum(1 for n in nodes if n.draining or not n.ready),
        interruption_pending=sum(1 for n in nodes if pending(n)),
    )


def utilisation(nodes: list[NodeRecord], pods_on: Callable[[str], list[PodRecord]]) -> Utilisation:
    """Pod requests (DaemonSets included: they hold the room) over allocatable of schedulable nodes."""
    cpu_req = mem_req = cpu_alloc = mem_alloc = 0.0
    for node in nodes:
        if not node.schedulable:
            continue
        cpu_alloc += node.cpu_allocatable
        mem_alloc += node.memory_allocatable
        for pod in pods_on(node.name):
            cpu_req += pod.cpu_request
            mem_req += pod.memory_request
    return Utilisation(
        cpu_requested_cores=cpu_req,
        cpu_allocatable_cores=cpu_alloc,
        memory_requested_bytes=mem_req,
        memory_allocatable_bytes=mem_alloc,
    )


def ratio(spot: int, total: int) -> float:
    return spot / total if total else 0.0


def _most_common(values: list[str]) -> str | None:
    if not values:
        return None
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


@dataclass(frozen=True, slots=True)
class _PdbLoad:
    """How densely one PDB's pods sit on the pool's nodes."""

    allowed: int
    per_node: dict[str, int]

    def slack(self, nodes_lost: int) -> int:
        densest = sorted(self.per_node.values(), reverse=True)[:nodes_lost]
        return self.allowed - sum(densest)


def _nodepool_info(rec: NodePoolRecord, nodes: list[NodeRecord]) -> NodePoolInfo:
    return NodePoolInfo(
        name=rec.name,
        capacity_types=list(rec.capacity_types),
        weight=rec.weight,
        nodes=sum(1 for n in nodes if n.nodepool == rec.name),
        budgets=list(rec.budgets),
    )


@dataclass(frozen=True)
class PoolPart:
    """Everything a pool's snapshot takes from the cluster index: the telemetry without its time, trigger and
    market, and which instance types and zones its market covers. It changes only when the index does (or
    the pool's set of noticed nodes), so the collector keeps it between snapshots of an unchanged pool."""

    template: PoolTelemetry
    market_types: list[str]
    market_zones: list[str]


def pool_part(
    *, cluster: str, pool: str, now: datetime, index: ClusterIndex, pending: IsPending
) -> PoolPart | None:
    """The cluster side of the pool's telemetry; ``None`` when the pool has no nodes."""
    nodes = index.pool_nodes(pool)
    if not nodes:
        return None
    counts = node_counts(nodes, pending)
    usage = utilisation(nodes, index.pods_on)
    facts: list[PodFacts] = []
    loads: dict[PdbKey, _PdbLoad] = {}
    drainable: Counter[str] = Counter()
    for node in nodes:
        node_drainable = node.schedulable and not node.do_not_disrupt
        for pod in index.pods_on(node.name):
            if pod.daemonset or pod.placeholder:
                continue
            guards = list(index.guards_of(pod.key))
            records = [index.pdbs[g] for g in guards]
            for g, rec in zip(guards, records, strict=True):
                load = loads.get(g)
                if load is None:
                    load = loads[g] = _PdbLoad(rec.disruptions_allowed, defaultdict(int))
                load.per_node[node.name] += 1
            restricted = any(r.exhausted for r in records)
            if pod.do_not_disrupt or any(r.disruptions_allowed < 1 for r in records):
                node_drainable = False
            evictable = not pod.do_not_disrupt and (
                not records or (len(records) == 1 and records[0].disruptions_allowed > 0)
            )
            facts.append(
                PodFacts(
                    weight=pod.weight,
                    startup_seconds=pod.startup_seconds,
                    penalty_hours=outage_penalty(
                        pod.penalty_hours,
                        override=pod.penalty_override,
                        restricted=restricted,
                        stateful=pod.stateful,
                        replicas=index.replicas(pod.owner),
                    ),
                    priority_score=pod.priority_score,
                    critical=pod.critical,
                    stateful=pod.stateful,
                    evictable=evictable,
                    do_not_disrupt=pod.do_not_disrupt,
                    on_spot=node.capacity_bucket == SPOT,
                )
            )
        if node_drainable:
            drainable[node.capacity_bucket] += 1
    counts = msgspec.structs.replace(
        counts, spot_drainable=drainable[SPOT], on_demand_drainable=drainable[ON_DEMAND]
    )
    workload = profile(facts)
    zones = sorted({n.zone for n in nodes if n.zone})
    binding = max(usage.cpu, usage.memory)
    safety = safety_vector(
        SafetyInputs(
            restart_p95_seconds=workload.pod_startup_p95_seconds,
            non_spot_nodes=sum(1 for n in nodes if n.capacity_bucket != SPOT and n.schedulable),
            utilisation=binding,
            zones=len(zones),
            workload_pods=len(facts),
            critical_pods=sum(f.critical for f in facts),
            critical_on_spot=sum(f.critical and f.on_spot for f in facts),
            stateful_pods=sum(f.stateful for f in facts),
            evictable_pods=sum(f.evictable for f in facts),
            slack_one_node=min((load.slack(1) for load in loads.values()), default=None),
            slack_two_nodes=min((load.slack(2) for load in loads.values()), default=None),
        )
    )
    instance_types = sorted({n.instance_type for n in nodes if n.instance_type})
    nodepools = index.pool_nodepools(pool)
    market_types = sorted(set(instance_types).union(*(np.instance_types for np in nodepools)))
    market_zones = sorted(set(zones).union(*(np.zones for np in nodepools)))
    provisioners = [n.provisioner.value for n in nodes if n.provisioner is not None]
    template = PoolTelemetry(
        cluster=cluster,
        pool=pool,
        time=now,
        provisioner=Provisioner(_most_common(provisioners) or Provisioner.KARPENTER),
        nodes=counts,
        current_spot_ratio=ratio(counts.spot, counts.total),
        instance_types=instance_types,
        zones=zones,
        dominant_instance_type=_most_common([n.instance_type for n in nodes if n.instance_type]),
        utilisation=usage,
        workload=workload,
        safety=safety,
        nodepools=[_nodepool_info(np, nodes) for np in nodepools],
        noticed_nodes=sorted(n.name for n in nodes if pending(n)),
    )
    return PoolPart(template, market_types, market_zones)


def finish_snapshot(
    part: PoolPart, *, now: datetime, trigger: Trigger, index: ClusterIndex, market: MarketWindow
) -> PoolTelemetry:
    """The pool's telemetry at ``now``: its cluster part with the time, the trigger and the market."""
    series: list[MarketSeries] = []
    for itype in part.market_types:
        for zone in part.market_zones:
            found = market.series(itype, zone, now)
            if found is not None:
                series.append(found)
    return msgspec.structs.replace(
        part.template,
        time=now,
        trigger=trigger,
        market=series,
        window_seconds=int(market.history.total_seconds()),
        cluster_nodes=index.cluster_nodes,
        cluster_draining=index.cluster_draining,
    )


def build_snapshot(
    *,
    cluster: str,
    pool: str,
    now: datetime,
    trigger: Trigger,
    index: ClusterIndex,
    market: MarketWindow,
    pending: IsPending,
) -> PoolTelemetry | None:
    """The pool's telemetry, or ``None`` when the pool has no nodes (nothing to decide about)."""
    part = pool_part(cluster=cluster, pool=pool, now=now, index=index, pending=pending)
    if part is None:
        return None
    return finish_snapshot(part, now=now, trigger=trigger, index=index, market=market)
