"""Placeholder manifests and replacement readiness: the pure functions the drainer and the simulator share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from spotvortex.contracts import Direction
from spotvortex.drainer import PlaceholderPolicy, placeholder_pods, replacement_readiness
from spotvortex.drainer.replacement import (
    PLACEHOLDER_IMAGE,
    is_placeholder,
    label_value,
    placeholder_name,
    placeholder_selector,
)
from spotvortex.drainer.requests import parse_quantity, pod_requests, request_texts
from spotvortex.sim.kube.selectors import labels_match, parse_label_selector

from .support import NOW, drain_job, node, pod


def _job(**kw: Any) -> Any:
    return drain_job("c1", ["spot-1"], time=NOW, replacement_first=True, **kw)


def test_one_placeholder_per_pod_with_its_requests_pinned_to_the_target_type() -> None:
    pods = [
        pod("web-0", "spot-1", requests={"cpu": "250m", "memory": "512Mi"}),
        pod("api-0", "spot-1", namespace="shop", requests={"cpu": "1"}),
    ]
    job = _job(nodepools=["web-od", "web-od-large"])
    first, second = placeholder_pods(job, "spot-1", pods)

    assert first["metadata"]["namespace"] == "spotvortex"
    assert first["metadata"]["name"] == placeholder_name("job-1", "spot-1", "default/web-0")
    assert first["metadata"]["labels"]["spotvortex.io/placeholder"] == "true"
    assert first["metadata"]["annotations"] == {
        "spotvortex.io/drain-job": "job-1",
        "spotvortex.io/drained-node": "spot-1",
        "spotvortex.io/replaces-pod": "default/web-0",
    }
    spec = first["spec"]
    (container,) = spec["containers"]
    assert container["image"] == PLACEHOLDER_IMAGE == "registry.k8s.io/pause:3.10"
    assert container["resources"]["requests"] == {"cpu": "250m", "memory": str(512 * 2**20)}
    assert second["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1000m"}
    assert spec["nodeSelector"] == {"karpenter.sh/capacity-type": "on-demand"}
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {"key": "karpenter.sh/nodepool", "operator": "In", "values": ["web-od", "web-od-large"]}
            ]
        }
    ]
    assert "tolerations" not in spec
    assert "priorityClassName" not in spec
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert all(is_placeholder(p) for p in (first, second))


def test_the_target_type_follows_the_direction_and_the_policy_is_applied() -> None:
    job = _job(direction=Direction.ON_DEMAND_TO_SPOT)
    policy = PlaceholderPolicy(
        namespace="capacity", priority_class_name="spotvortex-placeholder", image="pause:x"
    )
    (placeholder,) = placeholder_pods(job, "od-1", [pod("web-0", "od-1")], policy)
    assert placeholder["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "spot"}
    assert placeholder["spec"]["priorityClassName"] == "spotvortex-placeholder"
    assert placeholder["spec"]["containers"][0]["image"] == "pause:x"
    assert placeholder["metadata"]["namespace"] == "capacity"
    assert "affinity" not in placeholder["spec"]  # no NodePools named: any NodePool of the type will do
    assert placeholder["spec"]["containers"][0]["resources"]["requests"] == {}


def test_names_are_stable_and_labels_valid_whatever_the_job_id() -> None:
    odd = "decision/2026-03-02T12:00:00Z#" + "x" * 80
    assert placeholder_name(odd, "n1", "a/b") == placeholder_name(odd, "n1", "a/b")
    assert placeholder_name(odd, "n1", "a/b") != placeholder_name(odd, "n2", "a/b")
    value = label_value(odd)
    assert value.startswith("h-")
    assert len(value) <= 63
    assert label_value("job-1") == "job-1"
    (placeholder,) = placeholder_pods(_job(), "n1", [pod("web-0", "n1")])
    selector = parse_label_selector(placeholder_selector("job-1", "n1"))
    assert labels_match(selector, placeholder["metadata"]["labels"])
    assert not labels_match(
        parse_label_selector(placeholder_selector("job-2", "n1")), placeholder["metadata"]["labels"]
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", "0.25"),
        ("1", "1"),
        ("1.5", "1.5"),
        ("512Mi", str(512 * 2**20)),
        ("2G", "2000000000"),
        ("1e3", "1000"),
        ("100k", "100000"),
    ],
)
def test_quantities(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


def test_effective_requests_follow_the_scheduler() -> None:
    manifest = pod("web-0", "n1", requests={"cpu": "100m", "memory": "1Gi"})
    manifest["spec"]["containers"].append({"name": "side", "resources": {"requests": {"cpu": "50m"}}})
    manifest["spec"]["initContainers"] = [
        {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "10Mi"}}},
        {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "25m"}}},
    ]
    manifest["spec"]["overhead"] = {"memory": "1Mi"}
    assert pod_requests(manifest) == {"cpu": Decimal("2"), "memory": Decimal(2**30 + 2**20)}
    assert request_texts(manifest) == {"cpu": "2000m", "memory": str(2**30 + 2**20)}
    with pytest.raises(ValueError):
        parse_quantity("lots")


def _bound(name: str, node_name: str | None) -> dict[str, Any]:
    body = pod(name, node_name or "", namespace="spotvortex", owner=None)
    if node_name is None:
        del body["spec"]["nodeName"]
    return body


def test_ready_once_every_placeholder_runs_on_a_ready_schedulable_node_of_the_target_type() -> None:
    nodes = [
        node("od-1", capacity_type="on-demand", ready=True),
        node("od-2", capacity_type="on-demand", ready=True),
    ]
    readiness = replacement_readiness([_bound("p1", "od-1"), _bound("p2", "od-2")], nodes, "on-demand")
    assert (readiness.ready, readiness.bound, readiness.total, readiness.nodes) == (
        True,
        2,
        2,
        ["od-1", "od-2"],
    )
    assert readiness.waiting == []


@pytest.mark.parametrize(
    ("placeholder", "nodes", "why"),
    [
        (_bound("p1", None), [], "not scheduled"),
        (_bound("p1", "od-1"), [node("od-1", capacity_type="on-demand", ready=False)], "is not Ready"),
        (_bound("p1", "od-1"), [node("od-1", capacity_type="on-demand")], "is not Ready"),  # no condition yet
        (
            _bound("p1", "od-1"),
            [node("od-1", capacity_type="on-demand", ready=True, unschedulable=True)],
            "is cordoned",
        ),
        (
            _bound("p1", "spot-2"),
            [node("spot-2", capacity_type="spot", ready=True)],
            "is spot, not on-demand",
        ),
        (_bound("p1", "x"), [node("x", ready=True)], "unknown capacity type"),
        (_bound("p1", "gone"), [], "node gone not found"),
    ],
)
def test_not_ready_while_any_placeholder_is_not_where_it_should_be(
    placeholder: dict[str, Any], nodes: list[dict[str, Any]], why: str
) -> None:
    good = _bound("p0", "od-0")
    readiness = replacement_readiness(
        [good, placeholder], [node("od-0", capacity_type="on-demand", ready=True), *nodes], "on-demand"
    )
    assert not readiness.ready
    assert (readiness.bound, readiness.total) == (1, 2)
    assert len(readiness.waiting) == 1
    assert why in readiness.waiting[0]
    assert why in readiness.summary()


def test_missing_expected_placeholders_and_no_placeholder_at_all_are_not_ready() -> None:
    nodes = [node("od-1", capacity_type="on-demand", ready=True)]
    readiness = replacement_readiness([_bound("p1", "od-1")], nodes, "on-demand", expected=["p1", "p2"])
    assert not readiness.ready
    assert readiness.missing == ["p2"]
    assert readiness.total == 2
    assert not replacement_readiness([], nodes, "on-demand").ready


def test_a_placeholder_being_deleted_is_not_ready() -> None:
    leaving = _bound("p1", "od-1")
    leaving["metadata"]["deletionTimestamp"] = "2026-03-02T12:00:00Z"
    readiness = replacement_readiness(
        [leaving], [node("od-1", capacity_type="on-demand", ready=True)], "on-demand"
    )
    assert not readiness.ready
    assert "being deleted" in readiness.waiting[0]
