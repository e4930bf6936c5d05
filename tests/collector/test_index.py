"""The incremental cluster index: membership follows every event, PDB matches follow labels and selectors."""

from __future__ import annotations

from spotvortex.collector import ClusterIndex, CollectorConfig
from spotvortex.collector.index import ADDED, DELETED, MODIFIED

from .builders import node as make_node
from .builders import nodepool, pdb, pod


def test_nodes_join_leave_and_move_between_pools() -> None:
    index = ClusterIndex()
    index.apply("Node", ADDED, make_node("a", pool="web"))
    index.apply("Node", ADDED, make_node("b", pool="web", capacity="on-demand"))
    index.apply("Node", ADDED, make_node("c", pool="batch"))
    assert index.pools() == ["batch", "web"]
    assert [n.name for n in index.pool_nodes("web")] == ["a", "b"]

    index.apply("Node", MODIFIED, make_node("c", pool="web", labels={"spotvortex.io/pool": "web"}))
    assert index.pools() == ["web"]
    assert index.pool_of("c") == "web"

    index.apply("Node", DELETED, make_node("a", pool="web"))
    assert [n.name for n in index.pool_nodes("web")] == ["b", "c"]
    assert index.cluster_nodes == 2


def test_cluster_counts_exclude_the_control_plane_and_track_draining() -> None:
    index = ClusterIndex()
    index.apply("Node", ADDED, make_node("cp", labels={"node-role.kubernetes.io/control-plane": ""}))
    index.apply("Node", ADDED, make_node("other", capacity=None))  # unmanaged, still a cluster node
    index.apply("Node", ADDED, make_node("a", pool="web"))
    assert (index.cluster_nodes, index.cluster_draining) == (2, 0)
    index.apply("Node", MODIFIED, make_node("a", pool="web", unschedulable=True))
    index.apply("Node", MODIFIED, make_node("other", capacity=None, deleting=True))
    assert (index.cluster_nodes, index.cluster_draining) == (2, 2)
    index.apply("Node", MODIFIED, make_node("a", pool="web"))
    index.apply("Node", DELETED, make_node("other", capacity=None))
    assert (index.cluster_nodes, index.cluster_draining) == (1, 0)


def test_instance_ids_come_from_the_provider_id() -> None:
    index = ClusterIndex()
    index.apply("Node", ADDED, make_node("a", pool="web", instance_id="i-0abc"))
    assert index.node_for_instance("i-0abc") == "a"
    index.apply("Node", DELETED, make_node("a", pool="web", instance_id="i-0abc"))
    assert index.node_for_instance("i-0abc") is None


def test_pods_follow_their_node_and_completed_pods_leave() -> None:
    index = ClusterIndex()
    index.apply("Pod", ADDED, pod("p1", "a"))  # bound before its node is known
    index.apply("Pod", ADDED, pod("p2", None))  # pending, not bound
    index.apply("Node", ADDED, make_node("a", pool="web"))
    assert [p.name for p in index.pods_on("a")] == ["p1"]
    index.apply("Pod", MODIFIED, pod("p2", "a"))
    assert sorted(p.name for p in index.pods_on("a")) == ["p1", "p2"]
    index.apply("Pod", MODIFIED, pod("p1", "a", phase="Succeeded"))
    assert [p.name for p in index.pods_on("a")] == ["p2"]
    assert ("default", "p1") not in index.pods
    index.apply("Pod", DELETED, pod("p2", "a"))
    assert index.pods_on("a") == []


def test_every_matching_pdb_guards_a_pod_whatever_the_order() -> None:
    index = ClusterIndex()
    index.apply("PodDisruptionBudget", ADDED, pdb("by-app", {"app": "web"}))
    index.apply("Pod", ADDED, pod("p1", "a", labels={"tier": "front"}))
    index.apply("Pod", ADDED, pod("other-ns", "a", namespace="shop"))
    index.apply(
        "PodDisruptionBudget",
        ADDED,
        pdb("by-tier", None, expressions=[{"key": "tier", "operator": "Exists"}]),
    )
    index.apply("PodDisruptionBudget", ADDED, pdb("all", {}))  # an empty selector guards the whole namespace
    index.apply("PodDisruptionBudget", ADDED, pdb("none", None))  # no selector guards nothing
    assert sorted(index.guards_of(("default", "p1"))) == [
        ("default", "all"),
        ("default", "by-app"),
        ("default", "by-tier"),
    ]
    assert list(index.guards_of(("shop", "other-ns"))) == []

    # labels change: matches are recomputed
    index.apply("Pod", MODIFIED, pod("p1", "a", app="api"))
    assert sorted(index.guards_of(("default", "p1"))) == [("default", "all")]
    # a selector change re-matches; a status-only change keeps matches
    index.apply("PodDisruptionBudget", MODIFIED, pdb("by-app", {"app": "api"}))
    index.apply("PodDisruptionBudget", MODIFIED, pdb("all", {}, allowed=0))
    assert sorted(index.guards_of(("default", "p1"))) == [("default", "all"), ("default", "by-app")]
    assert index.pdbs[("default", "all")].disruptions_allowed == 0
    index.apply("PodDisruptionBudget", DELETED, pdb("all", {}))
    assert list(index.guards_of(("default", "p1"))) == [("default", "by-app")]


def test_match_expressions_in_and_not_in() -> None:
    index = ClusterIndex()
    index.apply(
        "PodDisruptionBudget",
        ADDED,
        pdb(
            "mixed",
            {"team": "a"},
            expressions=[
                {"key": "app", "operator": "In", "values": ["web", "api"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
            ],
        ),
    )
    cases = {
        "yes": {"team": "a"},
        "canary": {"team": "a", "canary": "1"},
        "dev": {"team": "a", "env": "dev"},
        "other-team": {"team": "b"},
    }
    for name, extra in cases.items():
        index.apply("Pod", ADDED, pod(name, "a", labels=extra))
    guarded = [name for name in cases if list(index.guards_of(("default", name)))]
    assert guarded == ["yes"]


def test_replicas_count_live_pods_of_one_controller_per_namespace() -> None:
    index = ClusterIndex()
    index.apply("Pod", ADDED, pod("a1", "n", owner=("ReplicaSet", "web-1")))
    index.apply("Pod", ADDED, pod("a2", "n", owner=("ReplicaSet", "web-1")))
    index.apply("Pod", ADDED, pod("b1", "n", namespace="other", owner=("ReplicaSet", "web-1")))
    assert index.replicas(("default", "ReplicaSet", "web-1")) == 2
    assert index.replicas(("other", "ReplicaSet", "web-1")) == 1
    index.apply("Pod", MODIFIED, pod("a2", "n", owner=("ReplicaSet", "web-1"), phase="Failed"))
    assert index.replicas(("default", "ReplicaSet", "web-1")) == 1


def test_replace_forgets_what_a_relist_no_longer_holds() -> None:
    index = ClusterIndex()
    for name in ("a", "b", "c"):
        index.apply("Node", ADDED, make_node(name, pool="web"))
        index.apply("Pod", ADDED, pod(f"p-{name}", name))
    index.replace("Node", [make_node("a", pool="web"), make_node("d", pool="api")])
    index.replace("Pod", [pod("p-a", "a")])
    assert sorted(index.nodes) == ["a", "d"]
    assert index.pools() == ["api", "web"]
    assert list(index.pods) == [("default", "p-a")]
    assert index.cluster_nodes == 2


def test_nodepools_belong_to_their_pool_by_label_or_name() -> None:
    index = ClusterIndex(CollectorConfig(pool_suffixes=["-spot", "-od"]))
    index.apply("NodePool", ADDED, nodepool("web-spot", capacity_types=["spot"], weight=100))
    index.apply("NodePool", ADDED, nodepool("web-od", capacity_types=["on-demand"], weight=10))
    index.apply("NodePool", ADDED, nodepool("general", labels={"spotvortex.io/pool": "web"}))
    index.apply("NodePool", ADDED, nodepool("batch-spot"))
    index.apply("Node", ADDED, make_node("a", pool="web"))
    # a node of pool "web" drawn from an unrelated NodePool brings that NodePool along
    index.apply("Node", ADDED, make_node("b", nodepool="shared", labels={"spotvortex.io/pool": "web"}))
    index.apply("NodePool", ADDED, nodepool("shared"))
    assert [np.name for np in index.pool_nodepools("web")] == ["general", "shared", "web-od", "web-spot"]
    index.apply("NodePool", DELETED, nodepool("web-od"))
    assert [np.name for np in index.pool_nodepools("web")] == ["general", "shared", "web-spot"]
