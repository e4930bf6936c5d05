"""Pool snapshots from the core: counts, ratio, utilisation, workload profile and safety, with the fixes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spotvortex.collector import Collector, CollectorConfig
from spotvortex.collector.index import ADDED, DELETED, MODIFIED
from spotvortex.collector.workload import weighted_p95
from spotvortex.contracts import DisruptionBudget, MarketInterruption, MarketPrice, PoolTelemetry, Provisioner

from .builders import NOW, nodepool, pdb, pod
from .builders import node as make_node


def cluster(*objects: tuple[str, dict[str, object]], config: CollectorConfig | None = None) -> Collector:
    collector = Collector("prod", config)
    for kind, obj in objects:
        collector.apply(kind, ADDED, obj)
    return collector


def snap(collector: Collector, pool: str = "web") -> PoolTelemetry:
    telemetry = collector.snapshot(pool, NOW)
    assert telemetry is not None
    return telemetry


def test_node_counts_ratio_and_shape() -> None:
    c = cluster(
        ("Node", make_node("s1", pool="web", zone="us-east-1a", instance_type="m5.large")),
        ("Node", make_node("s2", pool="web", zone="us-east-1b", instance_type="m5.large", ready=False)),
        (
            "Node",
            make_node("s3", pool="web", zone="us-east-1c", instance_type="c5.large", unschedulable=True),
        ),
        ("Node", make_node("o1", pool="web", capacity="on-demand", instance_type="c5.large")),
        (
            "Node",
            make_node(
                "r1",
                pool="web",
                nodepool="web-od",
                capacity="reserved",
                instance_type="c5.large",
                taints=[{"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}],
            ),
        ),
        (
            "Node",
            make_node("x1", pool="web", capacity=None, nodepool="web-od"),
        ),  # no capacity label: on-demand
        ("Node", make_node("other", pool="batch")),
        ("Node", make_node("cp", pool="web", labels={"node-role.kubernetes.io/control-plane": ""})),
    )
    t = snap(c)
    n = t.nodes
    assert (n.spot, n.on_demand, n.reserved, n.total) == (3, 2, 1, 6)
    assert (n.spot_ready, n.on_demand_ready, n.cordoned, n.not_ready) == (2, 2, 2, 1)
    assert n.unavailable == 3  # s2 not ready; s3 and r1 cordoned

    assert t.current_spot_ratio == pytest.approx(0.5)
    assert t.instance_types == ["c5.large", "m5.large"]
    assert t.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert t.dominant_instance_type == "c5.large"
    assert t.provisioner is Provisioner.KARPENTER
    assert (t.cluster_nodes, t.cluster_draining) == (7, 2)
    assert t.trigger == "cadence"
    assert t.time == NOW
    assert t.facts.nodes == n


def test_a_pool_without_nodes_has_no_snapshot_and_the_ratio_is_zero_safe() -> None:
    c = cluster(("Node", make_node("a", pool="web")))
    assert c.snapshot("nothing-here", NOW) is None
    c.apply("Node", DELETED, make_node("a", pool="web"))
    assert c.pools() == []
    assert c.snapshot("web", NOW) is None


def test_nodepools_of_the_pool_with_their_node_counts() -> None:
    c = cluster(
        (
            "NodePool",
            nodepool(
                "web-spot",
                capacity_types=["spot"],
                weight=100,
                budgets=[
                    {
                        "nodes": "20%",
                        "schedule": "0 9 * * 1-5",
                        "duration": "8h",
                        "reasons": ["Underutilized"],
                    }
                ],
            ),
        ),
        ("NodePool", nodepool("web-od", capacity_types=["on-demand"], weight=10)),
        ("NodePool", nodepool("batch-spot")),
        ("Node", make_node("a", pool="web")),
        ("Node", make_node("b", pool="web")),
        ("Node", make_node("c", pool="web", capacity="on-demand")),
    )
    pools = {np.name: np for np in snap(c).nodepools}
    assert sorted(pools) == ["web-od", "web-spot"]
    spot, od = pools["web-spot"], pools["web-od"]
    assert (spot.capacity_types, spot.weight, spot.nodes) == (["spot"], 100, 2)
    assert spot.budgets == [
        DisruptionBudget(nodes="20%", schedule="0 9 * * 1-5", duration="8h", reasons=["Underutilized"])
    ]
    assert (od.capacity_types, od.weight, od.nodes) == (["on-demand"], 10, 1)
    assert od.budgets == [DisruptionBudget(nodes="10%")]  # Karpenter's default when none is written


def test_utilisation_is_real_and_feeds_on_demand_headroom() -> None:
    c = cluster(
        ("Node", make_node("s", pool="web", cpu="4", memory="16Gi")),
        ("Node", make_node("o1", pool="web", capacity="on-demand", cpu="4", memory="16Gi")),
        ("Node", make_node("o2", pool="web", capacity="on-demand", cpu="4", memory="16Gi")),
        ("Node", make_node("cordoned", pool="web", capacity="on-demand", unschedulable=True)),
        ("Pod", pod("a", "s", cpu="2", memory="4Gi")),
        ("Pod", pod("b", "o1", cpu="1", memory="2Gi")),
        ("Pod", pod("ds", "o2", cpu="1", memory="2Gi", owner=("DaemonSet", "agent"))),  # holds room too
        ("Pod", pod("on-cordoned", "cordoned", cpu="4")),  # not on a schedulable node
        ("Pod", pod("done", "o2", cpu="4", phase="Succeeded")),  # holds nothing
    )
    t = snap(c)
    assert t.utilisation.cpu_allocatable_cores == pytest.approx(12.0)
    assert t.utilisation.cpu_requested_cores == pytest.approx(4.0)
    assert t.utilisation.memory == pytest.approx(8 / 48)
    # two schedulable on-demand nodes × (1 − max(cpu 1/3, memory 1/6))
    assert t.safety.spare_od_headroom_nodes == pytest.approx(2 * (1 - 1 / 3))


def test_no_pdb_means_no_pdb_limit() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web", zone="us-east-1a")),
        ("Node", make_node("b", pool="web", zone="us-east-1b", capacity="on-demand")),
        ("Node", make_node("c", pool="web", zone="us-east-1c", capacity="on-demand")),
        ("Pod", pod("w1", "a")),
        ("Pod", pod("w2", "b")),
        ("PodDisruptionBudget", pdb("elsewhere", {"app": "web"}, namespace="shop")),  # another namespace
    )
    s = snap(c).safety
    assert s.min_pdb_slack_if_one_node_lost is None
    assert s.min_pdb_slack_if_two_nodes_lost is None
    assert s.recovery_budget_violation_risk < 0.70
    assert s.safe_max_spot_ratio == 1.0


def test_pdb_slack_counts_the_densest_nodes_of_the_pool() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Node", make_node("b", pool="web")),
        ("Node", make_node("c", pool="web")),
        ("Pod", pod("w1", "a")),
        ("Pod", pod("w2", "a")),
        ("Pod", pod("w3", "b")),
        ("Pod", pod("db", "c", app="db")),
        ("PodDisruptionBudget", pdb("web", {"app": "web"}, allowed=3)),
        ("PodDisruptionBudget", pdb("db", {"app": "db"}, allowed=2)),
    )
    s = snap(c).safety
    assert s.min_pdb_slack_if_one_node_lost == 1  # web: 3 − 2 on node a
    assert s.min_pdb_slack_if_two_nodes_lost == 0  # web: 3 − (2 + 1)
    c.apply("PodDisruptionBudget", MODIFIED, pdb("web", {"app": "web"}, allowed=1))
    s = snap(c).safety
    assert (s.min_pdb_slack_if_one_node_lost, s.min_pdb_slack_if_two_nodes_lost) == (-1, -2)
    assert s.recovery_budget_violation_risk == pytest.approx(0.95)
    assert s.safe_max_spot_ratio == pytest.approx(0.10)


def test_daemonset_and_completed_pods_are_not_workload() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Pod", pod("w", "a", cpu="1", startup_seconds=30)),
        (
            "Pod",
            pod(
                "agent",
                "a",
                cpu="8",
                owner=("DaemonSet", "agent"),
                startup_seconds=59,
                annotations={"spotvortex.io/startup-time": "900s"},
            ),
        ),
        ("Pod", pod("job", "a", cpu="8", owner=("Job", "nightly"), phase="Succeeded")),
        ("Pod", pod("crashed", "a", cpu="8", owner=("Job", "nightly"), phase="Failed")),
    )
    w = snap(c).workload
    assert w.workload_pods == 1
    assert w.pod_startup_p95_seconds == pytest.approx(30.0)


def test_restricted_doubling_is_per_matching_pdb() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Pod", pod("w1", "a", owner=None)),
        ("Pod", pod("d1", "a", app="db", owner=None)),
        ("PodDisruptionBudget", pdb("web", {"app": "web"}, allowed=1, current=3, desired=2)),
        ("PodDisruptionBudget", pdb("db", {"app": "db"}, allowed=0, current=2, desired=2)),  # exhausted
    )
    w = snap(c).workload
    # web keeps its 4 h (upstream would double it: its namespace holds an exhausted PDB); db doubles to 8 h
    assert w.outage_penalty_hours == pytest.approx((4 + 8) / 2)
    assert w.max_outage_penalty_hours == pytest.approx(8.0)


def test_evictable_needs_every_guard_to_allow_and_at_most_one_guard() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Pod", pod("free", "a", app="free")),
        ("Pod", pod("guarded", "a", app="guarded")),
        ("Pod", pod("blocked", "a", app="blocked")),
        ("Pod", pod("twice", "a", app="twice", labels={"tier": "front"})),
        ("Pod", pod("pinned", "a", app="free", annotations={"karpenter.sh/do-not-disrupt": "true"})),
        (
            "Pod",
            pod(
                "ca-pinned",
                "a",
                app="free",
                annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
            ),
        ),
        ("PodDisruptionBudget", pdb("guarded", {"app": "guarded"}, allowed=1)),
        ("PodDisruptionBudget", pdb("blocked", {"app": "blocked"}, allowed=0)),
        ("PodDisruptionBudget", pdb("twice-a", {"app": "twice"}, allowed=5)),
        ("PodDisruptionBudget", pdb("twice-b", {"tier": "front"}, allowed=5)),
    )
    t = snap(c)
    assert t.workload.workload_pods == 6
    assert t.workload.do_not_disrupt_pods == 2
    assert t.safety.evictable_pod_fraction == pytest.approx(2 / 6)  # free, guarded


def test_outage_penalty_multipliers_and_overrides() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Pod", pod("single", "a", owner=("ReplicaSet", "solo"))),  # 4
        ("Pod", pod("r1", "a", owner=("ReplicaSet", "pair"))),  # 4 × 0.5
        ("Pod", pod("r2", "a", owner=("ReplicaSet", "pair"))),  # 4 × 0.5
        ("Pod", pod("sts", "a", owner=("StatefulSet", "db"))),  # 4 × 2
        ("Pod", pod("crit", "a", owner=None, priority_class="system-cluster-critical")),  # 48
        (
            "Pod",
            pod("renamed", "a", owner=None, priority_class="platform", extra_spec={"priority": 2000001000}),
        ),
        (
            "Pod",
            pod(
                "said", "a", owner=("StatefulSet", "db"), annotations={"spotvortex.io/outage-penalty": "10h"}
            ),
        ),
    )
    w = snap(c).workload
    assert w.outage_penalty_hours == pytest.approx((4 + 2 + 2 + 8 + 48 + 48 + 10) / 7)
    assert w.max_outage_penalty_hours == 48.0
    assert w.stateful_pods == 2


def test_priority_critical_concentration_and_weights() -> None:
    c = cluster(
        ("Node", make_node("s", pool="web")),
        ("Node", make_node("o", pool="web", capacity="on-demand")),
        (
            "Pod",
            pod("tier0", "s", cpu="1", annotations={"spotvortex.io/migration-tier": "0"}),
        ),  # 1.0, critical
        ("Pod", pod("high", "o", cpu="1", priority_class="team-high")),  # 0.75, critical
        ("Pod", pod("low", "s", cpu="2", priority_class="batch-low")),  # 0.25
        (
            "Pod",
            pod("flagged", "o", cpu=None, annotations={"spotvortex.io/critical": "true"}),
        ),  # 0.5, weight 1
    )
    t = snap(c)
    assert t.workload.priority_score == pytest.approx((1.0 * 1 + 0.75 * 1 + 0.25 * 2 + 0.5 * 1) / 5)
    assert t.workload.max_priority_score == 1.0
    assert t.workload.has_critical_pod
    assert t.safety.critical_service_spot_concentration == pytest.approx(1 / 3)


def test_startup_p95_is_request_weighted() -> None:
    assert weighted_p95([(10.0, 1.0), (20.0, 1.0), (300.0, 0.01)]) == 20.0
    assert weighted_p95([(10.0, 1.0), (300.0, 1.0)]) == 300.0
    assert weighted_p95([]) is None
    c = cluster(
        ("Node", make_node("a", pool="web")),
        ("Pod", pod("fast", "a", cpu="2", startup_seconds=10)),
        ("Pod", pod("slow", "a", cpu="100m", startup_seconds=50)),
        ("Pod", pod("said", "a", cpu="10m", annotations={"spotvortex.io/startup-time": "2m"})),
    )
    # weights 2, 0.1, 0.01: 95 % of 2.11 is first reached at 50 s; the 2-minute pod weighs too little
    assert snap(c).workload.pod_startup_p95_seconds == pytest.approx(50.0)
    empty = cluster(("Node", make_node("a", pool="web")))
    assert snap(empty).workload.pod_startup_p95_seconds == 60.0


def test_market_series_cover_the_pools_types_and_zones() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web", instance_type="m5.large", zone="us-east-1a")),
        ("NodePool", nodepool("web-spot", instance_types=["m5.large", "c5.large"], zones=["us-east-1a"])),
        config=CollectorConfig(on_demand_prices={"c5.large": 0.085}),
    )
    for itype, zone, price in (
        ("m5.large", "us-east-1a", 0.03),
        ("c5.large", "us-east-1a", 0.04),
        ("r5.large", "us-east-1a", 0.05),
        ("m5.large", "us-east-1b", 0.06),
    ):
        c.ingest(
            MarketPrice(
                instance_type=itype,
                zone=zone,
                spot_price=price,
                on_demand_price=0.096 if itype == "m5.large" else None,
                time=NOW - timedelta(minutes=1),
            ),
            NOW,
        )
    market = {(s.instance_type, s.zone): s for s in snap(c).market}
    assert sorted(market) == [("c5.large", "us-east-1a"), ("m5.large", "us-east-1a")]
    assert market["m5.large", "us-east-1a"].on_demand_price == 0.096
    assert market["c5.large", "us-east-1a"].on_demand_price == 0.085  # from the configured table
    assert market["c5.large", "us-east-1a"].spot_price == 0.04


def test_interruption_fast_path_by_node_and_by_instance_id() -> None:
    c = cluster(
        ("Node", make_node("a", pool="web", instance_id="i-0aaa")),
        ("Node", make_node("b", pool="api", instance_id="i-0bbb")),
        ("Node", make_node("loose", capacity=None)),
    )
    by_node = MarketInterruption(zone="us-east-1a", node="a")
    by_id = MarketInterruption(zone="us-east-1a", instance_id="i-0bbb", time=NOW - timedelta(seconds=5))
    assert c.ingest(by_node, NOW) == "web"
    assert c.ingest(by_id, NOW) == "api"
    assert c.ingest(MarketInterruption(zone="us-east-1a", node="loose"), NOW) is None
    assert c.ingest(MarketInterruption(zone="us-east-1a", node="unknown"), NOW) is None
    stale = MarketInterruption(zone="us-east-1a", node="a", time=NOW - timedelta(hours=3))
    assert c.ingest(stale, NOW + timedelta(seconds=1)) == "web"  # a fresher notice for "a" is still in force
    t = snap(c, "web")
    assert t.nodes.interruption_pending == 1
    # counted per market (m5.large in us-east-1a, from the nodes' labels): a, b and loose; not the stale one,
    # nor the notice for an unknown node, whose instance type nobody knows
    assert [(s.instance_type, s.zone, s.interruptions_1h) for s in t.market] == [
        ("m5.large", "us-east-1a", 3)
    ]
    later = c.snapshot("web", NOW + timedelta(hours=2))
    assert later is not None
    assert later.nodes.interruption_pending == 0


def test_a_notice_for_an_instance_arriving_before_its_node_still_counts() -> None:
    c = Collector("prod")
    assert c.ingest(MarketInterruption(zone="us-east-1a", instance_id="i-0new"), NOW) is None
    c.apply("Node", ADDED, make_node("new", pool="web", instance_id="i-0new"))
    assert snap(c).nodes.interruption_pending == 1


def test_a_replaced_node_with_the_same_name_is_not_pending() -> None:
    c = cluster(("Node", make_node("a", pool="web")))
    c.ingest(MarketInterruption(zone="us-east-1a", node="a", time=NOW - timedelta(minutes=10)), NOW)
    reborn = make_node("a", pool="web")
    reborn["metadata"]["creationTimestamp"] = "2026-03-02T11:55:00Z"  # after the notice
    c.apply("Node", MODIFIED, reborn)
    assert snap(c).nodes.interruption_pending == 0


def test_a_node_cordoned_and_not_ready_is_unavailable_once() -> None:
    c = cluster(
        ("Node", make_node("s1", pool="web", unschedulable=True, ready=False)),
        ("Node", make_node("s2", pool="web")),
    )
    n = snap(c).nodes
    assert (n.cordoned, n.not_ready, n.unavailable) == (1, 1, 1)
