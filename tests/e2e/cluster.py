"""A small Karpenter cluster for the end-to-end tests: one pool ``web`` as twin NodePools, eight spot nodes
over three zones and two on-demand nodes (80 % spot, the deterministic policy's cap for these workloads),
pods owned by a ReplicaSet and guarded by a PDB loose enough that losing two nodes keeps it satisfied — a
calm pool, so the first decision is a HOLD."""

from __future__ import annotations

from typing import Any

from spotvortex.sim.kube import KubeEmulator

CT = "karpenter.sh/capacity-type"
INSTANCE_TYPE = "m5.large"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
SPOT_NODES = [f"spot-{i}" for i in range(8)]
OD_NODES = ["od-0", "od-1"]


def zone_of(name: str) -> str:
    return ZONES[int(name.rsplit("-", 1)[1]) % len(ZONES)]


def nodepool(name: str, capacity: str, weight: int) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "weight": weight,
            "template": {"spec": {"requirements": [{"key": CT, "operator": "In", "values": [capacity]}]}},
            "disruption": {"budgets": [{"nodes": "50%"}]},
        },
    }


def node(name: str, capacity: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                CT: capacity,
                "karpenter.sh/nodepool": f"web-{'spot' if capacity == 'spot' else 'od'}",
                "node.kubernetes.io/instance-type": INSTANCE_TYPE,
                "topology.kubernetes.io/zone": zone_of(name),
            },
        },
        "spec": {"providerID": f"aws:///{zone_of(name)}/i-{name}"},
        "status": {
            "allocatable": {"cpu": "2", "memory": "8Gi", "pods": "29"},
            "capacity": {"cpu": "2", "memory": "8Gi", "pods": "29"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def pod(name: str, node_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": "web"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-7d9f",
                    "uid": "rs-1",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": "app",
                    "image": "registry.local/web:1",
                    "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
                }
            ],
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def populate(kube: KubeEmulator) -> None:
    store = kube.store
    store.create(nodepool("web-spot", "spot", 100))
    store.create(nodepool("web-od", "on-demand", 10))
    for name in SPOT_NODES:
        store.create(node(name, "spot"))
    for name in OD_NODES:
        store.create(node(name, "on-demand"))
    for i, node_name in enumerate(SPOT_NODES + OD_NODES):
        for j in range(2):
            store.create(pod(f"web-{i}-{j}", node_name))
    store.create(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"maxUnavailable": 5, "selector": {"matchLabels": {"app": "web"}}},
        }
    )
    kube.audit.clear()
