"""SpotVortex collector service.

Watches Nodes, Pods, PDBs and Karpenter NodePools, ingests market events (NATS, and optionally AWS spot
price history and the interruption queue), and publishes one ``PoolTelemetry`` per pool on a cadence and
at once when an interruption notice hits a pool. ``Collector`` is the pure core the swarm and the
simulator both run.
"""

from spotvortex.collector.config import AwsSettings, CollectorConfig, CollectorSettings
from spotvortex.collector.core import Collector, Notices
from spotvortex.collector.index import ClusterIndex
from spotvortex.collector.market import MarketWindow
from spotvortex.collector.service import build
from spotvortex.runtime.service import ServiceSpec

SPEC = ServiceSpec(name="collector", build=build, needs_lease=True)
SETTINGS = CollectorSettings

__all__ = [
    "SETTINGS",
    "SPEC",
    "AwsSettings",
    "ClusterIndex",
    "Collector",
    "CollectorConfig",
    "CollectorSettings",
    "MarketWindow",
    "Notices",
]
