"""The drainer's own Prometheus series, next to the runtime's in the service's registry.

Labels are bounded (outcome, mode, eviction answer); node, pod and job names go to logs and results only.
Workers are rebuilt each time the lease is re-acquired, so the series are made once per registry.
"""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge


class DrainerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.node_results = Counter(
            "spotvortex_drainer_node_results_total",
            "Per-node drain results published, by outcome and mode",
            ["outcome", "mode"],
            registry=registry,
        )
        self.evictions = Counter(
            "spotvortex_drainer_eviction_requests_total",
            "Eviction requests sent, by answer (evicted, gone, retry, fatal)",
            ["answer"],
            registry=registry,
        )
        self.jobs_running = Gauge(
            "spotvortex_drainer_jobs_running", "Drain jobs being executed by this replica", registry=registry
        )


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, DrainerMetrics] = weakref.WeakKeyDictionary()


def drainer_metrics(registry: CollectorRegistry) -> DrainerMetrics:
    if registry not in _BY_REGISTRY:
        _BY_REGISTRY[registry] = DrainerMetrics(registry)
    return _BY_REGISTRY[registry]
