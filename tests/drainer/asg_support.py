"""Twin Auto Scaling groups for drainer tests: the AWS emulator serves the groups, the Kubernetes emulator
their nodes, and the test plays the cloud and the kubelet in between — it decides when a new instance comes
into service and when its node joins the cluster (Ready, with its ``providerID`` and capacity type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from spotvortex.contracts import Mode
from spotvortex.drainer import DrainerSettings
from spotvortex.drainer.config import DrainerAwsSettings
from spotvortex.sim.aws import AsgInstance, AwsEmulator
from spotvortex.sim.kube import KubeEmulator
from tests.router.asg_support import Groups

from .support import drainer_settings, pod

SPOT_GROUP = "web-spot-asg"
OD_GROUP = "web-od-asg"
CAPACITY = {SPOT_GROUP: "SPOT", OD_GROUP: "ON_DEMAND"}
"""The capacity-type label an EKS node of each twin carries (other groups' nodes are on-demand)."""


def node_name(instance_id: str) -> str:
    return f"ip-{instance_id}"


def instance_node(instance: AsgInstance, *, ready: bool = True) -> dict[str, Any]:
    """The Node an instance of a twin group registers, as the kubelet and the cloud controller write it."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node_name(instance.instance_id),
            "labels": {
                "eks.amazonaws.com/capacityType": CAPACITY.get(instance.group, "ON_DEMAND"),
                "eks.amazonaws.com/nodegroup": instance.group,
                "spotvortex.io/pool": "web",
                "topology.kubernetes.io/zone": instance.zone,
            },
        },
        "spec": {"providerID": f"aws:///{instance.zone}/{instance.instance_id}"},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


@dataclass
class Cloud:
    """The groups and the cluster, kept in step by the test."""

    groups: Groups
    kube: KubeEmulator

    def desired(self, group: str) -> int:
        return self.groups.group(group).desired_capacity

    def instances(self, group: str) -> list[str]:
        return [i.instance_id for i in self.groups.group(group).instances]

    def pending(self, group: str) -> list[str]:
        """Instances the group launched that are not in service yet."""
        return [i.instance_id for i in self.groups.group(group).instances if i.lifecycle_state == "Pending"]

    def register(self, group: str) -> list[str]:
        """Every instance of the group without a node gets one (the existing fleet at the start)."""
        names = {n["metadata"]["name"] for n in self.kube.store.list("nodes")}
        added = []
        for instance in self.groups.group(group).instances:
            if node_name(instance.instance_id) not in names and instance.lifecycle_state == "InService":
                self.kube.store.create(instance_node(instance))
                added.append(node_name(instance.instance_id))
        return added

    def boot(self, group: str) -> list[str]:
        """The group's pending instances come into service (AWS's view only: no node yet)."""
        return self.groups.boot(group)

    def join(self, group: str) -> list[str]:
        """Boot the pending instances and let their nodes join the cluster, Ready; returns the node names."""
        self.boot(group)
        return self.register(group)

    def run_pods(self, node: str, count: int = 2) -> None:
        for i in range(count):
            self.kube.store.create(
                pod(f"{node}-web-{i}", node, owner_name=f"{node}-web", requests={"cpu": "500m"})
            )

    def unschedulable(self, node: str) -> bool:
        return bool(self.kube.store.get("nodes", node).get("spec", {}).get("unschedulable"))


def asg_settings(
    nats_url: str,
    cluster: str,
    kube: KubeEmulator,
    aws: AwsEmulator,
    *,
    mode: Mode = Mode.ENFORCE,
    **config: Any,
) -> DrainerSettings:
    """A fast drainer with AWS on, pointed at the emulator."""
    base = drainer_settings(nats_url, cluster, kube, mode=mode, **config)
    return msgspec.structs.replace(
        base, aws=DrainerAwsSettings(enabled=True, region="us-east-1", endpoint_url=aws.url)
    )
