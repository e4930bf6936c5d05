"""The in-process store API: same code paths as HTTP, events included, no server needed."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.sim.kube import ApiError, Registry, Scope, Store
from spotvortex.sim.kube.watch import Subscription, WatchHub
from tests.sim.manifests import node, nodepool, pdb, pod


@pytest.fixture
def store() -> Store:
    return Store(Registry(), WatchHub(history_size=50), seed=1)


def drain(sub: Subscription) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        assert isinstance(item, tuple)
        out.append((item[0], item[1]["metadata"]["name"]))
    return out


def test_versions_are_global_and_monotonic(store: Store) -> None:
    a = store.create(node("a"))
    b = store.create(pod("b"))
    c = store.create(nodepool("c"))
    versions = [int(o["metadata"]["resourceVersion"]) for o in (a, b, c)]
    assert versions == [1, 2, 3]
    assert store.resource_version == 3


def test_store_writes_emit_events(store: Store) -> None:
    store.create(node("a"))
    sub = store.watch("nodes")
    assert drain(sub) == [("ADDED", "a")]
    store.create(node("b"))
    store.patch("nodes", "a", {"spec": {"unschedulable": True}})
    store.delete("nodes", "b")
    assert drain(sub) == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]


def test_noop_update_changes_nothing(store: Store) -> None:
    created = store.create(node("a", {"x": "1"}))
    sub = store.watch("nodes", resource_version=created["metadata"]["resourceVersion"])
    same = store.update(created)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert drain(sub) == []


def test_generation_tracks_spec_only(store: Store) -> None:
    store.create(nodepool("p"))
    labelled = store.patch("nodepools", "p", {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == 1
    respec = store.patch("nodepools", "p", {"spec": {"weight": 3}})
    assert respec["metadata"]["generation"] == 2
    status = store.patch("nodepools", "p", {"status": {"nodes": 1}}, scope=Scope.STATUS)
    assert status["metadata"]["generation"] == 2


def test_removing_last_finalizer_deletes(store: Store) -> None:
    store.create(nodepool("p", finalizers=["karpenter.sh/termination"]))
    sub = store.watch("nodepools")
    drain(sub)
    marked = store.delete("nodepools", "p")
    assert marked["metadata"]["deletionTimestamp"]
    assert store.delete("nodepools", "p") == marked  # a second delete changes nothing
    store.patch("nodepools", "p", {"metadata": {"finalizers": []}})
    assert store.find("nodepools", "p") is None
    assert drain(sub) == [("MODIFIED", "p"), ("DELETED", "p")]


def test_stale_update_and_duplicate_create(store: Store) -> None:
    first = store.create(node("a"))
    store.patch("nodes", "a", {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(ApiError) as err:
        store.update(first)
    assert (err.value.code, err.value.reason) == (409, "Conflict")
    with pytest.raises(ApiError) as err:
        store.create(node("a"))
    assert err.value.reason == "AlreadyExists"
    with pytest.raises(ApiError) as err:
        store.get("nodes", "zzz")
    assert err.value.code == 404


def test_pdb_status_follows_pods(store: Store) -> None:
    store.create(pdb("web", {"app": "web"}, min_available=1))
    assert store.get("pdb", "web", "default")["status"]["expectedPods"] == 0
    store.create(pod("a", labels={"app": "web"}, ready=True))
    store.create(pod("b", labels={"app": "web"}, ready=True))
    status: dict[str, Any] = store.get("pdb", "web", "default")["status"]
    assert (status["currentHealthy"], status["disruptionsAllowed"]) == (2, 1)
    store.evict("a", "default")
    with pytest.raises(ApiError) as err:
        store.evict("b", "default")
    assert err.value.code == 429


def test_resume_after_history_rolls_over_is_410() -> None:
    store = Store(Registry(), WatchHub(history_size=2))
    for name in "abcd":
        store.create(node(name))
    with pytest.raises(ApiError) as err:
        store.watch("nodes", resource_version="1")
    assert err.value.code == 410
    resumed = store.watch("nodes", resource_version="2")
    assert drain(resumed) == [("ADDED", "c"), ("ADDED", "d")]


def test_resolve_accepts_every_name(store: Store) -> None:
    for name in (
        "pods",
        "pod",
        "Pod",
        "po",
        "poddisruptionbudgets",
        "pdb",
        "nodepools.karpenter.sh",
        "NodeClaim",
    ):
        assert store.resolve(name)
    with pytest.raises(KeyError):
        store.resolve("deployments")
