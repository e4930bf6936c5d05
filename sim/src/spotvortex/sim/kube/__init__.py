"""An in-memory Kubernetes API server for tests and simulation (``docs/kube-emulator.md``).

``KubeEmulator`` serves nodes, pods, PDBs, leases, Karpenter NodePools/NodeClaims and a few more over
real HTTP, faithfully enough for ``kubernetes_asyncio`` and ``kubectl``; ``kube.store`` drives the same
state in-process, ``kube.faults`` injects failures and ``kube.audit`` proves what was (not) mutated.
"""

from .audit import AuditEntry, AuditLog
from .errors import ApiError
from .faults import Fault, FaultInjector
from .resources import Registry, ResourceType
from .server import KubeEmulator
from .store import DeletionRecord, Store
from .strategy import Scope

__all__ = [
    "ApiError",
    "AuditEntry",
    "AuditLog",
    "DeletionRecord",
    "Fault",
    "FaultInjector",
    "KubeEmulator",
    "Registry",
    "ResourceType",
    "Scope",
    "Store",
]
