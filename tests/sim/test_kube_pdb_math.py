"""PDB status arithmetic and the eviction decision, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.sim.kube.eviction import MULTIPLE_PDBS, PDB_VIOLATION, eviction_refusal
from spotvortex.sim.kube.pdb import (
    compute_pdb_status,
    desired_healthy,
    is_pod_healthy,
    pdb_selects,
    resolve_int_or_percent,
)
from tests.sim.manifests import pdb, pod

NOW = "2030-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (3, 10, True, 3),
        ("3", 10, True, 3),
        ("50%", 5, True, 3),
        ("50%", 5, False, 2),
        ("0%", 7, True, 0),
        ("100%", 7, True, 7),
        ("34%", 3, True, 2),
    ],
)
def test_int_or_percent(value: int | str, total: int, round_up: bool, expected: int) -> None:
    assert resolve_int_or_percent(value, total, round_up) == expected


def test_int_or_percent_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        resolve_int_or_percent("half", 4)


@pytest.mark.parametrize(
    ("spec", "expected", "desired"),
    [
        ({"minAvailable": 2}, 5, 2),
        ({"minAvailable": "50%"}, 5, 3),  # rounds up
        ({"maxUnavailable": 1}, 5, 4),
        ({"maxUnavailable": "30%"}, 5, 3),  # 5 - ceil(1.5)
        ({"maxUnavailable": "10%"}, 5, 4),  # 5 - ceil(0.5)
        ({"maxUnavailable": 7}, 5, 0),
        ({"minAvailable": "100%"}, 0, 0),
        ({}, 3, 0),
    ],
)
def test_desired_healthy(spec: dict[str, Any], expected: int, desired: int) -> None:
    assert desired_healthy(spec, expected) == desired


def test_health_requires_running_ready_and_not_deleting() -> None:
    assert is_pod_healthy(pod("a", ready=True))
    assert not is_pod_healthy(pod("a", phase="Running"))
    assert not is_pod_healthy(pod("a", phase="Pending"))
    deleting = pod("a", ready=True)
    deleting["metadata"]["deletionTimestamp"] = NOW
    assert not is_pod_healthy(deleting)


def test_pdb_selects_only_its_namespace() -> None:
    budget = pdb("b", {"app": "web"}, min_available=1)
    assert pdb_selects(budget, pod("a", labels={"app": "web"}))
    assert not pdb_selects(budget, pod("a", labels={"app": "web"}, namespace="other"))
    assert not pdb_selects(budget, pod("a", labels={"app": "db"}))


def test_status_counts() -> None:
    budget = pdb("b", {"app": "web"}, max_unavailable="50%")
    budget["metadata"]["generation"] = 2
    pods = [
        pod("a", labels={"app": "web"}, ready=True),
        pod("b", labels={"app": "web"}, ready=True),
        pod("c", labels={"app": "web"}, ready=True),
        pod("d", labels={"app": "web"}, phase="Pending"),
        pod("e", labels={"app": "db"}, ready=True),
    ]
    status = compute_pdb_status(budget, pods, None, NOW)
    assert status["expectedPods"] == 4
    assert status["currentHealthy"] == 3
    assert status["desiredHealthy"] == 2  # 4 - ceil(2.0)
    assert status["disruptionsAllowed"] == 1
    assert status["observedGeneration"] == 2
    assert status["conditions"][0]["status"] == "True"
    assert status["conditions"][0]["reason"] == "SufficientPods"


def test_condition_time_only_moves_on_flip() -> None:
    budget = pdb("b", {"app": "web"}, min_available=1)
    healthy = [pod("a", labels={"app": "web"}, ready=True), pod("b", labels={"app": "web"}, ready=True)]
    first = compute_pdb_status(budget, healthy, None, "t1")
    same = compute_pdb_status(budget, healthy, first, "t2")
    assert same["conditions"][0]["lastTransitionTime"] == "t1"
    flipped = compute_pdb_status(budget, healthy[:1], same, "t3")
    assert flipped["disruptionsAllowed"] == 0
    assert flipped["conditions"][0]["lastTransitionTime"] == "t3"


def _with_status(budget: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    budget["metadata"]["generation"] = 1
    budget["status"] = compute_pdb_status(budget, pods, None, NOW)
    return budget


def test_eviction_decisions() -> None:
    web = [pod("a", labels={"app": "web"}, ready=True), pod("b", labels={"app": "web"}, ready=True)]
    tight = _with_status(pdb("tight", {"app": "web"}, min_available=2), web)
    loose = _with_status(pdb("loose", {"app": "web"}, min_available=1), web)

    refusal = eviction_refusal(web[0], [tight])
    assert refusal is not None
    assert refusal.code == 429
    assert refusal.message == PDB_VIOLATION
    assert refusal.details == {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget tight needs 2 healthy pods and has 2 currently",
            }
        ]
    }
    assert eviction_refusal(web[0], [loose]) is None
    assert eviction_refusal(web[0], []) is None

    both = eviction_refusal(web[0], [tight, loose])
    assert both is not None
    assert both.code == 500
    assert both.message == MULTIPLE_PDBS


def test_pods_that_add_no_disruption_skip_the_budget() -> None:
    web = [pod("a", labels={"app": "web"}, ready=True)]
    tight = _with_status(pdb("tight", {"app": "web"}, min_available=1), web)
    for phase in ("Pending", "Succeeded", "Failed"):
        assert eviction_refusal(pod("x", labels={"app": "web"}, phase=phase), [tight]) is None
    unready = pod("u", labels={"app": "web"}, phase="Running")
    assert eviction_refusal(unready, [tight]) is None  # budget is met without it (IfHealthyBudget)
    starving = _with_status(pdb("starving", {"app": "web"}, min_available=2), web)
    assert eviction_refusal(unready, [starving]) is not None
    starving["spec"]["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    assert eviction_refusal(unready, [starving]) is None
