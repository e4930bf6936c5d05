"""Instances and the Node objects they register, shaped like EKS nodes.

A machine is what the cloud runs (instance id, type, zone, capacity type) and what the cost ledger bills;
its Node carries the labels a real EKS node has, for whichever autoscaler launched it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from spotvortex.sim.kube.objects import rfc3339

from . import labels as L
from .quantity import format_cpu, format_memory
from .shapes import Shape


@dataclass
class Machine:
    """One EC2 instance from launch to termination."""

    instance_id: str
    node_name: str
    shape: Shape
    zone: str
    capacity_type: str  # labels.SPOT or labels.ON_DEMAND
    owner: str  # "karpenter/<nodepool>" or "asg/<group>"
    launched: datetime
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, Any]] = field(default_factory=list)
    registered: datetime | None = None
    terminated: datetime | None = None
    notice: datetime | None = None

    @property
    def instance_type(self) -> str:
        return self.shape.name

    @property
    def spot(self) -> bool:
        return self.capacity_type == L.SPOT

    @property
    def provider_id(self) -> str:
        return f"aws:///{self.zone}/{self.instance_id}"


def instance_id(number: int) -> str:
    """Deterministic 17-hex-digit ids, ``i-`` prefixed like EC2's."""
    return f"i-{(0x0A000000000000000 + number * 0x9E3779B1) & 0xFFFFFFFFFFFFFFFFF:017x}"


def node_name(number: int, region: str) -> str:
    """EKS nodes are named after the instance's private DNS name."""
    a, b = divmod(number, 250)
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-10-0-{a % 250}-{b + 4}.{suffix}"


def node_labels(machine: Machine, region: str, extra: Mapping[str, str]) -> dict[str, str]:
    labels = {
        L.INSTANCE_TYPE: machine.instance_type,
        "beta.kubernetes.io/instance-type": machine.instance_type,
        L.ZONE: machine.zone,
        "failure-domain.beta.kubernetes.io/zone": machine.zone,
        L.REGION: region,
        "failure-domain.beta.kubernetes.io/region": region,
        L.HOSTNAME: machine.node_name,
        L.OS: "linux",
        "beta.kubernetes.io/os": "linux",
        L.ARCH: machine.shape.arch,
        "beta.kubernetes.io/arch": machine.shape.arch,
        "node.kubernetes.io/lifecycle": "spot" if machine.spot else "normal",
    }
    labels.update(extra)
    return labels


def node_object(machine: Machine, now: datetime) -> dict[str, Any]:
    shape = machine.shape
    stamp = rfc3339(now)
    digest = hashlib.sha256(machine.instance_id.encode()).hexdigest()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": machine.node_name,
            "labels": dict(machine.labels),
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"providerID": machine.provider_id, "taints": list(machine.taints)},
        "status": {
            "capacity": {
                "cpu": str(shape.vcpu),
                "memory": format_memory(shape.memory_mib),
                "pods": str(shape.max_pods),
            },
            "allocatable": {
                "cpu": format_cpu(shape.allocatable_cpu_millis),
                "memory": format_memory(shape.allocatable_memory_mib),
                "pods": str(shape.max_pods),
            },
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
            ],
            "nodeInfo": {
                "machineID": digest[:32],
                "systemUUID": f"ec2{digest[3:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
                "bootID": f"{digest[32:40]}-{digest[40:44]}-{digest[44:48]}-{digest[48:52]}-{digest[52:64]}",
                "kernelVersion": "6.1.140-154.222.amzn2023.x86_64",
                "kubeProxyVersion": "v1.33.0-eks",
                "architecture": shape.arch,
                "operatingSystem": "linux",
                "kubeletVersion": "v1.33.0-eks",
                "containerRuntimeVersion": "containerd://1.7.27",
                "osImage": "Amazon Linux 2023",
            },
            "addresses": [
                {"type": "InternalIP", "address": machine.node_name.split(".")[0][3:].replace("-", ".")},
                {"type": "Hostname", "address": machine.node_name},
            ],
        },
    }
