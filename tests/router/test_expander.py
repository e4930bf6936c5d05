"""Cluster Autoscaler's priority expander, steered through kubernetes-asyncio against the Kubernetes emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from kubernetes_asyncio.client import ApiClient

from spotvortex.router.config import ExpanderConfig
from spotvortex.router.expander import (
    ORIGINAL_ANNOTATION,
    ExpanderError,
    parse_configmap,
    parse_priorities,
    plan_expander,
    pool_regexes,
)
from spotvortex.router.expander_api import ExpanderApi
from spotvortex.runtime.kube import KubeSettings, api_client
from spotvortex.sim.kube import KubeEmulator
from tests.helpers import eventually

CONFIG = ExpanderConfig()
NAME, NS = "cluster-autoscaler-priority-expander", "kube-system"
OPERATOR = """\
# the operator's own preferences
10:
  - .*t2\\.large.*
  - .*web-od.*
50:
  - .*m5\\.4xlarge.*
"""
PATH = f"/api/v1/namespaces/{NS}/configmaps/{NAME}"


def configmap(priorities: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": NS},
        "data": {"priorities": priorities},
    }


def stored(kube: KubeEmulator) -> tuple[dict[int, list[str]], dict[str, str]]:
    obj = kube.store.get("configmaps", NAME, NS)
    return yaml.safe_load(obj["data"]["priorities"]), obj["metadata"].get("annotations") or {}


@pytest.fixture
async def kube() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(seed=5) as emulator:
        emulator.store.create(configmap(OPERATOR))
        emulator.audit.clear()
        yield emulator


@pytest.fixture
async def client(kube: KubeEmulator) -> AsyncIterator[ApiClient]:
    api = await api_client(KubeSettings(url=kube.url))
    try:
        yield api
    finally:
        await api.close()


def test_regexes_come_from_the_pool_name_and_the_suffixes() -> None:
    assert pool_regexes("web", CONFIG) == (".*web-spot.*", ".*web-od.*")
    assert pool_regexes("a.b", ExpanderConfig(pattern="^{group}$", on_demand_suffix="-ondemand")) == (
        r"^a\.b-spot$",
        r"^a\.b-ondemand$",
    )


def test_the_plan_is_absolute_and_remembers_the_operators_places() -> None:
    view = parse_configmap(configmap(OPERATOR) | {"metadata": {"name": NAME, "namespace": NS}})
    patch = plan_expander(view, "web", -1, CONFIG)
    assert patch is not None
    after = parse_priorities(patch.body["data"]["priorities"])
    assert after == {10: [r".*t2\.large.*", ".*web-spot.*"], 50: [r".*m5\.4xlarge.*"], 100: [".*web-od.*"]}
    original = json.loads(patch.body["metadata"]["annotations"][ORIGINAL_ANNOTATION])
    assert original == {"web": {".*web-spot.*": [], ".*web-od.*": [10]}}
    assert {(op.field, op.before, op.after) for op in patch.operations} == {
        ("data.priorities[.*web-spot.*]", None, "10"),
        ("data.priorities[.*web-od.*]", "10", "100"),
    }
    # planned again on its own result: nothing left to do
    again = configmap(patch.body["data"]["priorities"])
    again["metadata"]["annotations"] = {ORIGINAL_ANNOTATION: json.dumps(original)}
    assert plan_expander(parse_configmap(again), "web", -1, CONFIG) is None
    # a pool never steered has nothing to restore
    assert plan_expander(view, "web", 0, CONFIG) is None


async def test_spot_then_on_demand_then_restored_keeping_other_entries(
    kube: KubeEmulator, client: ApiClient
) -> None:
    api = ExpanderApi(client, CONFIG)

    ops = await api.steer("web", 1, apply=True)
    priorities, annotations = stored(kube)
    assert priorities == {
        10: [r".*t2\.large.*", ".*web-od.*"],  # already where steering wants it: not moved
        50: [r".*m5\.4xlarge.*"],
        100: [".*web-spot.*"],
    }
    assert [(op.target_kind, op.target, op.after) for op in ops] == [("configmap", f"{NS}/{NAME}", "100")]
    assert ORIGINAL_ANNOTATION in annotations

    await api.steer("web", -1, apply=True)
    priorities, _ = stored(kube)
    assert priorities == {
        10: [r".*t2\.large.*", ".*web-spot.*"],
        50: [r".*m5\.4xlarge.*"],
        100: [".*web-od.*"],
    }
    assert await api.steer("web", -1, apply=True) == []  # a redelivered verdict writes nothing

    await api.steer("web", 0, apply=True)
    priorities, annotations = stored(kube)
    assert priorities == yaml.safe_load(OPERATOR)
    assert ORIGINAL_ANNOTATION not in annotations
    assert await api.steer("web", 0, apply=True) == []
    assert kube.audit.count_mutations() == 3
    assert kube.audit.count_mutations(method="PATCH", path=PATH) == 3
    assert {e.content_type for e in kube.audit.mutations()} == {"application/merge-patch+json"}


async def test_shadow_plans_from_the_live_configmap_and_writes_nothing(
    kube: KubeEmulator, client: ApiClient
) -> None:
    ops = await ExpanderApi(client, CONFIG).steer("web", -1, apply=False)
    assert {(op.field, op.after) for op in ops} == {
        ("data.priorities[.*web-spot.*]", "10"),
        ("data.priorities[.*web-od.*]", "100"),
    }
    assert kube.audit.count_mutations() == 0
    assert stored(kube)[0] == yaml.safe_load(OPERATOR)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10: [.*a.*\n  - oops", "is not valid YAML"),
        ("- .*a.*", "must map priorities"),
        ("high:\n  - .*a.*", "priority 'high' is not an integer"),
        ("10: .*a.*", "must hold a list of regexes"),
        ("10:\n  - '(unclosed'", "bad regex"),
    ],
)
async def test_bad_content_is_a_clear_error_and_changes_nothing(
    kube: KubeEmulator, client: ApiClient, text: str, message: str
) -> None:
    kube.store.patch("configmaps", NAME, {"data": {"priorities": text}}, namespace=NS)
    kube.audit.clear()
    with pytest.raises(ExpanderError, match=message) as err:
        await ExpanderApi(client, CONFIG).steer("web", 1, apply=True)
    assert f"ConfigMap {NS}/{NAME}" in str(err.value)
    assert kube.audit.count_mutations() == 0
    assert kube.store.get("configmaps", NAME, NS)["data"]["priorities"] == text


async def test_a_missing_configmap_is_a_clear_error(kube: KubeEmulator, client: ApiClient) -> None:
    api = ExpanderApi(client, ExpanderConfig(namespace="autoscaling"))
    with pytest.raises(
        ExpanderError, match="ConfigMap autoscaling/cluster-autoscaler-priority-expander not found"
    ):
        await api.steer("web", 1, apply=True)
    assert kube.audit.count_mutations() == 0


async def test_a_concurrent_edit_is_kept_and_the_plan_made_again(
    kube: KubeEmulator, client: ApiClient
) -> None:
    held = kube.faults.delay("PATCH", PATH, 3.0)  # hold our first write until the operator's lands
    steering = asyncio.create_task(ExpanderApi(client, CONFIG).steer("web", -1, apply=True))
    await eventually(lambda: held.fired >= 1)
    kube.store.patch(
        "configmaps",
        NAME,
        {"data": {"priorities": OPERATOR + "5:\n  - .*batch.*\n"}},
        namespace=NS,
    )
    ops = await asyncio.wait_for(steering, 10)
    priorities, _ = stored(kube)
    assert priorities[5] == [".*batch.*"]  # the operator's edit survived
    assert priorities[100] == [".*web-od.*"]
    assert len(ops) == 2
    patches = kube.audit.entries(method="PATCH")
    assert [e.status for e in patches] == [409, 200]
