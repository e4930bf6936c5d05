"""Well-known node and pod labels, taints and annotations, spelled once.

Simulated nodes carry the labels real EKS/Karpenter nodes carry, so the collector and router classify them
with the same code they use on a real cluster.
"""

from __future__ import annotations

CAPACITY_TYPE = "karpenter.sh/capacity-type"
NODEPOOL = "karpenter.sh/nodepool"
EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType"
EKS_NODEGROUP = "eks.amazonaws.com/nodegroup"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
HOSTNAME = "kubernetes.io/hostname"
OS = "kubernetes.io/os"
ARCH = "kubernetes.io/arch"
POOL = "spotvortex.io/pool"
WORKLOAD = "spotvortex.io/workload"

SPOT = "spot"
ON_DEMAND = "on-demand"
EKS_VALUES = {SPOT: "SPOT", ON_DEMAND: "ON_DEMAND"}

DISRUPTED_TAINT = "karpenter.sh/disrupted"
"""Karpenter v1 puts this NoSchedule taint on a node it is about to take away (interruption included)."""
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"

STARTUP_ANNOTATION = "spotvortex.io/startup-time"
PENALTY_ANNOTATION = "spotvortex.io/outage-penalty"
