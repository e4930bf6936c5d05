"""The RBAC matrix, read from the rendered YAML of every overlay: no service has a verb it should not.

- inference and gates: nothing bound, no token mounted;
- collector: get/list/watch only;
- only the drainer may create pods/eviction, patch nodes and create pods (in its own namespace only);
- only the router may patch nodepools.karpenter.sh and the priority-expander ConfigMap (by name);
- shadow overlays grant no mutating verb at all, apart from the drainer's Events;
- nobody may touch Secrets, use wildcards or escalate.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import pytest

from .paths import OVERLAYS
from .rendered import Resource, of_kind, render

READ = {"get", "list", "watch"}


class Grant(NamedTuple):
    group: str
    resource: str
    verb: str
    namespace: str | None  # None: cluster-wide
    names: tuple[str, ...]


def grants(resources: list[Resource]) -> dict[str, set[Grant]]:
    """Service account name → everything its bindings grant."""
    roles = {(r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in resources}
    out: dict[str, set[Grant]] = defaultdict(set)
    for binding in of_kind(resources, "ClusterRoleBinding") + of_kind(resources, "RoleBinding"):
        where = binding["metadata"].get("namespace")
        ref = binding["roleRef"]
        role = roles[(ref["kind"], None if ref["kind"] == "ClusterRole" else where, ref["name"])]
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount"
            assert subject["namespace"] == "spotvortex"
            for rule in role["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        for verb in rule["verbs"]:
                            names = tuple(rule.get("resourceNames", ()))
                            out[subject["name"]].add(Grant(group, resource, verb, where, names))
    return out


def holders(table: dict[str, set[Grant]], group: str, resource: str, verb: str) -> set[str]:
    return {
        sa
        for sa, gs in table.items()
        if any((g.group, g.resource, g.verb) == (group, resource, verb) for g in gs)
    }


@pytest.fixture(params=["base", *(f"overlays/{o}" for o in OVERLAYS)])
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_inference_and_gates_have_no_kubernetes_permissions(target: str) -> None:
    resources = render(target)
    table = grants(resources)
    for service in ("inference", "gates"):
        assert f"spotvortex-{service}" not in table
        (account,) = [
            a
            for a in of_kind(resources, "ServiceAccount")
            if a["metadata"]["name"] == f"spotvortex-{service}"
        ]
        assert account["automountServiceAccountToken"] is False


def test_the_collector_only_reads(target: str) -> None:
    assert {g.verb for g in grants(render(target))["spotvortex-collector"]} <= READ


def test_only_the_drainer_cordons_evicts_and_creates_pods(target: str) -> None:
    table = grants(render(target))
    for group, resource, verb in [
        ("", "pods/eviction", "create"),
        ("", "nodes", "patch"),
        ("", "nodes", "update"),
    ]:
        assert holders(table, group, resource, verb) <= {"spotvortex-drainer"}
    for verb in ("create", "delete", "patch", "update", "deletecollection"):
        assert holders(table, "", "pods", verb) <= {"spotvortex-drainer"}
    for grant in table.get("spotvortex-drainer", set()):
        if grant.resource == "pods" and grant.verb not in READ:
            assert grant.namespace == "spotvortex", grant


def test_only_the_router_steers(target: str) -> None:
    table = grants(render(target))
    for verb in ("patch", "update", "create", "delete"):
        assert holders(table, "karpenter.sh", "nodepools", verb) <= {"spotvortex-router"}
        assert holders(table, "", "configmaps", verb) <= {"spotvortex-router"}
    for grant in table.get("spotvortex-router", set()):
        if grant.resource == "configmaps":
            assert grant.namespace == "kube-system"
            assert grant.names == ("cluster-autoscaler-priority-expander",)


def test_nobody_reads_secrets_uses_wildcards_or_escalates(target: str) -> None:
    for sa, gs in grants(render(target)).items():
        for grant in gs:
            assert "*" not in (grant.group, grant.resource, grant.verb), (sa, grant)
            assert grant.resource not in (
                "secrets",
                "roles",
                "clusterroles",
                "rolebindings",
                "clusterrolebindings",
            )
            assert grant.verb not in ("escalate", "bind", "impersonate")


def mutations(table: dict[str, set[Grant]]) -> set[tuple[str, str, str, str]]:
    return {(sa, g.group, g.resource, g.verb) for sa, gs in table.items() for g in gs if g.verb not in READ}


@pytest.mark.parametrize("target", ["base", "overlays/karpenter-shadow"])
def test_shadow_grants_no_mutation_but_events(target: str) -> None:
    assert mutations(grants(render(target))) == {("spotvortex-drainer", "", "events", "create")}


def test_enforce_overlays_grant_exactly_their_path() -> None:
    drainer = {
        ("spotvortex-drainer", "", "events", "create"),
        ("spotvortex-drainer", "", "nodes", "patch"),
        ("spotvortex-drainer", "", "pods/eviction", "create"),
        ("spotvortex-drainer", "", "pods", "create"),
        ("spotvortex-drainer", "", "pods", "delete"),
    }
    karpenter = mutations(grants(render("overlays/karpenter-enforce")))
    assert karpenter == drainer | {("spotvortex-router", "karpenter.sh", "nodepools", "patch")}
    asg = mutations(grants(render("overlays/asg-enforce")))
    assert asg == drainer | {("spotvortex-router", "", "configmaps", "patch")}
