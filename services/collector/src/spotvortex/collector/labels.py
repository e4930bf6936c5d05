"""Well-known node and pod labels, taints and annotations the collector reads, spelled once."""

from __future__ import annotations

from typing import Final

from spotvortex.contracts import capacity

# nodes
POOL: Final = "spotvortex.io/pool"
MANAGER: Final = "spotvortex.io/manager"
NODEPOOL: Final = "karpenter.sh/nodepool"
KARPENTER_CAPACITY_TYPE: Final = "karpenter.sh/capacity-type"
EKS_NODEGROUP: Final = "eks.amazonaws.com/nodegroup"
CAPACITY_TYPE_LABELS: Final = capacity.CAPACITY_TYPE_LABELS
CONTROL_PLANE_LABELS: Final = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
INSTANCE_TYPE: Final = "node.kubernetes.io/instance-type"
INSTANCE_TYPE_BETA: Final = "beta.kubernetes.io/instance-type"
ZONE: Final = "topology.kubernetes.io/zone"
ZONE_BETA: Final = "failure-domain.beta.kubernetes.io/zone"
UNSCHEDULABLE_TAINT: Final = "node.kubernetes.io/unschedulable"
DISRUPTED_TAINT: Final = "karpenter.sh/disrupted"
CORDON_TAINTS: Final = frozenset({UNSCHEDULABLE_TAINT, DISRUPTED_TAINT})

# pods
STARTUP_TIME: Final = "spotvortex.io/startup-time"
OUTAGE_PENALTY: Final = "spotvortex.io/outage-penalty"
MIGRATION_TIER: Final = "spotvortex.io/migration-tier"
CRITICAL: Final = "spotvortex.io/critical"
DO_NOT_DISRUPT: Final = "karpenter.sh/do-not-disrupt"
SAFE_TO_EVICT: Final = "cluster-autoscaler.kubernetes.io/safe-to-evict"
PLACEHOLDER: Final = "spotvortex.io/placeholder"

# objects the collector watches
NODE: Final = "Node"
POD: Final = "Pod"
PDB: Final = "PodDisruptionBudget"
NODEPOOL_KIND: Final = "NodePool"
KINDS: Final = (NODE, POD, PDB, NODEPOOL_KIND)
