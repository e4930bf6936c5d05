"""Router cores: steering patches and drain plans from an approved verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from spotvortex.contracts import Action, Direction, GateVerdict, Mode
from spotvortex.router import RouterConfig, plan_drain, plan_steering
from spotvortex.router.planning import effective_mode, job_id, spot_cpu_after
from spotvortex.router.views import (
    LIMITS_ANNOTATION,
    NARROWED_ANNOTATION,
    WEIGHT_ANNOTATION,
    NodePoolView,
    NodeView,
    parse_node,
    parse_nodepool,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONFIG = RouterConfig()
CT = "karpenter.sh/capacity-type"


def twins(spot_weight: int | None = 50, od_weight: int | None = 50) -> list[NodePoolView]:
    return [
        NodePoolView("web-spot", spot_weight, [{"key": CT, "operator": "In", "values": ["spot"]}]),
        NodePoolView("web-od", od_weight, [{"key": CT, "operator": "In", "values": ["on-demand"]}]),
    ]


def verdict(action: Action, allowance: int, current: float = 0.6, target: float = 0.3) -> GateVerdict:
    return GateVerdict(
        cluster="prod",
        pool="web",
        decision_id="d1",
        time=NOW,
        mode=Mode.ENFORCE,
        approved=True,
        proposed=action,
        action=action,
        current_spot_ratio=current,
        target_spot_ratio=target,
        drain_allowance=allowance,
    )


def node(name: str, capacity: str, *, pods: int = 3, age_hours: int = 1, **flags: bool) -> NodeView:
    return NodeView(name, capacity, f"web-{capacity}", NOW - timedelta(hours=age_hours), pods=pods, **flags)


def test_twin_weights_favour_on_demand_for_a_decrease_and_spot_for_an_increase() -> None:
    down = plan_steering("web", -1, twins(), CONFIG)
    assert {(p.nodepool, p.body["spec"]["weight"]) for p in down} == {("web-od", 100), ("web-spot", 10)}
    up = plan_steering("web", 1, twins(), CONFIG)
    assert {(p.nodepool, p.body["spec"]["weight"]) for p in up} == {("web-spot", 100), ("web-od", 10)}
    assert all(p.operation.before == "50" for p in up)


def test_weights_already_in_place_need_no_patch() -> None:
    assert plan_steering("web", -1, twins(spot_weight=10, od_weight=100), CONFIG) == []
    assert plan_steering("web", 0, twins(), CONFIG) == []


def test_a_single_nodepool_is_narrowed_keeping_its_other_requirements_and_restored_later() -> None:
    both = parse_nodepool(
        {
            "metadata": {"name": "web"},
            "spec": {
                "template": {
                    "spec": {
                        "requirements": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                            {"key": CT, "operator": "In", "values": ["spot", "on-demand"]},
                        ]
                    }
                }
            },
        }
    )
    assert plan_steering("web", 1, [both], CONFIG) == []  # both allowed: Karpenter already prefers spot
    [narrow] = plan_steering("web", -1, [both], CONFIG)
    reqs = narrow.body["spec"]["template"]["spec"]["requirements"]
    assert {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]} in reqs
    assert {"key": CT, "operator": "In", "values": ["on-demand"]} in reqs
    assert narrow.body["metadata"]["annotations"][NARROWED_ANNOTATION] == "on-demand,spot"
    narrowed = NodePoolView("web", None, reqs, narrowed_from=["on-demand", "spot"])
    [restore] = plan_steering("web", 1, [narrowed], CONFIG)
    assert {"key": CT, "operator": "In", "values": ["on-demand", "spot"]} in restore.body["spec"]["template"][
        "spec"
    ]["requirements"]
    assert restore.body["metadata"]["annotations"][NARROWED_ANNOTATION] is None


def test_an_operator_single_type_nodepool_is_left_alone() -> None:
    od_only = NodePoolView("web", None, [{"key": CT, "operator": "In", "values": ["on-demand"]}])
    assert plan_steering("web", 1, [od_only], CONFIG) == []


def test_drain_plan_takes_the_allowance_in_order_interrupted_first_then_fewest_pods_then_oldest() -> None:
    nodes = [
        node("busy", "spot", pods=9),
        node("light-new", "spot", pods=1, age_hours=1),
        node("light-old", "spot", pods=1, age_hours=5),
        node("noticed", "spot", pods=20, interruption_pending=True),
        node("cordoned", "spot", pods=0, cordoned=True),
        node("od", "on-demand", pods=0),
    ]
    job = plan_drain(verdict(Action.DECREASE_30, allowance=3), nodes, Mode.ENFORCE, CONFIG, NOW)
    assert job is not None
    assert job.nodes == ["noticed", "light-old", "light-new"]
    assert job.direction is Direction.SPOT_TO_ON_DEMAND
    assert job.deadline == NOW + timedelta(seconds=CONFIG.drain_deadline_seconds)
    assert job.grace_period_seconds == CONFIG.grace_period_seconds > 0
    assert job.job_id == job_id("d1")


def test_an_increase_drains_on_demand_nodes_and_no_allowance_means_no_job() -> None:
    nodes = [node("s", "spot"), node("o1", "on-demand", pods=2), node("o2", "on-demand", pods=1)]
    job = plan_drain(verdict(Action.INCREASE_10, 1, 0.3, 0.4), nodes, Mode.SHADOW, CONFIG, NOW)
    assert job is not None
    assert job.nodes == ["o2"]
    assert job.mode is Mode.SHADOW
    assert job.direction is Direction.ON_DEMAND_TO_SPOT
    assert plan_drain(verdict(Action.INCREASE_10, 0), nodes, Mode.ENFORCE, CONFIG, NOW) is None


def test_emergency_jobs_are_marked() -> None:
    job = plan_drain(
        verdict(Action.EMERGENCY_EXIT, 5, 0.6, 0.0), [node("s", "spot")], Mode.ENFORCE, CONFIG, NOW
    )
    assert job is not None
    assert job.emergency


@pytest.mark.parametrize(
    ("service", "verdict_mode", "expected"),
    [
        (Mode.ENFORCE, Mode.ENFORCE, Mode.ENFORCE),
        (Mode.SHADOW, Mode.ENFORCE, Mode.SHADOW),
        (Mode.ENFORCE, Mode.SHADOW, Mode.SHADOW),
        (Mode.ENFORCE, Mode.OBSERVE, Mode.OBSERVE),
    ],
)
def test_the_stricter_mode_wins(service: Mode, verdict_mode: Mode, expected: Mode) -> None:
    assert effective_mode(service, verdict_mode) is expected


def test_node_view_reads_readiness_cordon_and_notice_from_the_api_object() -> None:
    view = parse_node(
        {
            "metadata": {
                "name": "n1",
                "labels": {CT: "spot", "karpenter.sh/nodepool": "web-spot"},
                "creationTimestamp": "2026-03-02T10:00:00Z",
            },
            "spec": {
                "unschedulable": True,
                "taints": [{"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}],
            },
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
        pods=4,
    )
    assert view.capacity_type == "spot"
    assert view.nodepool == "web-spot"
    assert view.ready
    assert view.cordoned
    assert view.interruption_pending
    assert not view.movable


@pytest.mark.parametrize(
    "labels",
    [
        {"spotvortex.io/capacity-type": "spot"},
        {"eks.amazonaws.com/capacityType": "SPOT"},
        {"node.kubernetes.io/lifecycle": "Ec2Spot"},
    ],
)
def test_the_router_reads_capacity_type_as_the_collector_does(labels: dict[str, str]) -> None:
    """A node the collector counts as spot is a node the router may choose to drain toward on-demand."""
    view = parse_node({"metadata": {"name": "n", "labels": labels}, "status": {}})
    assert view.capacity_type == "spot"


def steered(np: NodePoolView, patches: list) -> NodePoolView:
    """The view after applying ``patches`` as the API server would (merge patch)."""
    from spotvortex.sim.kube.merge_patch import apply_merge_patch

    obj = {
        "metadata": {"name": np.name, "annotations": {}},
        "spec": {
            "weight": np.weight,
            "limits": dict(np.limits),
            "template": {"spec": {"requirements": np.requirements}},
        },
    }
    if np.weight_before is not None:
        obj["metadata"]["annotations"][WEIGHT_ANNOTATION] = np.weight_before
    if np.limits_before is not None:
        obj["metadata"]["annotations"][LIMITS_ANNOTATION] = np.limits_before
    for p in patches:
        if p.nodepool == np.name:
            obj = apply_merge_patch(obj, p.body)
    return parse_nodepool(obj)


def test_weights_return_to_the_operators_once_the_target_is_reached() -> None:
    pools = twins(spot_weight=70, od_weight=None)
    down = plan_steering("web", -1, pools, CONFIG)
    after = [steered(np, down) for np in pools]
    assert {np.name: np.weight for np in after} == {"web-spot": 10, "web-od": 100}
    again = plan_steering("web", -1, after, CONFIG)
    assert again == []  # the annotation keeps the operator's weight, not the steered one
    back = plan_steering("web", 0, after, CONFIG)
    restored = [steered(np, back) for np in after]
    assert {np.name: np.weight for np in restored} == {"web-spot": 70, "web-od": None}
    assert all(np.weight_before is None for np in restored)
    assert plan_steering("web", 0, restored, CONFIG) == []


def pool_nodes(spot: int, od: int, cpu: int = 4000) -> list[NodeView]:
    return [NodeView(f"s{i}", "spot", "web-spot", NOW, cpu_millis=cpu) for i in range(spot)] + [
        NodeView(f"o{i}", "on-demand", "web-od", NOW, cpu_millis=cpu) for i in range(od)
    ]


def test_the_spot_twin_limit_holds_the_spot_capacity_left_after_the_move() -> None:
    pools = twins()
    nodes = pool_nodes(5, 5)
    down = verdict(Action.DECREASE_30, 2, current=0.5, target=0.3)
    assert spot_cpu_after(down, nodes) == 12000  # five 4-vCPU spot nodes, two drained
    patches = plan_steering("web", -1, pools, CONFIG, target=0.3, spot_cpu_limit=spot_cpu_after(down, nodes))
    assert steered(pools[0], patches).limits == {"cpu": "12000m"}
    mixed = [*pool_nodes(2, 0), NodeView("big", "on-demand", "web-od", NOW, cpu_millis=8000)]
    up = verdict(Action.INCREASE_10, 1, current=2 / 3, target=1.0)
    assert spot_cpu_after(up, mixed) == 8000 + 8000  # room for the largest node of the pool


def test_an_operators_limit_is_never_loosened_and_comes_back_when_the_target_is_all_spot() -> None:
    pools = twins()
    own = NodePoolView("web-spot", 50, pools[0].requirements, limits={"cpu": "8", "memory": "64Gi"})
    capped = steered(own, plan_steering("web", -1, [own, pools[1]], CONFIG, target=0.3, spot_cpu_limit=12000))
    assert capped.limits == {"cpu": "8000m", "memory": "64Gi"}  # the operator's 8 vCPU is tighter
    full = steered(capped, plan_steering("web", 1, [capped, pools[1]], CONFIG, target=1.0))
    assert full.limits == {"cpu": "8", "memory": "64Gi"}
    assert full.limits_before is None


def test_an_emergency_exit_closes_the_spot_twin() -> None:
    pools = twins()
    exit_all = verdict(Action.EMERGENCY_EXIT, 4, current=1.0, target=0.0)
    limit = spot_cpu_after(exit_all, pool_nodes(4, 0))
    patches = plan_steering("web", -1, pools, CONFIG, target=0.0, spot_cpu_limit=limit)
    assert steered(pools[0], patches).limits == {"cpu": "0m"}


def test_a_narrowed_single_nodepool_holds_when_the_target_is_reached() -> None:
    narrowed = NodePoolView(
        "web",
        None,
        [{"key": CT, "operator": "In", "values": ["on-demand"]}],
        narrowed_from=["on-demand", "spot"],
    )
    assert plan_steering("web", 0, [narrowed], CONFIG) == []


def test_the_drain_job_names_the_nodepools_replacements_may_come_from() -> None:
    job = plan_drain(
        verdict(Action.DECREASE_30, 1), pool_nodes(2, 1), Mode.ENFORCE, CONFIG, NOW, nodepools=twins()
    )
    assert job is not None
    assert job.nodepools == ["web-od"]
    assert job.target_capacity_type == "on-demand"


def test_a_do_not_disrupt_node_is_never_planned() -> None:
    nodes = [node("a", "spot", pods=1, do_not_disrupt=True), node("b", "spot", pods=5)]
    job = plan_drain(verdict(Action.DECREASE_30, 2), nodes, Mode.ENFORCE, CONFIG, NOW)
    assert job is not None
    assert job.nodes == ["b"]


def test_an_urgent_verdict_drains_only_the_noticed_nodes_as_an_emergency() -> None:
    urgent = msgspec.structs.replace(verdict(Action.DECREASE_10, 2), urgent=True)
    nodes = [node("noticed", "spot", interruption_pending=True), node("healthy", "spot", pods=0)]
    job = plan_drain(urgent, nodes, Mode.ENFORCE, CONFIG, NOW)
    assert job is not None
    assert job.nodes == ["noticed"]
    assert job.emergency


def test_no_limit_is_set_when_a_node_does_not_report_its_cpu() -> None:
    nodes = [*pool_nodes(2, 1), NodeView("bare", "spot", "web-spot", NOW)]
    assert spot_cpu_after(verdict(Action.DECREASE_10, 1), nodes) is None
