"""The collector's own Prometheus series, registered once per registry (labels stay bounded: kinds,
triggers, reasons, AWS operations; never node or pool names)."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, CollectorMetrics] = weakref.WeakKeyDictionary()


class CollectorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.pools = Gauge("spotvortex_collector_pools", "Pools with at least one node", registry=registry)
        self.objects = Gauge(
            "spotvortex_collector_objects",
            "Objects held in the cluster index, by kind",
            ["kind"],
            registry=registry,
        )
        self.lists = Counter(
            "spotvortex_collector_lists_total",
            "Full lists of a kind (start-up and re-lists)",
            ["kind"],
            registry=registry,
        )
        self.watch_restarts = Counter(
            "spotvortex_collector_watch_restarts_total",
            "Watches restarted other than at their timeout, by kind and reason (expired, error, not_served)",
            ["kind", "reason"],
            registry=registry,
        )
        self.telemetry = Counter(
            "spotvortex_collector_telemetry_total",
            "Pool snapshots published, by trigger",
            ["trigger"],
            registry=registry,
        )
        self.snapshot_seconds = Histogram(
            "spotvortex_collector_snapshot_duration_seconds",
            "Time to build one pool snapshot",
            registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
        )
        self.snapshot_errors = Counter(
            "spotvortex_collector_snapshot_errors_total",
            "Pool snapshots that could not be built or published",
            registry=registry,
        )
        self.market_events = Counter(
            "spotvortex_collector_market_events_total",
            "Market events taken into the window, by kind and source (nats, aws)",
            ["kind", "source"],
            registry=registry,
        )
        self.aws_errors = Counter(
            "spotvortex_collector_aws_errors_total",
            "Failed AWS calls, by operation",
            ["operation"],
            registry=registry,
        )

    @classmethod
    def of(cls, registry: CollectorRegistry) -> CollectorMetrics:
        """The metrics of ``registry``, created on first use (a service rebuilt after a lease loss reuses them)."""
        found = _BY_REGISTRY.get(registry)
        if found is None:
            found = _BY_REGISTRY[registry] = cls(registry)
        return found
