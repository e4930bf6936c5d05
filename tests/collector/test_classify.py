"""Node classification (upstream-spec §6.1): capacity types, the owning autoscaler, and pool keys."""

from __future__ import annotations

import pytest

from spotvortex.collector.classify import classify, pool_key, provisioner, strip_suffix
from spotvortex.contracts import Provisioner
from spotvortex.contracts.capacity import capacity_type


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"karpenter.sh/capacity-type": "spot"}, "spot"),
        ({"karpenter.sh/capacity-type": "on-demand"}, "on-demand"),
        ({"karpenter.sh/capacity-type": "reserved"}, "reserved"),
        ({"spotvortex.io/capacity-type": "OnDemand"}, "on-demand"),
        ({"eks.amazonaws.com/capacityType": "SPOT"}, "spot"),
        ({"eks.amazonaws.com/capacityType": "ON_DEMAND"}, "on-demand"),
        ({"eks.amazonaws.com/capacityType": "CAPACITY_BLOCK"}, "reserved"),
        ({"node.kubernetes.io/lifecycle": "normal"}, "on-demand"),
        ({"node.kubernetes.io/lifecycle": "Ec2Spot"}, "spot"),
        ({"node.kubernetes.io/lifecycle": "ec2 on demand"}, "on-demand"),
        ({"spotvortex.io/capacity-type": "capacityblock"}, "reserved"),
        ({"node.kubernetes.io/lifecycle": "preemptible"}, "preemptible"),  # unknown values pass through
        ({}, None),
        # precedence: the first non-empty label wins
        ({"karpenter.sh/capacity-type": "on-demand", "eks.amazonaws.com/capacityType": "SPOT"}, "on-demand"),
        ({"karpenter.sh/capacity-type": " ", "eks.amazonaws.com/capacityType": "SPOT"}, "spot"),
        ({"spotvortex.io/capacity-type": "spot", "node.kubernetes.io/lifecycle": "normal"}, "spot"),
    ],
)
def test_capacity_type_normalisation_and_precedence(labels: dict[str, str], expected: str | None) -> None:
    assert capacity_type(labels) == expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (
            {"spotvortex.io/manager": "cluster-autoscaler", "karpenter.sh/nodepool": "x"},
            Provisioner.CLUSTER_AUTOSCALER,
        ),
        ({"spotvortex.io/manager": "Managed-NodeGroup"}, Provisioner.MANAGED_NODEGROUP),
        ({"spotvortex.io/manager": "karpenter"}, Provisioner.KARPENTER),
        # an unknown override falls through to detection
        (
            {"spotvortex.io/manager": "nomad", "eks.amazonaws.com/nodegroup": "ng"},
            Provisioner.MANAGED_NODEGROUP,
        ),
        ({"karpenter.sh/nodepool": "web-spot"}, Provisioner.KARPENTER),
        ({"karpenter.sh/nodepool": "web", "eks.amazonaws.com/nodegroup": "ng"}, Provisioner.KARPENTER),
        ({"karpenter.sh/capacity-type": "spot"}, Provisioner.KARPENTER),
        (
            {"karpenter.sh/capacity-type": "spot", "eks.amazonaws.com/nodegroup": "ng"},
            Provisioner.MANAGED_NODEGROUP,
        ),
        ({"eks.amazonaws.com/nodegroup": "ng"}, Provisioner.MANAGED_NODEGROUP),
        ({"eks.amazonaws.com/capacityType": "SPOT"}, None),
        ({"spotvortex.io/pool": "web"}, None),
    ],
)
def test_manager_detection(labels: dict[str, str], expected: Provisioner | None) -> None:
    assert provisioner(labels) is expected


def test_fallback_provisioner_adopts_otherwise_unknown_nodes() -> None:
    assert (
        provisioner({"spotvortex.io/pool": "web"}, Provisioner.CLUSTER_AUTOSCALER)
        is Provisioner.CLUSTER_AUTOSCALER
    )
    assert (
        provisioner({"karpenter.sh/nodepool": "a"}, Provisioner.CLUSTER_AUTOSCALER) is Provisioner.KARPENTER
    )


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"spotvortex.io/pool": "checkout", "karpenter.sh/nodepool": "web-spot"}, "checkout"),
        ({"karpenter.sh/nodepool": "web-spot"}, "web"),
        ({"karpenter.sh/nodepool": "web-od"}, "web"),
        ({"karpenter.sh/nodepool": "web"}, "web"),
        ({"karpenter.sh/nodepool": "-spot"}, "-spot"),  # never strip a name to nothing
        ({"eks.amazonaws.com/nodegroup": "batch-spot"}, "batch"),
        ({"eks.amazonaws.com/nodegroup": "batch-od"}, "batch"),
        ({"karpenter.sh/capacity-type": "spot"}, None),
        ({"spotvortex.io/pool": "  "}, None),
    ],
)
def test_pool_keys(labels: dict[str, str], expected: str | None) -> None:
    assert pool_key(labels, ["-spot", "-od"]) == expected


def test_configured_suffixes_replace_the_defaults_and_the_longest_wins() -> None:
    assert pool_key({"karpenter.sh/nodepool": "web-spot"}, ["-preemptible"]) == "web-spot"
    assert strip_suffix("web-spot-pool", ["-pool", "-spot-pool"]) == "web"
    assert strip_suffix("api.v2-ondemand", ["-spot", "-ondemand"]) == "api.v2"


def test_unknown_and_control_plane_nodes_belong_to_no_pool() -> None:
    suffixes = ["-spot", "-od"]
    assert classify({"spotvortex.io/pool": "web"}, suffixes).pool is None  # no autoscaler recognised
    control = classify(
        {"karpenter.sh/nodepool": "web-spot", "node-role.kubernetes.io/control-plane": ""}, suffixes
    )
    assert control.control_plane
    assert control.pool is None
    assert classify({"node-role.kubernetes.io/master": ""}, suffixes).control_plane
    managed = classify({"karpenter.sh/nodepool": "web-spot", "karpenter.sh/capacity-type": "spot"}, suffixes)
    assert (managed.pool, managed.provisioner, managed.capacity_type) == (
        "web",
        Provisioner.KARPENTER,
        "spot",
    )
