"""The IAM policies in docs/iam and the IRSA roles the overlays attach: shadow roles only read, every write is
limited to Auto Scaling groups carrying the pool tag, and every attached role has its policy here (which
service accounts get a role at all is checked in test_kustomize)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .paths import OVERLAYS, REPO
from .rendered import of_kind, render

IAM = REPO / "docs" / "iam"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
POOL_TAG_CONDITION = "autoscaling:ResourceTag/spotvortex.io/pool"
DRAINER_ACTIONS = {
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
}


def policy(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IAM / name).read_text())
    return data


def actions(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


def reads_only(action: str) -> bool:
    return action.split(":")[1].startswith(("Describe", "Get", "List"))


def test_every_policy_parses() -> None:
    names = sorted(p.name for p in IAM.glob("*.json"))
    assert names == [
        "collector.json",
        "drainer-enforce.json",
        "irsa-trust.json",
        "router-enforce.json",
        "router-shadow.json",
    ]
    for name in names:
        policy(name)


@pytest.mark.parametrize("name", ["router-shadow.json"])
def test_shadow_roles_cannot_write(name: str) -> None:
    assert all(reads_only(a) for a in actions(policy(name)))


@pytest.mark.parametrize("name", ["router-enforce.json", "drainer-enforce.json"])
def test_enforce_writes_only_groups_tagged_with_a_pool(name: str) -> None:
    for statement in policy(name)["Statement"]:
        if all(reads_only(a) for a in statement["Action"]):
            continue
        assert statement["Resource"].startswith("arn:aws:autoscaling:"), statement
        assert POOL_TAG_CONDITION in json.dumps(statement["Condition"]), statement


def test_the_drainer_may_scale_up_and_retire_but_not_reshape_a_group() -> None:
    assert actions(policy("drainer-enforce.json")) == DRAINER_ACTIONS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_role_an_overlay_attaches_has_its_policy_here(overlay: str) -> None:
    """``role/spotvortex-<name>`` is created from ``docs/iam/<name>.json`` (docs/deploy.md)."""
    for account in of_kind(render(f"overlays/{overlay}"), "ServiceAccount"):
        role = (account["metadata"].get("annotations") or {}).get(ROLE_ANNOTATION)
        if role is None:
            continue
        name = role.rsplit("/", 1)[1].removeprefix("spotvortex-")
        assert (IAM / f"{name}.json").exists(), role
        assert (
            account["metadata"]["name"]
            == f"spotvortex-{name.removesuffix('-enforce').removesuffix('-shadow')}"
        )
