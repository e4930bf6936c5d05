"""Stored versions share their unchanged parts; nothing a caller receives or sends is shared with them."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.sim.kube import ApiError, Registry, Store
from spotvortex.sim.kube.watch import Change, WatchHub
from tests.sim.manifests import pdb, pod


@pytest.fixture
def store() -> Store:
    return Store(Registry(), WatchHub(history_size=50), seed=1)


def changes(store: Store) -> list[Change]:
    seen: list[Change] = []
    store.hub.listen(seen.append)
    return seen


def test_callers_objects_are_never_shared_with_the_store(store: Store) -> None:
    body = pod("p", labels={"app": "a"})
    created = store.create(body)
    body["metadata"]["labels"]["app"] = "changed-after-create"
    created["spec"]["containers"][0]["image"] = "changed-in-the-answer"
    patched = store.patch("pods", "p", {"metadata": {"labels": {"tier": "x"}}}, namespace="default")
    patched["metadata"]["labels"]["tier"] = "changed-in-the-patch-answer"
    fetched = store.get("pods", "p", "default")
    fetched["spec"]["containers"].append({"name": "intruder"})

    stored = store.get("pods", "p", "default")
    assert stored["metadata"]["labels"] == {"app": "a", "tier": "x"}
    assert stored["spec"]["containers"] == [{"name": "app", "image": "registry.local/app:1"}]


def test_an_older_version_is_untouched_by_later_writes(store: Store) -> None:
    seen = changes(store)
    store.create(pod("p", labels={"app": "a"}))
    store.patch("pods", "p", {"status": {"phase": "Running"}}, namespace="default")
    store.patch(
        "pods",
        "p",
        {"metadata": {"labels": {"app": "b"}}, "status": {"phase": "Failed"}},
        namespace="default",
    )
    store.delete("pods", "p", "default")

    first, second, third, deleted = seen
    assert (first.obj["metadata"]["labels"], first.obj["status"]) == ({"app": "a"}, {})
    assert (second.obj["metadata"]["labels"], second.obj["status"]) == ({"app": "a"}, {"phase": "Running"})
    assert (third.obj["metadata"]["labels"], third.obj["status"]) == ({"app": "b"}, {"phase": "Failed"})
    assert [c.obj["metadata"]["resourceVersion"] for c in seen] == ["1", "2", "3", "4"]
    assert second.old is first.obj
    assert deleted.old is third.obj
    # Versions share what a write left alone, which is why no version may ever be changed in place.
    assert second.obj["spec"] is first.obj["spec"]


def test_pdb_upkeep_counts_only_its_own_namespace(store: Store) -> None:
    labels = {"app": "a"}
    store.create(pdb("budget", labels, namespace="one", min_available=1))
    for namespace in ("one", "two"):
        for name in ("p1", "p2"):
            store.create(pod(name, namespace=namespace, labels=labels, ready=True))

    def status() -> dict[str, Any]:
        found: dict[str, Any] = store.get("poddisruptionbudgets", "budget", "one")["status"]
        return found

    assert (status()["expectedPods"], status()["disruptionsAllowed"]) == (2, 1)
    store.delete("pods", "p1", "two")
    assert (status()["expectedPods"], status()["disruptionsAllowed"]) == (2, 1)
    store.delete("pods", "p1", "one")
    assert (status()["expectedPods"], status()["disruptionsAllowed"]) == (1, 0)
    store.create(pod("p1", namespace="one", labels=labels, ready=True))
    assert (status()["expectedPods"], status()["disruptionsAllowed"]) == (2, 1)
    store.evict("p2", "two")  # the budget in "one" selects the same labels but not this namespace
    store.evict("p1", "one")
    with pytest.raises(ApiError) as refused:
        store.evict("p2", "one")
    assert refused.value.code == 429
